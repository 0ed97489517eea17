"""What the engine takes as a number: a real number, never ``bool``, ``str``, ``None``.

``Value(2)``, ``x * 3`` and ``x ** 0.5`` take Python's ``int`` and ``float`` and
numpy's real scalars (``np.float32(1.5)``, ``np.int64(2)``); ``bool`` (a Python
``int`` underneath), strings, ``None`` and complex numbers raise ``TypeError``
naming their type, never a deep traceback.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

__all__ = ["REALS", "to_float"]

#: The real-number types (``bool`` is among them, as a subclass of ``int``: check it apart).
REALS = (Real, np.integer, np.floating)


def to_float(x: object) -> float:
    """``x`` as a float if it is a real number; TypeError naming its type otherwise."""
    if isinstance(x, bool) or not isinstance(x, REALS):
        raise TypeError(
            f"expected a real number (int or float), got {type(x).__name__}: {x!r:.40}"
        )
    return float(x)
