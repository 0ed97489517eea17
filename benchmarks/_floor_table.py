"""The floor with an op table: ``_floor_engine.py`` plus the one rule every op obeys here.

``bench_floor.py`` compares microgradx with the least work a node can do in Python
(``_floor_engine.py``: the math of add, mul and relu written inline). microgradx's
design asks for more than that on purpose: every op is one row of a table (forward
and local derivative side by side), and both passes look the op up instead of
branching on it, so a new op is one row and nothing else changes. This file is the
floor with exactly that added and nothing more: a node stores its row, the forward
pass calls ``row.f(a, b)``, the backward pass calls ``row.df(out, a, b)`` and applies
``operand.grad += local · node.grad``. No labels, scopes, switches, checks or
IEEE handling.

So ``microgradx / table floor`` measures what the rest of microgradx costs (labels,
scopes, switches, error checks, inf and nan), and ``table floor / floor`` what the
table itself costs.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import add, mul


class Row:
    """One op: its forward on floats and its local derivatives ``df(out, *operands)``."""

    __slots__ = ("df", "f")

    def __init__(self, f: Callable[..., float], df: Callable[..., tuple[float, ...]]) -> None:
        self.f = f
        self.df = df


ADD = Row(add, lambda out, a, b: (1.0, 1.0))
MUL = Row(mul, lambda out, a, b: (b, a))
RELU = Row(lambda a: a if a > 0.0 else 0.0, lambda out, a: (1.0 if a > 0.0 else 0.0,))


class Value:
    __slots__ = ("children", "data", "grad", "op")

    def __init__(self, data: float, op: Row | None = None, children: tuple = ()) -> None:
        self.data = data
        self.grad = 0.0
        self.op = op
        self.children = children

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = Value(float(other))
        return Value(ADD.f(self.data, other.data), ADD, (self, other))

    def __radd__(self, other: float) -> Value:
        return Value(float(other)) + self

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = Value(float(other))
        return Value(MUL.f(self.data, other.data), MUL, (self, other))

    def __rmul__(self, other: float) -> Value:
        return Value(float(other)) * self

    def relu(self) -> Value:
        return Value(RELU.f(self.data), RELU, (self,))

    def backward(self) -> None:
        """The floor's walk, then the chain rule with the local derivatives from the row.

        The walk is the floor's, line for line (not imported: each floor is one file that
        runs on its own), so that the two floors differ only in the table.
        """
        order: list[Value] = []
        visited = {self}
        path = [self]
        todo = [iter(self.children)]
        while path:
            for child in todo[-1]:
                if child.children and child not in visited:
                    visited.add(child)
                    path.append(child)
                    todo.append(iter(child.children))
                    break
            else:
                order.append(path.pop())
                todo.pop()
        self.grad = 1.0
        for k in range(len(order) - 1, -1, -1):
            node = order[k]
            g = node.grad
            children = node.children
            if len(children) == 2:
                a, b = children
                da, db = node.op.df(node.data, a.data, b.data)
                a.grad += da * g
                b.grad += db * g
            else:
                (a,) = children
                (da,) = node.op.df(node.data, a.data)
                a.grad += da * g
