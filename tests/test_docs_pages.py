"""The getting-started page reads at 1280 px without scrolling code sideways.

At 1280 px the theme's content column shows about 72 characters of code (measured in
headless Chromium); every code line of the page stays within 64, a margin for fonts.
"""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "getting-started.md"
MOST = 64


def test_getting_started_code_lines_fit_the_column():
    text = PAGE.read_text(encoding="utf-8")
    blocks = re.findall(r"^```\w*\n(.*?)^```", text, re.S | re.M)
    assert len(blocks) >= 3
    long = [line for block in blocks for line in block.splitlines() if len(line) > MOST]
    assert long == []
