"""The benchmarks run (in their quick mode), print their tables and check their results.

No timings are asserted: these tests only keep the scripts working.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run_quick(script: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_engine_benchmark_prints_its_table_and_equal_gradients():
    out = run_quick("bench_engine.py")
    assert "fwd ns" in out and "bwd ns" in out and "bytes" in out
    for workload in ("built-in sum", "microgradx.sum", "chain", "lecture graph", "lecture loop"):
        assert workload in out
    for engine in ("micrograd", "microgradx", "gc_paused()"):
        assert engine in out
    assert "gradients: equal in both engines for every workload" in out
