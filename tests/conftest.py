"""Shared fixtures: Graphviz, the lecture graph, one demo run, hypothesis profiles.

Tests that render images need Graphviz's ``dot`` program. Locally they are skipped
when it is missing; under ``CI=true`` a missing ``dot`` is a failure, so the CI
run always renders.

Property tests run derandomized (a fixed seed) when ``CI`` is set, or with
``HYPOTHESIS_PROFILE=ci``; otherwise each run explores new examples.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import settings

from microgradx import Value
from microgradx.demo import lecture_example


@pytest.fixture
def dot_program() -> str:
    """Path of Graphviz's ``dot``; skips (fails under CI=true) when it is missing."""
    path = shutil.which("dot")
    if path:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("Graphviz's dot program is missing in CI: apt-get install graphviz")
    pytest.skip("Graphviz's dot program is not installed")


@pytest.fixture
def no_dot(tmp_path, monkeypatch) -> None:
    """Hide Graphviz's ``dot`` by pointing PATH at an empty directory."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


# --- the lecture graph ------------------------------------------------------------------


class Lecture(NamedTuple):
    """The lecture graph f = (w + x·y)·z at w=5, x=3, y=2, z=4, with v = x·y, u = w + v."""

    f: Value
    nodes: dict[str, Value]


def build_lecture(backward: bool = False) -> Lecture:
    """A fresh lecture graph, every node labelled; ``backward=True`` also runs f.backward()."""
    f, (w, x, y, z) = lecture_example(backward=backward)
    u = f.children[0]  # f = u·z
    v = u.children[1]  # u = w + v
    return Lecture(f, dict(w=w, x=x, y=y, z=z, v=v, u=u, f=f))


@pytest.fixture
def lecture() -> Callable[..., Lecture]:
    """Builds the lecture graph afresh at each call: ``f, nodes = lecture()``."""
    return build_lecture


# --- one chain a million operations deep, built once -----------------------------------


class Chain(NamedTuple):
    """``x + x + ... + x``: ``n`` additions on one leaf ``x = 0.5``, so ``output = (n + 1)·x``."""

    x: Value
    output: Value
    n: int


@pytest.fixture(scope="session")
def million_chain() -> Chain:
    """A chain 1,000,000 operations deep, built once for every test that walks one."""
    n = 1_000_000
    x = Value(0.5, "x")
    v = x
    for _ in range(n):
        v = v + x
    return Chain(x, v, n)


# --- one demo run for the whole session ----------------------------------------------


class DemoRun(NamedTuple):
    """``microgradx demo --epochs 3`` run once: its directory, printed text and status.

    ``dot`` says whether Graphviz's ``dot`` program was there (an SVG drawing) or not
    (DOT text).
    """

    out: Path
    text: str
    status: int
    dot: bool


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> DemoRun:
    """The demo, run once per session (with Graphviz when it is installed)."""
    from microgradx.cli import main

    out = tmp_path_factory.mktemp("demo")
    dot = shutil.which("dot") is not None
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        status = main(["demo", "-o", str(out), "--epochs", "3", "--no-progress"])
    return DemoRun(out, buffer.getvalue(), status, dot)


# --- property tests ----------------------------------------------------------------------

# Under CI, hypothesis draws its examples from a fixed seed, so a run never fails by chance.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)


# --- seconds per notebook ----------------------------------------------------------------


def pytest_terminal_summary(terminalreporter) -> None:
    """After the tests, list each notebook run (an ``.ipynb`` item) with its seconds."""
    seconds: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            path = getattr(report, "nodeid", "").split("::")[0]
            if getattr(report, "when", None) == "call" and path.endswith(".ipynb"):
                seconds[path] = report.duration
    if seconds:
        terminalreporter.write_sep("=", "seconds per notebook")
        for path, s in sorted(seconds.items(), key=lambda kv: -kv[1]):
            terminalreporter.write_line(f"{s:6.1f} s  {path}")
