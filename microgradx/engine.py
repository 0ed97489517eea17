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
from collections.abc import Iterable

from ._gc import paused
from .conveniences import Conveniences
from .copying import Copyable
from .copying import _leaf_from_fields as _leaf_from_fields  # older pickles name it here
from .graph import topological_order
from .methods import TableMethods, install
from .ops import MATH_ERRORS, OPS, Op, local_grads_of, operand_args
from .reals import REALS, to_float
from .switches import _blocks, _check_grads, _report_anomaly, _switches
from .switches import detect_anomaly as detect_anomaly  # re-exported: the engine's switches
from .switches import is_grad_enabled as is_grad_enabled
from .switches import no_grad as no_grad
from .switches import scope as scope

__all__ = ["Value", "detect_anomaly", "dot", "is_grad_enabled", "no_grad", "scope", "sum"]


class Value(Conveniences, Copyable, TableMethods):
    """A scalar in a computational graph: its value, its gradient, and its history.

    Attributes:
        data: the number (a float).
        grad: ∂(output)/∂(this value) after ``output.backward()``; starts at 0.
        label: a name for drawings and error messages ("" if none).
        op: the name of the operation that made it ("" for a Value made directly;
            a result made inside :func:`no_grad` keeps its op but has no children).
        children: the operands of that operation, in order (``()`` for a leaf).
        arg: the op's extra number, if any (the exponent of ``x ** 2``, the slope
            of ``leaky_relu``), else ``None``. It is not an operand: no gradient
            flows to it.
        scope: the :func:`scope` it was created in ("" if none).
        is_param: marked as a trainable parameter (``nn`` marks its weights).

    Every op in the table :data:`microgradx.OPS` with ``method=True`` is a method:
    ``x.tanh()``, ``x.sin()``, ``x.leaky_relu(0.1)``, ``x.max(y)``; ops registered at
    run time get their method too. Comparisons (``x > 0``) compare ``data`` and give
    a plain ``bool``; they are not part of the graph.

    Example::

        >>> x, y = Value(3.0, label="x"), Value(2.0, label="y")
        >>> f = x * y + x
        >>> f.backward()
        >>> x.grad, y.grad  # ∂f/∂x = y + 1, ∂f/∂y = x
        (3.0, 3.0)
    """

    # Seven slots, one per field, except that ``scope`` and ``is_param`` share ``_tags``:
    # it holds the scope (a str), or ``(scope, True)`` for a parameter. Building the graph
    # only ever stores a str there; the two properties below read it apart.
    __slots__ = ("_tags", "arg", "children", "data", "grad", "label", "op")
    data: float
    grad: float
    label: str
    op: str
    children: tuple[Value, ...]
    arg: float | None
    _tags: str | tuple[str, bool]

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            data = to_float(data)
        if type(label) is not str:
            raise TypeError(f"label must be a str, not {type(label).__name__}")
        _init_fields(self, data, label, "", (), None, _switches.mode.scope if _blocks.open else "")

    @property
    def scope(self) -> str:
        """The :func:`scope` this Value was created in ("" if none)."""
        tags = self._tags
        return tags if type(tags) is str else tags[0]

    @scope.setter
    def scope(self, scope: str) -> None:
        self._tags = (scope, True) if self.is_param else scope

    @property
    def is_param(self) -> bool:
        """Marked as a trainable parameter (``nn`` marks its weights and biases)."""
        return type(self._tags) is not str

    @is_param.setter
    def is_param(self, is_param: bool) -> None:
        scope = self.scope
        self._tags = (scope, True) if is_param else scope

    # --- building the graph ---------------------------------------------------

    @staticmethod
    def _make(op: Op, children: tuple[Value, ...], arg: float | None = None) -> Value:
        """Apply ``op`` to ``children`` and record the new node in the graph."""
        n = len(children)
        args: tuple[float, ...]
        if n == 2 and arg is None:  # most nodes; unrolled for speed
            args = (children[0].data, children[1].data)
        elif n == 1 and arg is None:  # activations
            args = (children[0].data,)
        else:
            args = operand_args(children, arg)
        try:
            data = op.f(*args)
        except MATH_ERRORS:  # e.g. 1/0: give IEEE inf/nan, as numpy does
            data = op.forward(*args)
        if not _blocks.open:  # no switch block open in any thread: the defaults
            return _init_fields(_allocate(Value), data, "", op.name, children, arg, "")
        mode = _switches.mode  # this thread's switches, read once
        if mode.anomaly and not math.isfinite(data):
            _report_anomaly(f"forward of {op.name!r} gave {data}", op, children, arg)
        if mode.grad_enabled:
            return _init_fields(_allocate(Value), data, "", op.name, children, arg, mode.scope)
        # no_grad(): a constant that remembers its op but not its operands (no graph)
        return _init_fields(_allocate(Value), data, "", op.name, (), arg, mode.scope)

    @staticmethod
    def apply(op: Op | str, *operands: ValueLike, arg: float | None = None) -> Value:
        """Apply the op (an :class:`~microgradx.ops.Op` or its name) to ``operands``.

        ``Value.apply("tanh", x)`` is ``x.tanh()``; ``Value.apply("pow", x, arg=2)``
        is ``x ** 2``. Numbers are turned into constant leaves.
        """
        if isinstance(op, str):
            if op not in OPS:
                raise ValueError(f"no op named {op!r}; the ops are {', '.join(OPS)}")
            op = OPS[op]
        # An extra number is passed after the operands; for pow it replaces the exponent.
        want = op.arity
        if want is not None and arg is not None and op.arg_name is None:
            want -= 1
        if want is not None and len(operands) != want:
            raise TypeError(f"{op.name} takes {want} operand(s), got {len(operands)}")
        children = tuple(_as_value(x) for x in operands)
        return Value._make(op, children, None if arg is None else to_float(arg))

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
        """``self ** exponent``; a number exponent is kept as the node's ``arg``."""
        if isinstance(exponent, Value):
            return Value._make(_POW, (self, exponent))
        return Value._make(_POW, (self,), to_float(exponent))

    def __rpow__(self, base: ValueLike) -> Value:
        return Value._make(_POW, (_as_value(base), self))

    def __neg__(self) -> Value:
        return Value._make(_NEG, (self,))

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return Value._make(OPS["abs"], (self,))

    # Comparisons read the numbers (as in a derivative rule's ``a > 0``); a bool.
    # ``==`` is not among them: it stays identity, so Values can be set members and
    # dict keys (the graph walks rely on it). Compare numbers with ``v.data == 0``.
    def __lt__(self, other: ValueLike) -> bool:
        return self.data < _number(other)

    def __le__(self, other: ValueLike) -> bool:
        return self.data <= _number(other)

    def __gt__(self, other: ValueLike) -> bool:
        return self.data > _number(other)

    def __ge__(self, other: ValueLike) -> bool:
        return self.data >= _number(other)

    # --- backpropagation --------------------------------------------------------

    def _backward(self) -> None:
        """The chain rule at this node, once: for each operand,

            operand.grad += ∂self/∂operand · self.grad

        ``self.grad`` is the upstream gradient ∂out/∂self; the local gradient
        ∂self/∂operand comes from the op's row in the table (:func:`chain_rule`).
        A leaf has no operands: nothing happens. As in micrograd, it *adds*: call it
        twice and the operands receive twice. :meth:`backward` is this step applied
        to every node, output first.
        """
        for child, _, part in chain_rule(self, self.grad):
            child.grad += part

    @paused  # no cycles to find here: keep the cyclic collector out (see _gc.py)
    def backward(self, grad: float = 1.0) -> None:
        """Fill in ``.grad`` of every Value below this one: ∂self/∂value.

        ``grad`` is the gradient of the final output with respect to ``self``
        (1.0 when ``self`` is the output). Gradients of leaves *accumulate* over
        calls (call :meth:`zero_grad` to reset them); gradients of intermediate
        nodes are reset at the start of every call.

        A result made inside :func:`no_grad` has no graph to go back through:
        ``backward()`` on it raises ``RuntimeError`` instead of silently doing nothing.
        """
        if self.op and not self.children:
            raise RuntimeError(
                f"backward() on a result of {self.op!r} made inside no_grad(): it recorded "
                "no operands, so there is no graph to differentiate; compute it outside "
                "no_grad()"
            )
        if type(grad) is not float:
            grad = to_float(grad)
        # Every node made by an operation, output first; each comes before its operands,
        # so a node's gradient is complete before it is passed on.
        order = topological_order(self, reverse=True, leaves=False)
        anomaly = _switches.mode.anomaly
        for node in order:
            node.grad = 0.0
        self.grad += grad
        for node in order:
            # The whole algorithm is ``node._backward()`` for every node. The lines below
            # are that same step written out for nodes of one or two operands (+, ×, tanh,
            # x**2, relu: most of a graph), the one fast path: 2-3x faster than the call.
            children = node.children
            rule = OPS[node.op]
            upstream = node.grad
            if len(children) == 2 and node.arg is None:
                a, b = children
                try:
                    da, db = rule.df(node.data, a.data, b.data)
                except MATH_ERRORS:  # e.g. ∂(a/b)/∂b at b = 0: IEEE inf, not an exception
                    da, db = rule.local_grads(node.data, a.data, b.data)
                if da or not rule.gates:  # an input switched off receives exactly 0
                    a.grad += da * upstream
                if db or not rule.gates:
                    b.grad += db * upstream
            elif len(children) == 1:
                (a,) = children
                try:
                    if node.arg is None:
                        (da,) = rule.df(node.data, a.data)
                    else:  # x ** 2, leaky_relu(x, 0.1): the op's extra number comes last
                        da = rule.df(node.data, a.data, node.arg)[0]
                except MATH_ERRORS:
                    da = rule.local_grads(node.data, *operand_args(children, node.arg))[0]
                if da or not rule.gates:
                    a.grad += da * upstream
            else:
                node._backward()  # the general step: any number of operands
            if anomaly:
                _check_grads(node)

    def zero_grad(self) -> None:
        """Set ``.grad`` to 0 for this Value and every Value below it."""
        for node in topological_order(self):
            node.grad = 0.0


ValueLike = Value | float | int


_allocate = object.__new__  # a Value with no field set yet: _init_fields sets them all


def _init_fields(
    node: Value,
    data: float,
    label: str,
    op: str,
    children: tuple[Value, ...],
    arg: float | None,
    scope: str = "",
) -> Value:
    """Set every field of a new ``node``: the one place a Value is initialised.

    Both ``Value(...)`` (a leaf, after checking its arguments) and ``Value._make`` (a
    node made by an op, whose data is already a float) come here.
    """
    node.data = data
    node.grad = 0.0
    node.label = label
    node.op = op
    node.children = children
    node.arg = arg
    node._tags = scope  # the scope, and not a parameter (see Value.__slots__)
    return node


def chain_rule(node: Value, upstream: float) -> list[tuple[Value, float, float]]:
    """The chain rule at one node: ``(operand, local, local · upstream)`` per operand.

    ``upstream`` is ∂out/∂node; ``local`` = ∂node/∂operand comes from the op's row
    (IEEE floats: inf or nan, never an exception); their product is what the operand
    receives along this edge. An input that the op switches off (``relu`` below 0, the
    loser of ``max``) receives exactly 0, even from an inf upstream (``Op.gates``).

    Written once and used by :meth:`Value._backward` (into ``.grad``), by
    :func:`microgradx.grad` on numbers, the stepper's captions and the exercises (into
    a dictionary); the graph-building form is in :mod:`microgradx.autodiff`, the array
    form in :mod:`microgradx.tape`.
    """
    children = node.children
    if not children:  # a leaf (or a result made inside no_grad): nothing to pass on
        return []
    local = local_grads_of(node)
    if OPS[node.op].gates:
        return [(c, d, d * upstream if d else 0.0) for c, d in zip(children, local)]
    return [(c, d, d * upstream) for c, d in zip(children, local)]


_ADD, _SUB, _MUL, _DIV = OPS["add"], OPS["sub"], OPS["mul"], OPS["div"]
_POW, _NEG, _SUM = OPS["pow"], OPS["neg"], OPS["sum"]


def _number(x: object) -> float:
    """The number in ``x``: a Value's data, or ``x`` as a float."""
    return x.data if isinstance(x, Value) else to_float(x)


install(Value)  # the methods made from the op table: x.tanh(), x.max(y), ...


def type_name(x: object) -> str:
    """The name of ``x``'s type for an error message; another library's ``Value`` (say
    micrograd's) is named with its module, so "got Value" never puzzles."""
    cls = type(x)
    if cls.__name__ == "Value" and not isinstance(x, Value):
        return f"{cls.__module__}.{cls.__qualname__} (not a microgradx Value)"
    return cls.__name__


def _as_value(x: object) -> Value:
    """``x`` itself if it is a Value, else a constant leaf holding it."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, REALS):
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
