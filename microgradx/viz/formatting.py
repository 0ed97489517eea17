"""Numbers as a slide shows them: one function, used by drawings, names and captions."""

from __future__ import annotations

import math

__all__ = ["format_number"]


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
