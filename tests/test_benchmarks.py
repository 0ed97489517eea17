"""The benchmarks run (in their quick mode), print their tables and check their results.

No timings are asserted: these tests only keep the scripts working.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
    rows = [
        line.split() for line in out.splitlines() if line.split()[:1] in (["traced"], ["layers"])
    ]
    # both tapes × 2 widths × 2 batches, in both tables
    assert sorted({(r[0], r[1], r[2]) for r in rows}) == sorted(
        (k, w, b) for k in ("layers", "traced") for w in ("16", "64") for b in ("10", "100")
    )
    assert len(rows) == 2 * 8


def test_stepper_benchmark_prints_its_table():
    out = run_quick("bench_stepper.py")
    assert "bytes" in out and "peak MB" in out
    rows = {line[:32].strip(): line[32:].split() for line in out.splitlines()[1:]}
    assert rows["lecture graph"][-1] == "built"
    refusal = " ".join(rows["10,000-op chain"])
    assert "refused: cannot step through more than 5000 values" in refusal


def _run_all():
    """benchmarks/run_all.py as a module (the benchmarks are scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_all", BENCHMARKS / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_regenerate_replaces_only_the_marked_blocks_of_benchmarks_that_ran():
    run_all = _run_all()
    readme = (
        "# Performance\nprose stays\n"
        "<!-- bench: bench_import.py -->\nold figures\n<!-- end bench -->\nmiddle\n"
        "<!-- bench: bench_blas.py -->\nkept: did not run\n<!-- end bench -->\nend\n"
    )
    new, replaced = run_all.regenerate(readme, {"bench_import.py": "\nnew figures\n\n"})
    assert replaced == ["bench_import.py"]
    assert new == readme.replace(
        "old figures\n", "```text\n$ python benchmarks/bench_import.py\nnew figures\n```\n"
    )
    with pytest.raises(ValueError, match=r"unknown benchmarks: bench_nope\.py"):
        run_all.regenerate("<!-- bench: bench_nope.py -->\n<!-- end bench -->", {})


def test_the_readme_shows_every_benchmark_make_bench_runs():
    run_all = _run_all()
    readme = (BENCHMARKS.parent / "README.md").read_text(encoding="utf-8")
    marked = [m["name"] for m in run_all.BLOCK.finditer(readme)]
    assert sorted(marked) == sorted(run_all.BENCHMARKS)  # each once
    for m in run_all.BLOCK.finditer(readme):  # each block is a benchmark's own output
        assert m["body"].startswith(f"```text\n$ python benchmarks/{m['name']}")
    makefile = (BENCHMARKS.parent / "Makefile").read_text(encoding="utf-8")
    assert "benchmarks/run_all.py --readme README.md" in makefile


def regenerate_import_block(readme: Path) -> subprocess.CompletedProcess:
    """``run_all.py --quick --only bench_import.py --readme README``, as a user runs it."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / "run_all.py"), "--quick", "--only", "bench_import.py",
         "--readme", str(readme)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_run_all_writes_the_readme_block_and_refuses_a_failed_run(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("a\n<!-- bench: bench_import.py -->\n<!-- end bench -->\nb\n")
    done = regenerate_import_block(readme)
    assert done.returncode == 0, done.stderr
    text = readme.read_text()
    assert text.startswith("a\n<!-- bench: bench_import.py -->\n```text\n")
    assert "$ python benchmarks/bench_import.py --quick\n" in text and "import numpy" in text
    assert text.endswith("```\n<!-- end bench -->\nb\n")
    assert "regenerated 1 block(s): bench_import.py" in done.stdout
    readme.write_text("<!-- bench: bench_typo.py -->\n<!-- end bench -->\n")
    refused = regenerate_import_block(readme)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "unknown benchmarks: bench_typo.py" in refused.stderr
    assert "import numpy" not in refused.stdout  # refused before running anything
    assert readme.read_text() == "<!-- bench: bench_typo.py -->\n<!-- end bench -->\n"


@pytest.mark.parametrize(
    "readme",
    [
        # a forgotten end marker: the block would swallow the prose up to the next block's end
        "<!-- bench: bench_import.py -->\nold\n## Prose\n<!-- bench: bench_blas.py -->\n"
        "old\n<!-- end bench -->\n",
        "<!-- bench: bench_import.py -->\nold\n<!-- end bench-->\n",  # misspelled end
        "<!--bench: bench_import.py-->\n<!-- end bench -->\n",  # misspelled start
        "<!-- bench: bench_blas.py -->\n<!-- bench: bench_import.py -->\n<!-- end bench -->\n"
        "<!-- end bench -->\n",  # nested
        "<!-- bench: bench_import.py -->\nnever closed\n",
    ],
)
def test_regenerate_refuses_markers_that_do_not_pair(readme):
    with pytest.raises(ValueError, match=r"^line \d+: a bench"):
        _run_all().regenerate(readme, {"bench_import.py": "new"})


def test_run_all_keeps_the_readmes_line_ends_mode_and_link_and_refuses_a_read_only_one(tmp_path):
    target = tmp_path / "real.md"
    target.write_bytes(b"a\r\n<!-- bench: bench_import.py -->\r\n<!-- end bench -->\r\nb\r\n")
    target.chmod(0o664)
    link = tmp_path / "README.md"
    link.symlink_to(target)
    done = regenerate_import_block(link)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and oct(target.stat().st_mode & 0o777) == "0o664"
    data = target.read_bytes()
    assert b"import numpy" in data and data.count(b"\n") == data.count(b"\r\n")  # CRLF kept
    before = target.read_bytes()
    target.chmod(0o444)
    refused = regenerate_import_block(link)
    assert refused.returncode != 0 and "read-only" in refused.stderr
    assert "Traceback" not in refused.stderr and "import numpy" not in refused.stdout
    assert target.read_bytes() == before
    missing = regenerate_import_block(tmp_path / "nope.md")
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
