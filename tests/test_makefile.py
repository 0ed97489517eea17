"""The Makefile: each target installs what it needs and no more, and says so in a line.

``make -n`` (a dry run in a copy with no ``.venv``) lists the commands a fresh clone
would run; the pip installs among them are checked against pyproject.toml's extras.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = None

ROOT = Path(__file__).resolve().parent.parent


def dry_run(tmp_path: Path, target: str) -> list[str]:
    """The commands ``make TARGET`` runs on a fresh clone (no .venv yet), in order."""
    if shutil.which("make") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("make is missing in CI")
        pytest.skip("make is not installed")
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    done = subprocess.run(["make", "-n", target], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    """What each ``pip install`` installs: ``.[extras]`` or the requirement specs."""
    found = []
    for line in lines:
        if " -m pip install" in line and "--upgrade pip" not in line:
            assert "--quiet" in line, line  # pip's own output stays quiet
            what = line.split("--disable-pip-version-check", 1)[1]
            found.append(what.replace("-e ", "").strip())
    return found


def test_every_install_is_announced_by_one_line(tmp_path):
    for target in ("demo", "dist", "lint", "typecheck", "docs", "test", "browser-test"):
        lines = dry_run(tmp_path, target)
        for i, line in enumerate(lines):
            if " -m pip install" in line and "--upgrade pip" not in line:
                before = [x for x in lines[:i] if " -m pip install" not in x]
                assert before and before[-1].startswith('echo "Installing'), (target, line)


def test_demo_installs_the_package_and_the_notebook_extras_only(tmp_path):
    assert installs(dry_run(tmp_path, "demo")) == ['".[notebook]"']


def test_dist_installs_only_the_build_tools(tmp_path):
    (specs,) = installs(dry_run(tmp_path, "dist"))
    assert "torch" not in specs and ".[" not in specs
    if tomllib is not None:
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        build = extras["optional-dependencies"]["build"]
        assert sorted(re.findall(r'"([^"]+)"', specs)) == sorted(build)


def test_lint_and_typecheck_install_their_checker_at_the_dev_pin(tmp_path):
    assert installs(dry_run(tmp_path, "lint")) == ['".[lint]"']
    assert installs(dry_run(tmp_path, "typecheck")) == ['".[typecheck]"']
    if tomllib is not None:
        extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        extras = extras["optional-dependencies"]
        assert set(extras["lint"]) <= set(extras["dev"])
        assert set(extras["typecheck"]) <= set(extras["dev"])


def test_make_test_still_installs_everything_the_tests_need(tmp_path):
    done = installs(dry_run(tmp_path, "test"))
    assert '".[dev,notebook]"' in done and '".[torch,build,bench]"' in done
    assert any(spec.startswith('"torch==') for spec in done)
