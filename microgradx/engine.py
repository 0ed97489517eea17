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
from collections.abc import Callable, Iterable
from numbers import Real
from typing import TYPE_CHECKING, Any

import numpy as np

from ._gc import paused
from .graph import topological_order
from .ops import MATH_ERRORS, OPS, Op, local_grads_of, operand_args, subscribe
from .switches import _blocks, _check_grads, _report_anomaly, _switches
from .switches import detect_anomaly as detect_anomaly  # re-exported: the engine's switches
from .switches import is_grad_enabled as is_grad_enabled
from .switches import no_grad as no_grad
from .switches import scope as scope

__all__ = ["Value", "detect_anomaly", "dot", "is_grad_enabled", "no_grad", "scope", "sum"]


if TYPE_CHECKING:

    class _ValueType(type):
        # ``Value.tanh`` and the other methods made from the op table, for type checkers.
        def __getattr__(cls, name: str) -> Callable[..., Value]: ...

else:
    _ValueType = type


class Value(metaclass=_ValueType):
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
            data = _to_float(data)
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

    if TYPE_CHECKING:  # the methods made from the op table, for type checkers

        def __getattr__(self, name: str) -> Callable[..., Value]: ...

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
        return Value._make(op, children, None if arg is None else _to_float(arg))

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
        return Value._make(_POW, (self,), _to_float(exponent))

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
            grad = _to_float(grad)
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

    # --- conveniences --------------------------------------------------------------

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

    # --- copies and pickles -------------------------------------------------------------

    def __copy__(self) -> Value:
        """A new node with the same fields, sharing the operands (a shallow copy)."""
        new = _init_fields(
            _allocate(type(self)), self.data, self.label, self.op, self.children, self.arg
        )
        new.scope, new.grad, new.is_param = self.scope, self.grad, self.is_param
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of the whole graph below this Value, made without recursion.

        Nodes are copied leaves first (topological order), so each node's operands
        are copied before it; a node reached twice is copied once (``memo``), so
        shared operands stay shared, at any depth.
        """
        for node in topological_order(self):
            if id(node) in memo:
                continue
            children = tuple(memo[id(c)] for c in node.children)
            new = _init_fields(
                _allocate(type(node)), node.data, node.label, node.op, children, node.arg
            )
            new.scope, new.grad, new.is_param = node.scope, node.grad, node.is_param
            memo[id(node)] = new
        copied: Value = memo[id(self)]
        return copied

    def __reduce_ex__(self, protocol: object) -> tuple:
        """Pickle a leaf (an input, a parameter, a constant); refuse a graph.

        Leaves carry no references, so inputs and parameters pickle. A node
        with operands is refused: pickling follows operands recursively, so a deep
        graph would exceed the recursion limit, and flattening it would lose which
        nodes separately pickled results share. Use ``copy.deepcopy`` for a copy,
        and ``model.save`` (JSON) to store a model.
        """
        if self.children:
            raise TypeError(
                f"cannot pickle a Value made by {self.op!r} together with its graph; "
                "pickle numbers (v.data) or leaves, copy graphs with copy.deepcopy, "
                "and save models with model.save(path)"
            )
        fields = (self.data, self.grad, self.label, self.op, self.arg, self.scope, self.is_param)
        return (_leaf_from_fields, (type(self), *fields))

    def __repr__(self) -> str:
        text = f"Value(data={self.data!r}, grad={self.grad!r}"
        if self.label:
            text += f", label={self.label!r}"
        elif self.op:
            text += f", op={self.op!r}"
        return text + ")"


ValueLike = Value | float | int


def _viz() -> Any:
    """The drawing package, which sits above the engine: imported on first use, here only."""
    from . import viz

    return viz


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


def _leaf_from_fields(
    cls: type[Value],
    data: float,
    grad: float,
    label: str,
    op: str,
    arg: float | None,
    scope: str,
    is_param: bool,
) -> Value:
    """A leaf rebuilt from its fields (the inverse of ``Value.__reduce_ex__``)."""
    node = _init_fields(_allocate(cls), float(data), str(label), str(op), (), arg, str(scope))
    node.grad, node.is_param = float(grad), bool(is_param)
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
    return x.data if isinstance(x, Value) else _to_float(x)


# --- Value methods made from the op table ------------------------------------------

_made: set[str] = set()  # names of the methods made here (the others are hand-written)


def _method_for(op: Op) -> Callable[..., Value]:
    """``Value.<op.name>``: applies ``op`` to ``self``, further operands and its number."""
    name = op.name
    method: Callable[..., Value]
    if op.arg_name is not None:
        if op.arity != 1:
            raise ValueError(f"op {name!r}: an extra number is supported for one operand only")

        def with_arg(self: Value, arg: float | None = op.arg_default) -> Value:
            if arg is None:
                raise TypeError(f"{name}() needs its {op.arg_name}")
            return Value._make(OPS[name], (self,), _to_float(arg))

        method, signature = with_arg, f"({op.arg_name}={op.arg_default!r})"
    elif op.arity == 1:

        def unary(self: Value) -> Value:
            return Value._make(OPS[name], (self,))

        method, signature = unary, "()"
    else:

        def n_ary(self: Value, *others: ValueLike) -> Value:
            return Value.apply(OPS[name], self, *others)

        method, signature = n_ary, "(other)" if op.arity == 2 else "(*others)"
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"x.{name}{signature}: the op {name!r} (drawn {op.symbol}). Local derivative: "
        f"{op.formula or 'see OPS[' + repr(name) + ']'}."
    )
    return method


def _on_table_change(op: Op, added: bool) -> None:
    """Add (or remove) the method of a row with ``method=True``."""
    if not op.method:
        return
    if added:
        if op.name in _made or hasattr(Value, op.name):
            raise ValueError(f"op {op.name!r} would replace Value.{op.name}; choose another name")
        setattr(Value, op.name, _method_for(op))
        _made.add(op.name)
    elif op.name in _made:
        delattr(Value, op.name)
        _made.discard(op.name)


subscribe(_on_table_change)


def type_name(x: object) -> str:
    """The name of ``x``'s type for an error message; another library's ``Value`` (say
    micrograd's) is named with its module, so "got Value" never puzzles."""
    cls = type(x)
    if cls.__name__ == "Value" and not isinstance(x, Value):
        return f"{cls.__module__}.{cls.__qualname__} (not a microgradx Value)"
    return cls.__name__


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
