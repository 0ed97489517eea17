"""The operation table: every operation's math, declared once.

Each :class:`Op` row keeps an operation's forward rule and its *local derivatives*
side by side::

    register(Op(
        name="sin", symbol="sin", arity=1,
        f=math.sin, np_f=np.sin,
        df=lambda out, a: (cos(a),),
        formula="d/da sin(a) = cos(a)",
    ))

* ``f`` works on Python floats (the scalar engine); ``np_f`` on numpy arrays (the
  compiled tape). ``np_f`` defaults to ``f``, which is right whenever ``f`` is plain
  arithmetic (``lambda a: a*a*a`` works on arrays unchanged).
* ``df(out, *args)`` returns one local derivative per operand, ``∂out/∂arg``. It is
  written **once, for floats, numpy arrays and Values alike**: plain arithmetic, the
  comparisons ``<``/``>``, and the elementwise functions of this module (:func:`exp`,
  :func:`log`, :func:`sin`, :func:`cos`, :func:`sqrt`, :func:`tanh`, ...), which
  dispatch on their argument. Called on Values, ``df`` builds the derivative as a
  graph, which is how second derivatives come from the same row as the first
  (:func:`microgradx.grad` with ``create_graph=True``). ``np_df`` defaults to ``df``.

Everything else reads the row: ``Value.<name>()`` methods and the expression
language's functions (for rows with ``method=True``), the drawing's symbol and
tooltip, the stepper's caption (``infix``, ``arg_symbol``), gradcheck and the tape.
:func:`register` works at run time too, and :func:`unregister` /
:func:`registered` take a row out again.

Floats follow IEEE semantics, as numpy and PyTorch do: ``exp(1000) = inf``,
``log(0) = -inf``, ``log(-1) = nan``, ``1/0 = inf``, ``sqrt(-1) = nan``. The fast
float forms may raise Python's ``ZeroDivisionError``, ``OverflowError`` or
``ValueError`` on such inputs; :meth:`Op.forward` and :meth:`Op.local_grads` then
recompute with the numpy form, which gives the IEEE answer instead of an exception.

Kinks and second derivatives: where a first derivative is piecewise constant
(``relu``, ``leaky_relu``, ``abs``, ``max``, ``min``) ``df`` returns plain numbers, so
the second derivative is 0 everywhere, kinks included (``relu''(0) = 0``); ``max``
and ``min`` route the gradient to the input that won in the forward pass (half each
on a tie), and so does their derivative graph.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "MATH_ERRORS",
    "OPS",
    "Op",
    "args_of",
    "cos",
    "elementwise",
    "exp",
    "local_grads_of",
    "log",
    "markdown_table",
    "operand_args",
    "register",
    "registered",
    "sin",
    "sqrt",
    "subscribe",
    "tanh",
    "unregister",
]

# What the float forms may raise where IEEE arithmetic gives inf or nan instead.
MATH_ERRORS = (ArithmeticError, ValueError)

_NUMBERS = (int, float, np.ndarray, np.generic)


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
            for floats, numpy arrays and Values alike (see the module docstring).
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
        if isinstance(x, _NUMBERS):
            with np.errstate(all="ignore"):
                return op.np_f(x)
        return getattr(x, name)()

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``{name}`` of a float, a numpy array or a Value (see ``OPS[{name!r}]``)."
    return fn


exp = elementwise("exp")
log = elementwise("log")
tanh = elementwise("tanh")
sin = elementwise("sin")
cos = elementwise("cos")
sqrt = elementwise("sqrt")


def _data(x: Any) -> Any:
    """The number inside ``x`` (a Value's ``.data``), or ``x`` itself."""
    return x if isinstance(x, _NUMBERS) else x.data


def _power(a: Any, e: Any) -> Any:
    """a^e for floats (``math.pow``: a domain error, never a complex) and Values."""
    if isinstance(a, float) and isinstance(e, float):
        return math.pow(a, e)
    return a**e


# --- helpers shared by several rows ------------------------------------------


def _sigmoid(a: float) -> float:
    # Two branches so that exp never overflows: σ(a) = 1/(1+e^-a) = e^a/(1+e^a).
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _np_sigmoid(a):
    with np.errstate(over="ignore"):
        e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _pow_grads(out, a, b):
    # d/da a^b = b·a^(b-1)   (0 when b == 0, as in PyTorch)
    # d/db a^b = a^b·ln a    (0 at a == 0 with b >= 0; nan at a < 0)
    # A constant 0 where b·a^(b−1) would be 0·inf; a Value b keeps its product, so
    # that ∂²/∂a∂b = a^(b−1)·(1 + b·ln a) stays right at b = 0.
    if _data(b) == 0 and (isinstance(b, _NUMBERS) or _data(a) == 0):
        da = 0.0
    else:
        da = b * _power(a, b - 1)
    if not isinstance(a, _NUMBERS) and isinstance(b, _NUMBERS):
        return (da,)  # Values, with a constant exponent: b is not an operand
    base = _data(a)
    if base > 0:
        db = out * log(a)
    elif base == 0 and _data(b) >= 0:
        db = 0.0
    elif base < 0:
        db = math.nan
    else:  # a == 0 and b < 0: out = inf, ln 0 = -inf (numpy form answers)
        raise ValueError
    return da, db


def _np_pow_grads(out, a, b):
    with np.errstate(all="ignore"):
        da = np.where(b == 0, 0.0, b * np.power(a, b - 1))
        db = np.where((a == 0) & (b >= 0), 0.0, out * np.log(a))
    return da, db


def _sign(a: Any) -> float:
    # sign(a): 1, −1, 0 at 0, nan for nan (as numpy and PyTorch); a Value gives a number
    x = _data(a)
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else math.nan


def _max(a: float, b: float) -> float:
    # a >= b covers ties; if neither comparison holds, one input is nan.
    if a >= b:
        return a
    return b if b > a else a + b


def _max_grads(out, a, b):
    # The whole gradient goes to the larger input; a tie splits it equally. With a nan
    # operand there is no winner and no tie: both pass the gradient on (as PyTorch).
    if a > b:
        return 1.0, 0.0
    if b > a:
        return 0.0, 1.0
    return (0.5, 0.5) if _data(a) == _data(b) else (1.0, 1.0)


def _min(a: float, b: float) -> float:
    if a <= b:
        return a
    return b if b < a else a + b


def _min_grads(out, a, b):
    if a < b:
        return 1.0, 0.0
    if b < a:
        return 0.0, 1.0
    return (0.5, 0.5) if _data(a) == _data(b) else (1.0, 1.0)


def _np_extreme_grads(first_wins):
    # ∂/∂a and ∂/∂b of max (first_wins = a > b) or min (first_wins = a < b).
    def grads(out, a, b):
        a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
        tie = a == b
        lost_a, lost_b = first_wins(b, a), first_wins(a, b)  # a nan loses to nothing
        da = np.where(lost_a, 0.0, np.where(tie, 0.5, 1.0))
        db = np.where(lost_b, 0.0, np.where(tie, 0.5, 1.0))
        return da, db

    return grads


# --- the table ----------------------------------------------------------------
# Formulas use ``a``, ``b`` for the operands and ``out`` for the result.

register(Op(
    "add", "+", 2,
    f=lambda a, b: a + b,
    df=lambda out, a, b: (1.0, 1.0),
    formula="∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1",
    usage="a + b", method=False, infix=True, precedence=1,
))  # fmt: skip

register(Op(
    "sub", "−", 2,
    f=lambda a, b: a - b,
    df=lambda out, a, b: (1.0, -1.0),
    formula="∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1",
    usage="a - b", method=False, infix=True, precedence=1,
))  # fmt: skip

register(Op(
    "mul", "×", 2,
    f=lambda a, b: a * b,
    df=lambda out, a, b: (b, a),
    formula="∂(a·b)/∂a = b, ∂(a·b)/∂b = a",
    usage="a * b", method=False, infix=True, precedence=2, short="·",
))  # fmt: skip

register(Op(
    "div", "÷", 2,
    f=lambda a, b: a / b,
    df=lambda out, a, b: (1.0 / b, -a / (b * b)),
    formula="∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²",
    usage="a / b", method=False, infix=True, precedence=2, short="/",
))  # fmt: skip

register(Op(
    "neg", "−", 1,
    f=lambda a: -a,
    df=lambda out, a: (-1.0,),
    formula="∂(−a)/∂a = −1",
    usage="-a", method=False,
))  # fmt: skip

# ``pow`` has two forms: ``a ** b`` with ``b`` a Value (two operands), or with ``b``
# a plain number, kept as the node's ``arg`` (one operand). The rules are the same.
register(Op(
    "pow", "^", 2,
    f=math.pow,
    df=_pow_grads,
    np_f=np.power,
    np_df=_np_pow_grads,
    formula="∂(a^b)/∂a = b·a^(b−1), ∂(a^b)/∂b = a^b·ln a",
    usage="a ** b", method=False, infix=True, arg_symbol="^{arg}", precedence=3,
))  # fmt: skip

register(Op(
    "exp", "exp", 1,
    f=math.exp,
    df=lambda out, a: (out,),
    np_f=np.exp,
    formula="d/da exp(a) = exp(a)",
))  # fmt: skip

register(Op(
    "log", "log", 1,
    f=math.log,
    df=lambda out, a: (1.0 / a,),
    np_f=np.log,
    formula="d/da ln(a) = 1/a",
))  # fmt: skip

register(Op(
    "tanh", "tanh", 1,
    f=math.tanh,
    df=lambda out, a: (1.0 - out * out,),
    np_f=np.tanh,
    formula="d/da tanh(a) = 1 − tanh(a)²",
    activation=True,
))  # fmt: skip

register(Op(
    "sigmoid", "σ", 1,
    f=_sigmoid,
    df=lambda out, a: (out * (1.0 - out),),
    np_f=_np_sigmoid,
    formula="d/da σ(a) = σ(a)·(1 − σ(a))",
    activation=True,
))  # fmt: skip

register(Op(
    "relu", "relu", 1,
    f=lambda a: 0.0 if a <= 0 else a,
    # a nan input passes its gradient on (as in PyTorch): only a <= 0 switches it off
    df=lambda out, a: (0.0 if a <= 0 else 1.0,),
    # max(a, 0) + 0.0 turns −0.0 into 0.0, as f does; 5x faster than np.where on big arrays
    np_f=lambda a: np.maximum(a, 0.0) + 0.0,
    np_df=lambda out, a: (np.logical_not(np.less_equal(a, 0.0)).astype(float),),
    formula="d/da relu(a) = 1 if a > 0 else 0",
    activation=True, gates=True,
))  # fmt: skip

register(Op(
    "leaky_relu", "lrelu", 1,
    f=lambda a, slope: a if a > 0 else slope * a,
    df=lambda out, a, slope: (1.0 if a > 0 else slope,),
    np_f=lambda a, slope: np.where(a > 0, a, slope * a),
    np_df=lambda out, a, slope: (np.where(a > 0, 1.0, slope),),
    formula="d/da lrelu(a) = 1 if a > 0 else slope",
    arg_name="slope", arg_default=0.01,
    activation=True, torch="nn.functional.leaky_relu",
))  # fmt: skip

register(Op(
    "abs", "|·|", 1,
    f=abs,
    df=lambda out, a: (_sign(a),),
    np_f=np.abs,
    np_df=lambda out, a: (np.sign(a),),
    formula="d/da |a| = sign(a)",
))  # fmt: skip

register(Op(
    "max", "max", 2,
    f=_max,
    df=_max_grads,
    np_f=np.maximum,
    np_df=_np_extreme_grads(np.greater),
    formula="∂max(a,b)/∂a = 1 if a > b, ½ on a tie, else 0",
    gates=True, torch="maximum",
))  # fmt: skip

register(Op(
    "min", "min", 2,
    f=_min,
    df=_min_grads,
    np_f=np.minimum,
    np_df=_np_extreme_grads(np.less),
    formula="∂min(a,b)/∂a = 1 if a < b, ½ on a tie, else 0",
    gates=True, torch="minimum",
))  # fmt: skip

register(Op(
    "sum", "Σ", None,
    f=lambda *args: sum(args, 0.0),
    df=lambda out, *args: (1.0,) * len(args),
    np_f=lambda *args: sum(args, np.float64(0.0)),
    formula="∂(a₁+…+aₙ)/∂aᵢ = 1",
    usage="microgradx.sum(values)", method=False,
))  # fmt: skip

register(Op(
    "sin", "sin", 1,
    f=math.sin,
    df=lambda out, a: (cos(a),),
    np_f=np.sin,
    formula="d/da sin(a) = cos(a)",
))  # fmt: skip

register(Op(
    "cos", "cos", 1,
    f=math.cos,
    df=lambda out, a: (-sin(a),),
    np_f=np.cos,
    formula="d/da cos(a) = −sin(a)",
))  # fmt: skip

register(Op(
    "sqrt", "√", 1,
    f=math.sqrt,
    df=lambda out, a: (0.5 / out,),
    np_f=np.sqrt,
    formula="d/da √a = 1/(2√a)",
))  # fmt: skip
