"""Shared fixtures.

Tests that render images need Graphviz's ``dot`` program. Locally they are skipped
when it is missing; under ``CI=true`` a missing ``dot`` is a failure, so the CI
run always renders.
"""

from __future__ import annotations

import os
import shutil

import pytest


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
