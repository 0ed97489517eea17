"""The autograd engine: a ``Value`` per number, and backpropagation through them.

Forward: every arithmetic operation on Values makes a new ``Value`` that remembers
the operation's name (``op``) and its operands (``children``). Together they form a
computational graph.

Backward: ``out.backward()`` visits the graph from the output to the inputs (reverse
topological order) and applies the chain rule at every node::

    operand.grad += local_gradient * node.grad

``node.grad`` is the upstream gradient ∂out/∂node, ``local_gradient`` is ∂node/∂operand
(looked up in the op table, :mod:`microgradx.ops`), and ``+=`` sums the contributions
of every path through which an operand reaches the output.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from numbers import Real

import numpy as np

from ._gc import paused
from .graph import topological_order
from .ops import MATH_ERRORS, OPS, Op

__all__ = ["Value", "detect_anomaly", "dot", "is_grad_enabled", "no_grad", "scope", "sum"]

# Global switches, changed by the context managers at the end of this module.
_grad_enabled = True  # False inside no_grad(): results record no operands
_anomaly = False  # True inside detect_anomaly(): non-finite numbers raise
_scope: str | None = None  # "layer0/neuron3" inside scope("layer0"), scope("neuron3")


class Value:
    """A scalar in a computational graph: its value, its gradient, and its history.

    Attributes:
        data: the number (a float).
        grad: ∂(output)/∂(this value) after ``output.backward()``; starts at 0.
        label: a name for drawings and error messages ("" if none).
        op: the name of the operation that made it ("" for a leaf).
        children: the operands of that operation, in order (``()`` for a leaf).
        param: the op's extra number, if any (the exponent of ``x ** 2``,
            the slope of ``leaky_relu``), else ``None``.
        scope: the :func:`scope` it was created in ("" if none).
        is_param: marked as a trainable parameter (``nn`` marks its weights).

    Example::

        >>> x, y = Value(3.0, label="x"), Value(2.0, label="y")
        >>> f = x * y + x
        >>> f.backward()
        >>> x.grad, y.grad  # ∂f/∂x = y + 1, ∂f/∂y = x
        (3.0, 3.0)
    """

    __slots__ = ("children", "data", "grad", "is_param", "label", "op", "param", "scope")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            data = _to_float(data)
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self.op = ""
        self.children: tuple[Value, ...] = ()
        self.param: float | None = None
        self.scope = _scope or ""
        self.is_param = False

    # --- building the graph ---------------------------------------------------

    @staticmethod
    def _make(op: Op, children: tuple[Value, ...], param: float | None = None) -> Value:
        """Apply ``op`` to ``children`` and record the new node in the graph."""
        if len(children) == 2 and param is None:  # most nodes; unrolled for speed
            args = (children[0].data, children[1].data)
        else:
            args = _operand_data(children, param)
        try:
            data = op.f(*args)
        except MATH_ERRORS:  # e.g. 1/0: give IEEE inf/nan, as numpy does
            data = op.forward(*args)
        out = Value.__new__(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        if _grad_enabled:
            out.op = op.name
            out.children = children
        else:  # no_grad(): the result is a constant, not part of any graph
            out.op = ""
            out.children = ()
        out.param = param
        out.scope = _scope or ""
        out.is_param = False
        if _anomaly and not math.isfinite(data):
            _report_anomaly(f"forward of {op.name!r} gave {data}", op, children, param)
        return out

    def __add__(self, other: ValueLike) -> Value:
        return Value._make(_ADD, (self, _as_value(other)))

    def __radd__(self, other: ValueLike) -> Value:
        return Value._make(_ADD, (_as_value(other), self))

    def __sub__(self, other: ValueLike) -> Value:
        return Value._make(_SUB, (self, _as_value(other)))

    def __rsub__(self, other: ValueLike) -> Value:
        return Value._make(_SUB, (_as_value(other), self))

    def __mul__(self, other: ValueLike) -> Value:
        return Value._make(_MUL, (self, _as_value(other)))

    def __rmul__(self, other: ValueLike) -> Value:
        return Value._make(_MUL, (_as_value(other), self))

    def __truediv__(self, other: ValueLike) -> Value:
        return Value._make(_DIV, (self, _as_value(other)))

    def __rtruediv__(self, other: ValueLike) -> Value:
        return Value._make(_DIV, (_as_value(other), self))

    def __pow__(self, exponent: ValueLike) -> Value:
        """``self ** exponent``; a number exponent is kept as the op's parameter."""
        if isinstance(exponent, Value):
            return Value._make(_POW, (self, exponent))
        return Value._make(_POW, (self,), _to_float(exponent))

    def __rpow__(self, base: ValueLike) -> Value:
        return Value._make(_POW, (_as_value(base), self))

    def __neg__(self) -> Value:
        return Value._make(_NEG, (self,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return Value._make(OPS["abs"], (self,))

    def exp(self) -> Value:
        """e^x. Local gradient: e^x."""
        return Value._make(OPS["exp"], (self,))

    def log(self) -> Value:
        """Natural logarithm ln x. Local gradient: 1/x."""
        return Value._make(OPS["log"], (self,))

    def tanh(self) -> Value:
        """tanh x. Local gradient: 1 − tanh(x)²."""
        return Value._make(OPS["tanh"], (self,))

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^−x). Local gradient: σ(x)·(1 − σ(x))."""
        return Value._make(OPS["sigmoid"], (self,))

    def relu(self) -> Value:
        """max(0, x). Local gradient: 1 if x > 0 else 0 (so relu'(0) = 0)."""
        return Value._make(OPS["relu"], (self,))

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope·x. Local gradient: 1 if x > 0 else slope."""
        return Value._make(OPS["leaky_relu"], (self,), _to_float(slope))

    def max(self, other: ValueLike) -> Value:
        """The larger of the two; backward sends the gradient to it (split on a tie)."""
        return Value._make(OPS["max"], (self, _as_value(other)))

    def min(self, other: ValueLike) -> Value:
        """The smaller of the two; backward sends the gradient to it (split on a tie)."""
        return Value._make(OPS["min"], (self, _as_value(other)))

    # --- backpropagation --------------------------------------------------------

    @paused  # no cycles to find here: keep the cyclic collector out (see _gc.py)
    def backward(self, grad: float = 1.0) -> None:
        """Fill in ``.grad`` of every Value below this one: ∂self/∂value.

        ``grad`` is the gradient of the final output with respect to ``self``
        (1.0 when ``self`` is the output). Gradients of leaves *accumulate* over
        calls (call :meth:`zero_grad` to reset them); gradients of intermediate
        nodes are reset at the start of every call.
        """
        if type(grad) is not float:
            grad = _to_float(grad)
        # Every node made by an operation, output first; each comes before its operands,
        # so a node's gradient is complete before it is passed on.
        order = topological_order(self, reverse=True, leaves=False)
        for node in order:
            node.grad = 0.0
        self.grad += grad
        for node in order:
            upstream = node.grad  # ∂out/∂node, complete: every user of node came earlier
            rule = OPS[node.op]
            children = node.children
            # The chain rule, for each operand:
            #     ∂out/∂operand += ∂node/∂operand · ∂out/∂node
            # where the local gradients ∂node/∂operand come from the op table (ops.py).
            if len(children) == 2 and node.param is None:
                # Most nodes have two operands: the loop below, unrolled for speed.
                a, b = children
                try:
                    da, db = rule.df(node.data, a.data, b.data)
                except MATH_ERRORS:  # e.g. ∂(a/b)/∂b at b = 0: IEEE inf, not an exception
                    da, db = rule.local_grads(node.data, a.data, b.data)
                a.grad += da * upstream
                b.grad += db * upstream
            else:
                args = _operand_data(children, node.param)
                for child, local in zip(children, rule.local_grads(node.data, *args)):
                    child.grad += local * upstream
            if _anomaly:
                _check_grads(node)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 for this Value and every Value below it."""
        for node in topological_order(self):
            node.grad = 0.0

    # --- conveniences --------------------------------------------------------------

    @property
    def is_leaf(self) -> bool:
        """True for inputs, parameters and constants (no operands)."""
        return not self.children

    def draw(self, **options):
        """Draw the graph below this Value; see :func:`microgradx.draw`."""
        from .viz import draw  # drawing sits above the engine; imported on use

        return draw(self, **options)

    def __float__(self) -> float:
        return self.data

    def __repr__(self) -> str:
        text = f"Value(data={self.data!r}, grad={self.grad!r}"
        if self.label:
            text += f", label={self.label!r}"
        elif self.op:
            text += f", op={self.op!r}"
        return text + ")"


ValueLike = Value | float | int

_ADD, _SUB, _MUL, _DIV = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"]
_POW, _NEG, _SUM = OPS["pow"], OPS["neg"], OPS["sum"]


def _operand_data(children: tuple[Value, ...], param: float | None) -> tuple:
    """The numbers an op's rules take: each operand's data, then the parameter."""
    args = tuple([c.data for c in children])
    return args if param is None else (*args, param)


def _to_float(x: object) -> float:
    """``x`` as a float if it is a real number; TypeError naming its type otherwise."""
    if isinstance(x, bool) or not isinstance(x, (Real, np.integer, np.floating)):
        raise TypeError(
            f"expected a real number (int or float), got {type(x).__name__}: {x!r:.40}"
        )
    return float(x)


def _as_value(x: object) -> Value:
    """``x`` itself if it is a Value, else a constant leaf holding it."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, (Real, np.integer, np.floating)):
        raise TypeError(
            f"unsupported operand type {type(x).__name__!r}: operands must be Value, int or float"
        )
    return Value(float(x))


def sum(values: Iterable[ValueLike]) -> Value:  # noqa: A001 - mirrors numpy.sum
    """One ``Σ`` node adding all ``values``: ∂(a₁+…+aₙ)/∂aᵢ = 1.

    Unlike Python's ``sum``, which builds a chain of n−1 additions, this makes a
    single node, so drawings of neurons stay small and backward is faster.
    """
    children = tuple(_as_value(v) for v in values)
    if not children:
        return Value(0.0)
    return Value._make(_SUM, children)


def dot(weights: Iterable[ValueLike], inputs: Iterable[ValueLike]) -> Value:
    """Σ wᵢ·xᵢ as one ``Σ`` node over the products (a neuron's weighted sum)."""
    weights, inputs = list(weights), list(inputs)
    if len(weights) != len(inputs):
        raise ValueError(f"dot: {len(weights)} weights but {len(inputs)} inputs")
    return sum(_as_value(w) * x for w, x in zip(weights, inputs))


# --- context managers ------------------------------------------------------------


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, operations record no operands: results are constants.

    Use it for optimizer updates and for evaluation, where no backward follows.
    """
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = previous


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad`."""
    return _grad_enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block, the first inf or nan raises ``FloatingPointError``.

    The error names the operation, its inputs and their labels, both for forward
    values and for gradients computed by ``backward``.
    """
    global _anomaly
    previous, _anomaly = _anomaly, True
    try:
        yield
    finally:
        _anomaly = previous


@contextmanager
def scope(name: str) -> Iterator[str]:
    """Tag every Value created inside with ``name`` (nested scopes join with ``/``).

    Drawings can cluster or collapse each scope, e.g. one box per neuron.
    Yields the full scope path.
    """
    global _scope
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"scope name must be a non-empty str without '/', got {name!r}")
    previous = _scope
    _scope = f"{previous}/{name}" if previous else name
    try:
        yield _scope
    finally:
        _scope = previous


def _describe(v: Value) -> str:
    name = f"{v.label!r}=" if v.label else ""
    return f"{name}{v.data!r}"


def _report_anomaly(what: str, op: Op, children: tuple[Value, ...], param) -> None:
    inputs = ", ".join(_describe(c) for c in children)
    extra = f", parameter {param!r}" if param is not None else ""
    raise FloatingPointError(f"{what}; {op.name}({inputs}{extra})")


def _check_grads(node: Value) -> None:
    for child in node.children:
        if not math.isfinite(child.grad):
            who = f" of {child.label!r}" if child.label else ""
            _report_anomaly(
                f"backward of {node.op!r} gave gradient {child.grad}{who} "
                f"(upstream gradient {node.grad!r})",
                OPS[node.op],
                node.children,
                node.param,
            )
