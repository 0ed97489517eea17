"""Keeping CPython's cyclic garbage collector out of graph building and backward.

Values form no reference cycles (a node holds a tuple of its operands, never a
closure over itself), so reference counting alone frees every graph. The cyclic
collector still visits them: every Value and every operands tuple is a tracked
container, and each full collection walks all of them. While a large graph grows,
those walks cost more than building the graph (see the README's performance section).

:func:`gc_paused` switches the collector off for the length of a block and then
restores the state it found. The library wraps its own work in it (``backward``,
``fit``, model calls, tape compilation, drawing, parsing); users can wrap their own
hand-written loops in it, as an explicit, documented choice::

    with microgradx.gc_paused():
        for k in range(100):
            loss = ...           # build the graph
            loss.backward()

Why this is safe:

* Nothing is lost. Objects are still freed by reference counting the moment they
  become unreachable; only garbage *cycles* made by other code wait, and the first
  collection after the block finds them (it comes at once: the allocation counts
  keep running while paused). ``gc.collect()`` still works inside a block.
* The state is restored, and only by the block that changed it. A block that finds
  the collector on switches it off and back on when it ends; a block that finds it
  off (nested in another, overlapping one in another thread, or in a program that
  runs with ``gc.disable()``) leaves it alone. So blocks nest freely, a program that
  keeps the collector off keeps it off, and no block can leave it off. There is one
  collector per interpreter: while a block runs, other threads run without it too;
  and if the block that switched it off ends first, an overlapping block in another
  thread finishes with the collector on (slower, never wrong).
* It is bounded. Outside the library's calls and the user's own ``with`` blocks the
  interpreter behaves exactly as before.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

__all__ = ["gc_paused", "paused"]

F = TypeVar("F", bound=Callable)

_isenabled, _disable, _enable = gc.isenabled, gc.disable, gc.enable


class gc_paused:  # lower case: used like a function, ``with gc_paused():``
    """A block in which CPython's cyclic garbage collector does not run.

    Building a large graph of Values is several times faster inside it;
    ``backward``, ``fit``, model calls, ``compile``, drawing and parsing already
    pause the collector for their own work. On exit the state found on entry is
    restored; blocks nest. Also a decorator: ``@gc_paused()``.
    """

    __slots__ = ("_switched",)

    def __init__(self) -> None:
        self._switched = False

    def __enter__(self) -> gc_paused:
        self._switched = _isenabled()
        if self._switched:
            _disable()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._switched:
            self._switched = False
            _enable()

    def __call__(self, function: F) -> F:
        """Use as a decorator: every call runs with the collector paused."""
        return paused(function)

    def __repr__(self) -> str:
        return "microgradx.gc_paused()"


def paused(function: F) -> F:
    """Decorator for the library's own work: run ``function`` with the collector paused.

    The same rule as :class:`gc_paused`, written out to cost about 0.25 µs a call
    (``backward`` on the 3-node lecture graph takes about 2 µs).
    """

    @wraps(function)
    def wrapper(*args, **kwargs):
        if not _isenabled():  # already paused, or switched off by the program
            return function(*args, **kwargs)
        _disable()
        try:
            return function(*args, **kwargs)
        finally:
            _enable()

    return wrapper  # type: ignore[return-value]
