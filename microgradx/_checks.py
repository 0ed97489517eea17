"""Argument checks shared across the package: "a positive int", "a positive number"."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["is_positive_int", "positive_int", "positive_number"]


def is_positive_int(n: object) -> bool:
    """True for a whole number ≥ 1 (a Python or numpy int); False for a bool, a float
    such as ``3.0``, a string, or anything else."""
    return not isinstance(n, bool) and isinstance(n, (int, np.integer)) and bool(n >= 1)


def positive_int(name: str, n: object, most: int | None = None) -> int:
    """``n`` as an int if it is a whole number from 1 (to ``most``, if given), else a
    ``ValueError`` that names the argument: ``"epochs must be a positive int, got 0"``."""
    if not is_positive_int(n):
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    value = int(n)  # type: ignore[call-overload]  # an int or numpy integer, checked above
    if most is not None and value > most:
        raise ValueError(f"{name} must be at most {most:,}, got {value:,}")
    return value


def positive_number(name: str, x: object, most: float, units: tuple[str, str]) -> float:
    """``x`` as a float if it is a finite number more than 0 and at most ``most``, else a
    ``ValueError`` naming the argument in its ``units`` (long and short names):
    ``positive_number("delay", d, 3600, ("seconds", "s"))``."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"{name} must be a number of {units[0]}, got {x!r}")
    if not (math.isfinite(x) and 0 < x <= most):
        raise ValueError(f"{name} must be more than 0 and at most {most:g} {units[1]}, got {x!r}")
    return float(x)
