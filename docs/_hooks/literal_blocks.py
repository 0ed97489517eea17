"""Docstrings write examples as reST literal blocks (``Example::`` and an indented block),
which read well in ``help()``; on the API pages each becomes a fenced code block.

``Example::`` turns into ``Example:`` (``text ::`` into ``text``) and the indented block
after it into a fenced block at the paragraph's indentation.
"""

from __future__ import annotations

from typing import Any

try:
    import griffe

    _Extension: type = griffe.Extension
except ImportError:  # the tests read literal_blocks_to_fences without the docs tools
    _Extension = object


def literal_blocks_to_fences(text: str) -> str:
    """``text`` with every reST literal block (a paragraph ending ``::``) fenced."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.rstrip()
        if not stripped.endswith("::"):
            out.append(line)
            i += 1
            continue
        head = stripped[:-2]
        head = head.rstrip() if head.endswith(" ") or not head.strip() else head + ":"
        indent = len(line) - len(line.lstrip())
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        block_start = j
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
        ):
            j += 1
        while j > block_start and not lines[j - 1].strip():
            j -= 1
        block = lines[block_start:j]
        if not block:  # "::" with nothing indented after it: leave the line alone
            out.append(line)
            i += 1
            continue
        if head.strip():
            out += [head, ""]
        cut = min(len(b) - len(b.lstrip()) for b in block if b.strip())
        pad = " " * indent
        out.append(pad + "```python")
        out += [pad + b[cut:] if b.strip() else "" for b in block]
        out.append(pad + "```")
        i = j
    return "\n".join(out)


class LiteralBlocks(_Extension):
    """Fence reST literal blocks in every docstring mkdocstrings renders."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = literal_blocks_to_fences(obj.docstring.value)
