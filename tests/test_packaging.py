"""Packaging: the wheel and sdist a user installs, checked by installing the wheel.

The wheel is built from this source tree, installed into a new virtual environment
and run as ``microgradx demo`` from a directory outside the tree, with no source
tree on the path. The environment gets the wheel's required dependencies (numpy,
graphviz) by linking the copies already installed here, so the test needs no
network and no package index.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist and wheel ``python -m build`` makes from this tree."""
    out = tmp_path_factory.mktemp("dist")
    result = _run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("microgradx-*.whl"))
    sdists = list(out.glob("microgradx-*.tar.gz"))
    assert len(wheels) == 1, list(out.iterdir())
    assert len(sdists) == 1, list(out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


def _wheel_metadata(wheel: Path) -> dict:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(zf.read(name).decode())


def test_wheel_holds_the_package_with_py_typed_and_nothing_else(dist):
    with zipfile.ZipFile(dist["wheel"]) as zf:
        names = zf.namelist()
    assert "microgradx/py.typed" in names
    for page_file in (
        "lesson.js",
        "lesson.css",
        "lesson.html",
        "replay.js",
        "replay.css",
        "replay.html",
    ):  # the pages' script, style and markup files
        assert f"microgradx/viz/static/{page_file}" in names
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "microgradx").rglob("*.py")}
    assert sources <= set(names), sources - set(names)
    tops = {n.split("/")[0] for n in names}
    assert tops == {"microgradx", "microgradx-0.1.0.dist-info"}, tops
    assert not [n for n in names if n.endswith(".ipynb") or "/tests/" in n or "test_" in n]


def test_wheel_metadata_declares_dependencies_extras_and_the_command(dist):
    meta = _wheel_metadata(dist["wheel"])
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist")]
    required = {r.name for r in requires if r.marker is None}
    assert required == {"numpy", "graphviz", "threadpoolctl"}
    extras = set(meta.get_all("Provides-Extra"))
    assert {"torch", "plot", "docs"} <= extras
    torch = [r for r in requires if r.name == "torch"]
    assert torch and torch[0].marker.evaluate({"extra": "torch"})
    with zipfile.ZipFile(dist["wheel"]) as zf:
        entry_points = zf.read("microgradx-0.1.0.dist-info/entry_points.txt").decode()
    assert "microgradx = microgradx.cli:main" in entry_points


def test_sdist_holds_sources_tests_and_docs_of_the_package(dist):
    with tarfile.open(dist["sdist"]) as tf:
        names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    for needed in ("pyproject.toml", "README.md", "LICENSE", "microgradx/py.typed"):
        assert needed in names
    assert any(n.startswith("tests/test_") for n in names)
    assert not [n for n in names if n.startswith((".venv", "build/", "dist/", ".ci"))]


def _link_dependencies(meta, target: Path) -> None:
    """Link the installed files of the wheel's required dependencies into ``target``."""
    target.mkdir()
    for req in (Requirement(r) for r in meta.get_all("Requires-Dist")):
        if req.marker is not None:
            continue
        dist = metadata.distribution(req.name)
        base = Path(dist.locate_file(""))
        for top in {Path(str(f)).parts[0] for f in dist.files or []}:
            source = base / top
            if top not in ("..", "bin") and source.exists() and not (target / top).exists():
                (target / top).symlink_to(source)


def test_installed_wheel_runs_the_demo_outside_the_source_tree(dist, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    install = _run([*pip, "--no-deps", "--no-index", str(dist["wheel"])])
    assert install.returncode == 0, install.stdout + install.stderr
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_run([str(python), "-c", purelib]).stdout.strip())
    deps = tmp_path / "deps"
    _link_dependencies(_wheel_metadata(dist["wheel"]), deps)
    (site / "dependencies.pth").write_text(f"{deps}\n")

    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    where = _run(
        [str(python), "-c", "import microgradx, sys; print(microgradx.__file__); print(sys.path)"],
        cwd=work,
        env=env,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.splitlines()[0].startswith(str(site / "microgradx"))
    assert str(ROOT) not in where.stdout  # no source tree on the path

    demo = _run(
        [str(env_dir / "bin" / "microgradx"), "demo", "--epochs", "3", "--no-progress"],
        cwd=work,
        env=env,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "44" in demo.stdout  # the lecture example's value f = (5 + 3·2)·4
    made = {p.name for p in (work / "microgradx-demo").iterdir()}
    assert made, demo.stdout
