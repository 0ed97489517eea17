"""What a ``Value`` offers besides the math: numbers and text out, drawings, micrograd's names.

:class:`Conveniences` is mixed into :class:`microgradx.Value`: ``float(v)``,
``int(v)``, ``bool(v)`` and ``f"{v:.2f}"`` read ``data``; ``repr(v)`` shows ``data``,
``grad`` and the label (or the op); ``v.draw()`` and ``v.draw_dot()`` draw the graph
below ``v`` (the drawing package sits above the engine and is imported on first use,
in :func:`_viz` only); ``v._prev`` and ``v._op`` are micrograd's names for the
operands and the op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .ops import OPS

__all__ = ["Conveniences"]

if TYPE_CHECKING:
    from .engine import Value


class Conveniences:
    """Conversions, repr, drawings and micrograd's names for a class with Value's fields."""

    __slots__ = ()

    if TYPE_CHECKING:  # the fields of the class that mixes this in
        data: float
        grad: float
        label: str
        op: str
        children: tuple[Value, ...]
        arg: float | None

    @property
    def param(self) -> float | None:
        """Deprecated name of :attr:`arg` (the op's extra number), kept for old code."""
        return self.arg

    # micrograd's names, read-only, so a lecture's drawing code runs unchanged.
    @property
    def _prev(self) -> set[Value]:
        """The operands as a set, as micrograd names them (:attr:`children` keeps their order)."""
        return set(self.children)

    @property
    def _op(self) -> str:
        """The op's symbol (``"×"``, ``"+"``), where micrograd keeps ``"*"``; ``""`` for a leaf."""
        return OPS[self.op].symbol if self.children else ""

    @property
    def is_leaf(self) -> bool:
        """True for inputs, parameters and constants (no operands)."""
        return not self.children

    def draw(self, **options):
        """Draw the graph below this Value; see :func:`microgradx.draw`."""
        return _viz().draw(self, **options)

    def draw_dot(self, format: str = "svg", rankdir: str = "LR"):  # noqa: A002
        """The drawing as a ``graphviz.Digraph``; see :func:`microgradx.draw_dot`."""
        return _viz().draw_dot(self, format=format, rankdir=rankdir)

    def __float__(self) -> float:
        return self.data

    # bool, int and format follow the float in ``data``, as ``float(v)`` does.
    def __bool__(self) -> bool:
        """False exactly when ``data`` is 0 (as ``bool(0.0)``; nan is True)."""
        return bool(self.data)

    def __int__(self) -> int:
        """``int(data)``: truncates toward 0; inf and nan raise as for a float."""
        return int(self.data)

    def __format__(self, spec: str) -> str:
        """``f"{v:.2f}"`` formats ``data``; an empty spec gives ``str(v)``."""
        return format(self.data, spec) if spec else str(self)

    def __repr__(self) -> str:
        text = f"Value(data={self.data!r}, grad={self.grad!r}"
        if self.label:
            text += f", label={self.label!r}"
        elif self.op:
            text += f", op={self.op!r}"
        return text + ")"


def _viz() -> Any:
    """The drawing package, which sits above the engine: imported on first use, here only."""
    from . import viz

    return viz
