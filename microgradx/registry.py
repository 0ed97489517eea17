"""What an operation is, and the table that holds them: :class:`Op` and :data:`OPS`.

An :class:`Op` row keeps an operation's forward rule and its local derivatives side
by side; :func:`register` adds a row to :data:`OPS` and tells every listener (the
engine adds the row's ``Value`` method), :func:`unregister` and :func:`registered`
take it out again. The rows themselves are written in :mod:`microgradx.ops`; this
module is the machinery every row goes through, and the functions that read a row
for one node (:func:`operand_args`, :func:`args_of`, :func:`local_grads_of`).

Floats follow IEEE semantics, as numpy and PyTorch do: ``exp(1000) = inf``,
``log(0) = -inf``, ``log(-1) = nan``, ``1/0 = inf``, ``sqrt(-1) = nan``. The fast
float forms may raise Python's ``ZeroDivisionError``, ``OverflowError`` or
``ValueError`` on such inputs; :meth:`Op.forward` and :meth:`Op.local_grads` then
recompute with the numpy form, which gives the IEEE answer instead of an exception.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MATH_ERRORS",
    "NUMBERS",
    "OPS",
    "Op",
    "args_of",
    "elementwise",
    "local_grads_of",
    "markdown_table",
    "operand_args",
    "register",
    "registered",
    "subscribe",
    "unregister",
]

# What the float forms may raise where IEEE arithmetic gives inf or nan instead.
MATH_ERRORS = (ArithmeticError, ValueError)

#: What a derivative rule may be given besides Values: floats and numpy arrays.
NUMBERS = (int, float, np.ndarray, np.generic)


@dataclass(frozen=True)
class Op:
    """One operation: name, drawing symbol, forward rule and local derivatives.

    Attributes:
        name: the op's name, stored in ``Value.op``; for ``method=True`` rows also the
            name of the ``Value`` method and of the expression language's function.
        symbol: what drawings show in the op's node (``×``, ``σ``).
        arity: number of operands (``None`` for n-ary ops such as ``sum``).
        f: forward rule on floats, ``f(*args) -> float``.
        df: local derivatives, ``df(out, *args) -> tuple`` (one per operand), written
            for floats, numpy arrays and Values alike (see :mod:`microgradx.ops`).
        np_f: forward rule on numpy arrays (default: ``f``).
        np_df: local derivatives on numpy arrays (default: ``df``).
        formula: the math, for docstrings, tooltips and students.
        method: make ``Value.<name>()`` and the expression function ``name(...)``;
            False for ops reached through Python operators (``+``, ``**``, ...).
        infix: captions write ``a × b`` rather than ``max(a, b)``.
        arg_name: the name of the op's extra number, if it takes one (``"slope"``).
            The number is not an operand: it is passed to ``f`` and ``df`` after the
            operands and stored in ``Value.arg``.
        arg_default: the extra number's default (``None``: it must be given).
        arg_symbol: how drawings show a node carrying the extra number, as a format
            with ``{arg}``; ``"^{arg}"`` draws ``x ** 2`` as ``^2`` and captions it
            ``x^2``. ``None``: the plain symbol.
        activation: usable as a neuron's activation: ``MLP(..., activation=name)``,
            the tape's fused layers and the PyTorch bridge pick it up (one operand;
            an extra number takes its default).
        torch: the PyTorch function computing it, as a path under ``torch``
            (``"maximum"``, ``"nn.functional.leaky_relu"``); ``None``: ``torch.<name>``
            if PyTorch has it. Called with the operands' tensors, then the extra number.
        precedence: for infix ops, how tightly the op binds in a formula name (1 for
            ``+ −``, 2 for ``· /``, 3 for ``^``); ``None`` otherwise.
        short: how names write the op between operands (``·`` for ``×``); default
            the symbol.
        gates: the op switches inputs off (``relu`` below 0, the loser of ``max`` and
            ``min``): an input whose local derivative is exactly 0 then receives exactly
            0, even when the upstream gradient is inf or nan (0·inf would be nan), as
            in PyTorch. Without it, 0·inf = nan, as IEEE arithmetic says.
    """

    name: str
    symbol: str
    arity: int | None
    f: Callable[..., Any]
    df: Callable[..., tuple]
    np_f: Callable[..., Any] = None  # type: ignore[assignment]  # filled in: f
    np_df: Callable[..., tuple] = None  # type: ignore[assignment]  # filled in: df
    formula: str = ""
    method: bool = True
    infix: bool = False
    arg_name: str | None = None
    arg_default: float | None = None
    arg_symbol: str | None = None
    usage: str = ""
    activation: bool = False
    torch: str | None = None
    precedence: int | None = None
    short: str = ""
    gates: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(f"an op's name must be an identifier, got {self.name!r}")
        if self.arity is not None and self.arity < 1:
            raise ValueError(f"arity must be positive or None, got {self.arity!r}")
        if self.np_f is None:
            object.__setattr__(self, "np_f", self.f)
        if self.np_df is None:
            object.__setattr__(self, "np_df", self.df)
        if not self.usage:
            object.__setattr__(self, "usage", _method_usage(self))
        if not self.short:
            object.__setattr__(self, "short", self.symbol)
        if self.activation and self.arity != 1:
            raise ValueError(f"op {self.name!r}: an activation takes one operand")
        if self.activation and self.name == "linear":
            raise ValueError("'linear' is the activation that applies no op: choose another name")

    def forward(self, *args: float) -> float:
        """Compute the op on floats with IEEE results (inf/nan, never an exception)."""
        try:
            return self.f(*args)
        except MATH_ERRORS:
            with np.errstate(all="ignore"):
                return float(self.np_f(*(np.float64(a) for a in args)))

    def local_grads(self, out: float, *args: float) -> tuple[float, ...]:
        """Local derivatives ∂out/∂arg on floats, with IEEE results."""
        try:
            return self.df(out, *args)
        except MATH_ERRORS:
            with np.errstate(all="ignore"):
                grads = self.np_df(np.float64(out), *(np.float64(a) for a in args))
                return tuple(float(g) for g in grads)

    def symbol_for(self, arg: float | None, fmt: Callable[[float], str] = repr) -> str:
        """The drawn symbol of a node with extra number ``arg``: ``×``, or ``^2`` for ``x**2``."""
        if arg is not None and self.arg_symbol is not None:
            return self.arg_symbol.format(arg=fmt(arg))
        return self.symbol

    def caption(
        self, operands: list[str], arg: float | None, fmt: Callable[[float], str] = repr
    ) -> str:
        """What a node computes, from its operands' names: ``x × y``, ``x^2``, ``σ(z)``."""
        symbol = self.symbol_for(arg, fmt)
        if arg is not None and self.arg_symbol is not None and len(operands) == 1:
            return f"{operands[0]}{symbol}"
        if self.infix and len(operands) == 2:
            return f"{operands[0]} {symbol} {operands[1]}"
        shown = operands if len(operands) <= 4 else [*operands[:3], "…"]
        return f"{symbol}({', '.join(shown)})"


def _method_usage(op: Op) -> str:
    """How a method op is written: ``x.tanh()``, ``x.max(y)``, ``x.leaky_relu(slope=0.01)``."""
    if not op.method:
        return f"Value.apply({op.name!r}, ...)"
    operands = {1: [], 2: ["y"]}.get(op.arity or 0, ["*others"])
    if op.arg_name is not None:
        operands.append(f"{op.arg_name}={op.arg_default!r}")
    return f"x.{op.name}({', '.join(operands)})"


OPS: dict[str, Op] = {}

# Called as listener(op, added) before a row is added or after it is removed:
# the engine uses this to add and remove the generated ``Value`` methods.
_listeners: list[Callable[[Op, bool], None]] = []


def subscribe(listener: Callable[[Op, bool], None]) -> None:
    """Call ``listener(op, True)`` for every row now and to come, ``(op, False)`` on removal."""
    _listeners.append(listener)
    for op in OPS.values():
        listener(op, True)


def register(op: Op) -> Op:
    """Add ``op`` to the table (its name must be new); everything else picks it up."""
    if not isinstance(op, Op):
        raise TypeError(f"register takes an Op, not {type(op).__name__}")
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already registered")
    if keyword.iskeyword(op.name):
        raise ValueError(f"op name {op.name!r} is a Python keyword")
    for listener in _listeners:
        listener(op, True)
    OPS[op.name] = op
    return op


def unregister(name: str) -> Op:
    """Remove the row ``name`` from the table (and its ``Value`` method); return it."""
    op = OPS.pop(name)
    for listener in _listeners:
        listener(op, False)
    return op


@contextmanager
def registered(op: Op) -> Iterator[Op]:
    """Register ``op`` for the duration of a ``with`` block (for tests and demos)."""
    register(op)
    try:
        yield op
    finally:
        unregister(op.name)


def operand_args(children: Sequence[Any], arg: float | None) -> tuple:
    """The numbers an op's rules take: each operand's data, then the extra number (if any).

    This order, operands then ``arg``, is how every rule is called: ``f(*args)`` and
    ``df(out, *args)``.
    """
    args = tuple([c.data for c in children])
    return args if arg is None else (*args, arg)


def args_of(node: Any) -> tuple:
    """:func:`operand_args` of a node: its operands' data, then ``node.arg``."""
    return operand_args(node.children, node.arg)


def local_grads_of(node: Any) -> tuple[float, ...]:
    """∂node/∂operand for each operand of ``node`` (floats), from the op table."""
    grads = OPS[node.op].local_grads(node.data, *args_of(node))
    return tuple(grads[: len(node.children)])


def markdown_table() -> str:
    """The op table as a Markdown table (the README's list of operations)."""
    rows = ["| op | symbol | written | local derivatives |", "| --- | --- | --- | --- |"]
    for op in OPS.values():
        cells = (f"`{op.name}`", op.symbol, f"`{op.usage}`", op.formula)
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


# --- elementwise functions for derivative rules ---------------------------------


def elementwise(name: str) -> Callable[[Any], Any]:
    """The unary op ``name`` as a function of a float, a numpy array or a Value.

    Floats give IEEE floats, arrays give arrays, Values give a new node (so a
    derivative rule written with these functions can be differentiated again).
    """

    def fn(x: Any) -> Any:
        op = OPS[name]
        if type(x) is float or type(x) is int:
            return op.forward(x)
        if isinstance(x, NUMBERS):
            with np.errstate(all="ignore"):
                return op.np_f(x)
        return getattr(x, name)()

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` of a float, a numpy array or a Value (see ``OPS[{name!r}]``)."
    return fn
