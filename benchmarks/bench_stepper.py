"""Size, time and peak memory of the lesson page and the streamed GIF export.

Each workload runs in a child process of its own, so its peak memory (the child's
maximum resident set, Python and numpy included; Graphviz's ``dot`` runs in processes of
its own) is its alone. The page holds one drawing and, per frame, only what changes, so
it grows with nodes + frames; graphs past the bound are refused before anything large is
made. Targets (issue figures): lecture graph <= 100 KB; one sample of MLP(2, [16, 16, 1])
with its loss <= 2 MB and <= 5 s; a 10,000-op chain built in <= 15 s and <= 500 MB, or
refused in <= 1 s; GIF frames streamed (peak memory set by one frame's size, not by the
number of frames).

    python benchmarks/bench_stepper.py           # every workload
    python benchmarks/bench_stepper.py --quick   # the small ones (for the test suite)
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import microgradx
from microgradx import Value, nn


def lecture() -> Value:
    w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
    f = (w + x * y) * z
    f.label = "f"
    return f


def mlp_sample() -> Value:
    """Squared error of MLP(2, [16, 16, 1]) on one point."""
    model = nn.MLP(2, [16, 16, 1], seed=0)
    score = model([Value(0.5, "x0"), Value(-1.2, "x1")])
    loss = (score - 1.0) ** 2
    loss.label = "loss"
    return loss


def chain(n: int) -> Value:
    """``x * 1.0001 * 1.0001 ...``: n multiplications, 2n + 1 values."""
    v = Value(1.0, "x")
    for _ in range(n):
        v = v * 1.0001
    return v


# name -> (graph, file suffix, options)
WORKLOADS = {
    "lecture graph": (lecture, ".html", {}),
    "MLP(2,[16,16,1]) sample + loss": (mlp_sample, ".html", {}),
    "1,000-op chain": (lambda: chain(1000), ".html", {"max_nodes": 5000}),
    "10,000-op chain": (lambda: chain(10_000), ".html", {"max_nodes": 5000}),
    "GIF, 10-op chain (22 frames)": (lambda: chain(10), ".gif", {"dpi": 60}),
    "GIF, 20-op chain (42 frames)": (lambda: chain(20), ".gif", {"dpi": 60}),
}
QUICK = ("lecture graph", "10,000-op chain")


def run_one(name: str) -> dict:
    """One workload, in this process: build the graph, write the file, report."""
    make, suffix, options = WORKLOADS[name]
    root = make()
    values = microgradx.stats(root).nodes
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"steps{suffix}"
        start = time.perf_counter()
        try:
            microgradx.save_steps(root, path, **options)
            outcome, size = "built", path.stat().st_size
        except ValueError as exc:
            outcome, size = f"refused: {str(exc)[:60]}…", 0
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"values": values, "bytes": size, "seconds": seconds, "peak": peak_mb,
            "outcome": outcome}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the small workloads")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one workload (child process)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    names = QUICK if args.quick else list(WORKLOADS)
    print(f"{'workload':<32} {'values':>7} {'bytes':>11} {'seconds':>8} {'peak MB':>8}  outcome")
    for name in names:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
        )
        r = json.loads(done.stdout)
        print(f"{name:<32} {r['values']:>7} {r['bytes']:>11,} {r['seconds']:>8.2f} "
              f"{r['peak']:>8.0f}  {r['outcome']}")  # fmt: skip


if __name__ == "__main__":
    main()
