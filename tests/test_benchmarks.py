"""The benchmarks run (in their quick mode), print their tables and check their results.

No timings are asserted: these tests only keep the scripts working.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run_quick(script: str, *options: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", *options],
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


def test_tape_benchmark_prints_its_tables():
    out = run_quick("bench_tape.py")
    assert "tape fit" in out and "tape/numpy" in out
    assert "losses and weights after 3 steps: equal in every engine" in out
    assert "compile ms" in out
    assert "fit/PyTorch" in out and "weights after 20 steps: equal in both" in out
    assert "(fit - Values)/PyTorch" in out  # what reading and writing the Values costs
    rows = [line.split() for line in out.splitlines() if line[:6].strip() in ("16", "64")]
    assert len(rows) >= 4 + 2  # 2 widths × 2 batches, and the compile table's 2 widths


def test_mlp_benchmark_prints_its_table():
    out = run_quick("bench_mlp.py")
    assert "micrograd 0.1.0" in out and "ms / step" in out


def test_floor_benchmark_compiles_the_floor_and_checks_every_engine_against_micrograd():
    # mypyc comes with the dev extra and the machine has a C compiler: the compiled
    # floor is built, not skipped
    out = run_quick("bench_floor.py", "--compiled")
    for engine in ("micrograd", "microgradx, gc_paused()", "floor, gc_paused()",
                   "table floor, gc_paused()", "floor compiled, gc_paused()"):  # fmt: skip
        assert engine in out
    # microgradx over both floors, one line per workload
    assert "fwd/floor bwd/floor fwd/table bwd/table" in out
    for workload in ("built-in sum", "chain", "lecture graph", "lecture loop"):
        assert workload in out
    assert "gradients: equal to micrograd's in every engine and workload" in out


def test_refusals_benchmark_times_every_refusal_for_size():
    out = run_quick("bench_refusals.py")
    for call in ("draw(v)", "draw(v, collapse=True)", "draw(v, collapse=1)", "draw_backward(v, x)",
                 "stepper(v)", "backward_steps(v)", "save_steps(v, 'steps.html')"):  # fmt: skip
        assert f"\n{call} " in out
    assert "the graph has no scopes" in out
    assert "drawn, not refused" not in out and "not refused" not in out


def test_import_benchmark_prints_every_command_and_both_targets():
    out = run_quick("bench_import.py")
    for command in ("python (bare start)", "import numpy", "import microgradx",
                    "from microgradx import Value", "microgradx --help"):  # fmt: skip
        assert f"\n{command} " in out
    assert "import microgradx / import numpy = " in out
    assert "microgradx --help = " in out


def test_blas_benchmark_checks_its_gradients_and_prints_both_tables():
    out = run_quick("bench_blas.py")
    assert "gradients: equal in every mode" in out
    assert "as the machine is" in out and "with a second core busy" in out
    assert "tape/one" in out and "under load the tape takes at most" in out
    rows = [line.split() for line in out.splitlines() if line[:6].strip() in ("16", "64")]
    assert len(rows) == 2 * 4  # 2 widths × 2 batches, in both tables


def test_stepper_benchmark_prints_its_table():
    out = run_quick("bench_stepper.py")
    assert "bytes" in out and "peak MB" in out
    rows = {line[:32].strip(): line[32:].split() for line in out.splitlines()[1:]}
    assert rows["lecture graph"][-1] == "built"
    refusal = " ".join(rows["10,000-op chain"])
    assert "refused: cannot step through more than 5000 values" in refusal
