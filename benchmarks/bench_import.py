"""How long a fresh Python process takes to import microgradx and to print ``--help``.

Targets: ``import microgradx`` at most 1.5x ``import numpy``; ``microgradx --help`` at
most 200 ms. Every figure is a new child process (nothing cached in memory), timed
from start to exit; rounds are interleaved (each round runs every command once)
and the table shows medians. "import only" subtracts the bare interpreter's start.

    python benchmarks/bench_import.py            # 15 rounds
    python benchmarks/bench_import.py --quick    # 3 rounds (the test's run)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IMPORT_RATIO_TARGET = 1.5
HELP_TARGET_MS = 200.0

COMMANDS = {
    "python (bare start)": ["-c", "pass"],
    "import numpy": ["-c", "import numpy"],
    "import microgradx": ["-c", "import microgradx"],
    "from microgradx import Value": ["-c", "from microgradx import Value"],
    "microgradx --help": ["-m", "microgradx", "--help"],
}


def seconds(args: list[str]) -> float:
    """Wall time of one child ``python *args`` run (it must succeed)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return elapsed


def main(rounds: int) -> None:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(rounds):
        for name, args in COMMANDS.items():
            times[name].append(seconds(args))
    ms = {name: 1000 * statistics.median(t) for name, t in times.items()}
    bare, numpy_ms = ms["python (bare start)"], ms["import numpy"]
    print(f"medians of {rounds} interleaved rounds, each a fresh process\n")
    print(f"{'command':30} {'ms':>7} {'import only':>12} {'/ numpy':>8}")
    for name, value in ms.items():
        only = value - bare
        ratio = value / numpy_ms
        print(f"{name:30} {value:7.1f} {only:10.1f}ms {ratio:7.2f}x")
    import_ratio = ms["import microgradx"] / numpy_ms
    help_ms = ms["microgradx --help"]
    checks = [
        (f"import microgradx / import numpy = {import_ratio:.2f}x "
         f"(target <= {IMPORT_RATIO_TARGET:g}x)", import_ratio <= IMPORT_RATIO_TARGET),
        (f"microgradx --help = {help_ms:.0f} ms (target <= {HELP_TARGET_MS:g} ms)",
         help_ms <= HELP_TARGET_MS),
    ]  # fmt: skip
    print()
    for text, ok in checks:
        print(f"{text}: {'within target' if ok else 'OUTSIDE TARGET'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds (default 15)")
    args = parser.parse_args()
    main(3 if args.quick else args.rounds)
