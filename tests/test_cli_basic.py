"""The command line exists both ways and prints help."""

from __future__ import annotations

import subprocess
import sys

from microgradx import __version__
from microgradx.cli import main


def test_main_without_command_is_a_usage_error(capsys):
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: microgradx")
    assert "error: give a command: graph, gradcheck, train, demo" in captured.err
    done = subprocess.run([sys.executable, "-m", "microgradx"], capture_output=True, text=True)
    assert done.returncode == 2 and "usage: microgradx" in done.stderr


def test_python_dash_m_prints_version():
    out = subprocess.run(
        [sys.executable, "-m", "microgradx", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"microgradx {__version__}"
