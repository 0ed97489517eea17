"""The command line exists both ways and prints help."""

from __future__ import annotations

import subprocess
import sys

from microgradx import __version__
from microgradx.cli import main


def test_main_without_command_prints_help(capsys):
    assert main([]) == 0
    assert "usage: microgradx" in capsys.readouterr().out


def test_python_dash_m_prints_version():
    out = subprocess.run(
        [sys.executable, "-m", "microgradx", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"microgradx {__version__}"
