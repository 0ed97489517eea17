"""``Value`` as micrograd shows it: the same constructor, repr, ``_op`` and ``backward``.

Every operation on these Values is microgradx's own (the op table, the chain-rule step
:meth:`microgradx.Value._backward`); results are returned as this class, so a graph
built from them prints and backpropagates the micrograd way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .. import engine
from ..graph import topological_order
from ..ops import OPS

__all__ = ["Value"]

# micrograd's names for the ops it has; the others show microgradx's symbol.
_MICROGRAD_OPS = {"add": "+", "sum": "+", "mul": "*", "relu": "ReLU", "tanh": "tanh", "exp": "exp"}


def _number_text(x: float) -> str:
    """``2`` for 2.0 (as micrograd's ``'**2'`` from ``x**2``), else the float."""
    return str(int(x)) if x.is_integer() else str(x)


class Value(engine.Value):
    """A microgradx Value with micrograd's face (see :mod:`microgradx.micrograd`).

    ``Value(data, _children=(), _op='', label='')``: ``_children`` and ``_op`` are
    accepted for micrograd's signature, but a Value records its operands itself
    (``a + b``), so they must be empty.
    """

    __slots__ = ()

    def __init__(
        self, data: float, _children: Iterable[object] = (), _op: str = "", label: str = ""
    ) -> None:
        if tuple(_children) or _op:
            raise TypeError(
                "Value(data, _children, _op): operands are recorded by the operations "
                "themselves; build the node with them (a + b, a * b, a.tanh())"
            )
        super().__init__(data, label)

    @property
    def _op(self) -> str:
        """micrograd's text for the op that made this Value (``'*'``, ``'**2'``); ``''``."""
        if not self.children:
            return ""
        if self.op == "pow" and self.arg is not None:
            return f"**{_number_text(self.arg)}"
        return _MICROGRAD_OPS.get(self.op, OPS[self.op].symbol)

    def backward(self, grad: float = 1.0) -> None:
        """micrograd's backward: ``self.grad = 1``, then the chain-rule step at every
        node, output first. Gradients *add* up everywhere (intermediate ones too):
        zero them, or build the graph again, before another call."""
        self.grad = float(grad)
        for node in topological_order(self, reverse=True, leaves=False):
            node._backward()

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # micrograd builds these from +, × and **: a − b is a + (b·−1), a / b is a·b⁻¹. The
    # same graph gives the same numbers (backward() twice included) and the same _op texts.
    def __neg__(self) -> engine.Value:
        return self * -1

    def __radd__(self, other: engine.ValueLike) -> engine.Value:
        return self + other

    def __rmul__(self, other: engine.ValueLike) -> engine.Value:
        return self * other

    def __sub__(self, other: engine.ValueLike) -> engine.Value:
        return self + (-other)

    def __rsub__(self, other: engine.ValueLike) -> engine.Value:
        return other + (-self)

    def __truediv__(self, other: engine.ValueLike) -> engine.Value:
        return self * other**-1

    def __rtruediv__(self, other: engine.ValueLike) -> engine.Value:
        return other * self**-1

    def __bool__(self) -> bool:
        """True, as any micrograd Value (microgradx's Value follows its number)."""
        return True


def _returning_face(name: str) -> Callable[..., Value]:
    """``Value.<name>`` of microgradx, returning its result as a micrograd-face Value."""
    method = getattr(engine.Value, name)

    def face(self: Value, *args: object, **kwargs: object) -> Value:
        out = method(self, *args, **kwargs)
        out.__class__ = Value  # same slots: only the face changes
        return out

    face.__name__ = face.__qualname__ = name
    face.__doc__ = method.__doc__
    return face


_OPERATORS = ["__add__", "__mul__", "__pow__", "__rpow__", "__abs__"]  # the others: above
for _name in _OPERATORS + [op.name for op in OPS.values() if op.method]:
    setattr(Value, _name, _returning_face(_name))
