"""Text as drawings, captions and pages show it: numbers, user text made printable and
escaped for DOT or HTML, an op's drawn symbol."""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

import graphviz

from ..ops import OPS, local_grads_of

if TYPE_CHECKING:
    from ..engine import Value

__all__ = ["dot_text", "format_number", "html_text", "local_grads", "op_symbol", "printable"]


def format_number(x: float, precision: int = 4) -> str:
    """A number as a slide shows it: ``44``, ``0.8808``, ``-1.5``, ``2e-05``, ``nan``.

    Whole numbers show no decimals; others show at most ``precision`` decimals
    (trailing zeros dropped); very small or large ones use scientific notation.
    """
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    if 1e-3 <= abs(x) < 1e6:
        text = f"{x:.{precision}f}"
        if "." in text:  # trailing zeros of the decimals only: 10.50 -> 10.5, never 10 -> 1
            text = text.rstrip("0").rstrip(".")
        if text.lstrip("-") != "0":
            return text
        # rounds to 0 at this precision: say how small, rather than 0 or -0
    return f"{x:.{max(precision, 1)}g}"


def printable(text: object) -> str:
    """``text`` as a string a drawing, caption or page can show as it stands.

    Control characters become their visible pictures (a newline shows as ``␊``, a
    tab as ``␉``) and lone surrogates, which no file encoding can hold, become
    U+FFFD (the replacement character); everything else is kept. Escaping for DOT,
    HTML or JSON is the job of each writer; this only makes every character shown.
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(_visible(c) for c in text)


def _visible(c: str) -> str:
    code = ord(c)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if 0xD800 <= code <= 0xDFFF or (0x80 <= code < 0xA0):
        return "\ufffd"
    return c


def dot_text(text: object) -> str:
    """``text`` as a plain DOT string: shown literally, never markup.

    The graphviz package writes a string that looks like ``<...>`` as an HTML-like
    label, and DOT reads backslash sequences (``\\N``, ``\\l``) in quoted strings;
    the result is marked as plain text, with backslashes doubled and control
    characters made visible (quotes are escaped when the DOT text is written).
    """
    return graphviz.escape(printable(text))


def html_text(text: object) -> str:
    """``text`` inside an HTML-like DOT label or HTML: ``<``, ``&`` and quotes escaped."""
    return escape(printable(text), quote=True)


def local_grads(node: Value) -> tuple[float, ...]:
    """∂node/∂operand for each operand of ``node``, from the op table."""
    return local_grads_of(node)


def op_symbol(node: Value, precision: int = 4) -> str:
    """The symbol drawn in an op's oval: ``×``, ``σ``, ``^2`` for ``x ** 2``."""
    return OPS[node.op].symbol_for(node.arg, lambda x: format_number(x, precision))
