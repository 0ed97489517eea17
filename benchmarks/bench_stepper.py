"""Size and time of the backward stepper page for one sample's loss of MLP(2, [16, 16, 1]).

The page holds one drawing and, per frame, only what changes, so it grows with
nodes + frames. Targets: at most 5 MB, written in at most 15 s.

    python benchmarks/bench_stepper.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import microgradx
from microgradx import nn

SIZE_TARGET_MB = 5.0
TIME_TARGET_S = 15.0


def one_sample_loss() -> microgradx.Value:
    """Squared error of MLP(2, [16, 16, 1]) on one point."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    x = [microgradx.Value(0.5, "x0"), microgradx.Value(-1.2, "x1")]
    score = model(x)
    loss = (score - 1.0) ** 2
    loss.label = "loss"
    return loss


def main() -> None:
    loss = one_sample_loss()
    stats = microgradx.stats(loss)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "steps.html"
        start = time.perf_counter()
        microgradx.save_steps(loss, path)
        seconds = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
    frames = 1 + sum(stats.ops.values())
    print(f"graph: {stats.nodes} values, {frames} frames")
    print(f"page:  {size_mb:.2f} MB (target <= {SIZE_TARGET_MB:g} MB)")
    print(f"time:  {seconds:.1f} s (target <= {TIME_TARGET_S:g} s)")
    ok = size_mb <= SIZE_TARGET_MB and seconds <= TIME_TARGET_S
    print("within targets" if ok else "OUTSIDE TARGETS")


if __name__ == "__main__":
    main()
