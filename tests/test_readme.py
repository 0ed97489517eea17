"""Every Python block of the README runs on its own, as written, in a fresh process.

A block of ``>>>`` lines is a doctest: each line's output must be the one shown. Any
other ``python`` block is a script that must run without error. Each block runs in a
new interpreter in an empty temporary folder, so no block leans on another and
files a block writes land nowhere else.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [
    (README[: found.start()].count("\n") + 2, found.group(1))
    for found in re.finditer(r"^```python\n(.*?)^```", README, re.S | re.M)
]

DOCTEST = """
import doctest, sys
text = sys.stdin.read()
test = doctest.DocTestParser().get_doctest(text, {}, "README", "README.md", 0)
runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
runner.run(test)
sys.exit(1 if runner.failures else 0)
"""


def test_the_readme_has_python_blocks():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize(("line", "code"), BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_readme_block_runs_on_its_own(line, code, tmp_path):
    is_doctest = any(row.startswith(">>> ") for row in code.splitlines())
    program = DOCTEST if is_doctest else code
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-c", program],
        input=code if is_doctest else "",
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, f"README.md line {line}:\n{done.stdout}{done.stderr}"
