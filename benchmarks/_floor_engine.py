"""The least work a scalar autograd node can do in Python: the floor for ``bench_floor.py``.

Not part of microgradx and not an engine anyone should use: three operations (add,
mul, relu), their math written inline, an integer code per node instead of an op
table, no labels, no scopes, no switches, no error checks, and a ``backward`` that
neither resets intermediate gradients nor checks anything. Whatever a real engine
adds to this costs time, so the times measured here are about the least that any
pure-Python engine built from one object per number can reach on this interpreter.

The file is also valid input for mypyc (``bench_floor.py --compiled``), which turns
the same source into a C extension: that shows what a compiled core would give.
"""

from __future__ import annotations

ADD, MUL, RELU = 1, 2, 3


class Value:
    __slots__ = ("children", "code", "data", "grad")

    def __init__(self, data: float, code: int = 0, children: tuple[Value, ...] = ()) -> None:
        self.data = data
        self.grad = 0.0
        self.code = code
        self.children = children

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = Value(float(other))
        return Value(self.data + other.data, ADD, (self, other))

    def __radd__(self, other: float) -> Value:
        return Value(float(other)) + self

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            other = Value(float(other))
        return Value(self.data * other.data, MUL, (self, other))

    def __rmul__(self, other: float) -> Value:
        return Value(float(other)) * self

    def relu(self) -> Value:
        return Value(self.data if self.data > 0.0 else 0.0, RELU, (self,))

    def backward(self) -> None:
        """Reverse topological order (iterative depth-first search), then the chain rule.

        The search keeps, for each node on the path, an iterator over its operands still to
        visit: the fastest of the pure-Python walks measured for the engine.
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
            else:  # every operand of path[-1] is done
                order.append(path.pop())
                todo.pop()
        self.grad = 1.0
        for k in range(len(order) - 1, -1, -1):
            node = order[k]
            g = node.grad
            children = node.children
            if node.code == ADD:
                children[0].grad += g
                children[1].grad += g
            elif node.code == MUL:
                a, b = children[0], children[1]
                a.grad += b.data * g
                b.grad += a.data * g
            elif node.data > 0.0:  # RELU
                children[0].grad += g
