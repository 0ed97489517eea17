"""Every Python module of the package has at most 400 lines: a room with one job.

A module that grows past the limit is split by job (as ``ops.py`` / ``registry.py``,
``engine.py`` / ``copying.py``, ``viz/dot.py`` / ``viz/nodes.py`` / ``viz/wiring.py``
were). Package data (the pages' JavaScript, CSS and JSON under ``viz/static``) is not
Python and is not counted.
"""

from __future__ import annotations

from pathlib import Path

import microgradx

PACKAGE = Path(microgradx.__file__).parent
LIMIT = 400


def line_counts(root: Path) -> dict[str, int]:
    """Lines of every ``.py`` file under ``root``, by path relative to it."""
    return {
        path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }


def over_limit(counts: dict[str, int], limit: int = LIMIT) -> list[tuple[str, int]]:
    """The modules longer than ``limit`` lines, longest first."""
    return sorted(
        ((name, n) for name, n in counts.items() if n > limit), key=lambda item: -item[1]
    )


def test_no_module_of_the_package_has_more_than_400_lines():
    counts = line_counts(PACKAGE)
    assert {"engine.py", "ops.py", "viz/dot.py", "nn/__init__.py"} <= set(counts)
    offenders = over_limit(counts)
    assert not offenders, f"modules over {LIMIT} lines; split them by job:\n" + "\n".join(
        f"  microgradx/{name}: {n} lines" for name, n in offenders
    )


def test_the_count_reads_python_modules_only_and_names_each_offender(tmp_path):
    (tmp_path / "fits.py").write_text("x = 1\n" * 400, encoding="utf-8")
    (tmp_path / "long.py").write_text("x = 1\n" * 401, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.py").write_text('"""doc"""\n' + "\n" * 449, encoding="utf-8")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "page.js").write_text("let x;\n" * 900, encoding="utf-8")
    (tmp_path / "static" / "data.json").write_text("[\n" + "1,\n" * 900 + "2]\n")
    counts = line_counts(tmp_path)
    assert counts == {"fits.py": 400, "long.py": 401, "sub/deep.py": 450}
    assert over_limit(counts) == [("sub/deep.py", 450), ("long.py", 401)]
