"""The operation table: every operation's math, defined once.

Each :class:`Op` row keeps an operation's forward rule and its *local derivatives*
side by side, in two forms:

* ``f`` / ``df`` work on Python floats and are what the scalar engine calls;
* ``np_f`` / ``np_df`` work on numpy arrays and are what the compiled tape calls.

``df(out, *args)`` returns one local derivative per operand, ``∂out/∂arg``. The
engine multiplies each by the upstream gradient (the chain rule); nothing else in
the package knows an operation's math. Adding an operation is one new row here.

Floats follow IEEE semantics, as numpy and PyTorch do: ``exp(1000) = inf``,
``log(0) = -inf``, ``log(-1) = nan``, ``1/0 = inf``. The fast float forms may raise
Python's ``ZeroDivisionError``, ``OverflowError`` or ``ValueError`` on such inputs;
:meth:`Op.forward` and :meth:`Op.local_grads` then recompute with the numpy form,
which gives the IEEE answer instead of an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["MATH_ERRORS", "OPS", "Op", "register"]

# What the float forms may raise where IEEE arithmetic gives inf or nan instead.
MATH_ERRORS = (ArithmeticError, ValueError)


@dataclass(frozen=True)
class Op:
    """One operation: name, drawing symbol, forward rule and local derivatives.

    Attributes:
        name: the op's name, stored in ``Value.op``.
        symbol: what drawings show in the op's node.
        arity: number of operands (``None`` for n-ary ops such as ``sum``).
        f: forward rule on floats, ``f(*args) -> float``.
        df: local derivatives on floats, ``df(out, *args) -> tuple`` (one per operand).
        np_f: forward rule on numpy arrays.
        np_df: local derivatives on numpy arrays.
        formula: the math, for docstrings, drawings and students.
        has_param: the op takes a number that is not an operand (e.g. a slope);
            it is passed to every rule as the last argument.
    """

    name: str
    symbol: str
    arity: int | None
    f: Callable[..., float]
    df: Callable[..., tuple]
    np_f: Callable[..., np.ndarray]
    np_df: Callable[..., tuple]
    formula: str
    has_param: bool = False

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


OPS: dict[str, Op] = {}


def register(op: Op) -> Op:
    """Add ``op`` to the table (its name must be new)."""
    if op.name in OPS:
        raise ValueError(f"op {op.name!r} is already registered")
    OPS[op.name] = op
    return op


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
    da = 0.0 if b == 0 else b * math.pow(a, b - 1)
    if a > 0:
        db = out * math.log(a)
    elif a == 0 and b >= 0:
        db = 0.0
    elif a < 0:
        db = math.nan
    else:  # a == 0 and b < 0: out = inf, ln 0 = -inf (numpy form answers)
        raise ValueError
    return da, db


def _np_pow_grads(out, a, b):
    with np.errstate(all="ignore"):
        da = np.where(b == 0, 0.0, b * np.power(a, b - 1))
        db = np.where((a == 0) & (b >= 0), 0.0, out * np.log(a))
    return da, db


def _max(a: float, b: float) -> float:
    # a >= b covers ties; if neither comparison holds, one input is nan.
    if a >= b:
        return a
    return b if b > a else a + b


def _max_grads(out, a, b):
    # The whole gradient goes to the larger input; a tie splits it equally.
    if a > b:
        return 1.0, 0.0
    if b > a:
        return 0.0, 1.0
    return 0.5, 0.5


def _min(a: float, b: float) -> float:
    if a <= b:
        return a
    return b if b < a else a + b


def _min_grads(out, a, b):
    if a < b:
        return 1.0, 0.0
    if b < a:
        return 0.0, 1.0
    return 0.5, 0.5


def _np_extreme_grads(first_wins):
    # ∂/∂a and ∂/∂b of max (first_wins = a > b) or min (first_wins = a < b).
    def grads(out, a, b):
        a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
        tie = ~(first_wins(a, b) | first_wins(b, a))
        da = np.where(first_wins(a, b), 1.0, np.where(tie, 0.5, 0.0))
        db = np.where(first_wins(b, a), 1.0, np.where(tie, 0.5, 0.0))
        return da, db

    return grads


def _same(f):
    return f


# --- the table ----------------------------------------------------------------
# Formulas use ``a``, ``b`` for the operands and ``out`` for the result.

register(Op(
    "add", "+", 2,
    f=lambda a, b: a + b,
    df=lambda out, a, b: (1.0, 1.0),
    np_f=np.add,
    np_df=lambda out, a, b: (1.0, 1.0),
    formula="∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1",
))  # fmt: skip

register(Op(
    "sub", "−", 2,
    f=lambda a, b: a - b,
    df=lambda out, a, b: (1.0, -1.0),
    np_f=np.subtract,
    np_df=lambda out, a, b: (1.0, -1.0),
    formula="∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1",
))  # fmt: skip

register(Op(
    "mul", "×", 2,
    f=lambda a, b: a * b,
    df=lambda out, a, b: (b, a),
    np_f=np.multiply,
    np_df=lambda out, a, b: (b, a),
    formula="∂(a·b)/∂a = b, ∂(a·b)/∂b = a",
))  # fmt: skip

register(Op(
    "div", "÷", 2,
    f=lambda a, b: a / b,
    df=lambda out, a, b: (1.0 / b, -a / (b * b)),
    np_f=np.divide,
    np_df=lambda out, a, b: (1.0 / b, -a / (b * b)),
    formula="∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²",
))  # fmt: skip

register(Op(
    "neg", "−", 1,
    f=lambda a: -a,
    df=lambda out, a: (-1.0,),
    np_f=np.negative,
    np_df=lambda out, a: (-1.0,),
    formula="∂(−a)/∂a = −1",
))  # fmt: skip

# ``pow`` has two forms: ``a ** b`` with ``b`` a Value (two operands), or with ``b``
# a plain number, kept as the op's parameter (one operand). The rules are the same.
register(Op(
    "pow", "^", 2,
    f=math.pow,
    df=_pow_grads,
    np_f=np.power,
    np_df=_np_pow_grads,
    formula="∂(a^b)/∂a = b·a^(b−1), ∂(a^b)/∂b = a^b·ln a",
))  # fmt: skip

register(Op(
    "exp", "exp", 1,
    f=math.exp,
    df=lambda out, a: (out,),
    np_f=np.exp,
    np_df=lambda out, a: (out,),
    formula="d/da exp(a) = exp(a)",
))  # fmt: skip

register(Op(
    "log", "log", 1,
    f=math.log,
    df=lambda out, a: (1.0 / a,),
    np_f=np.log,
    np_df=lambda out, a: (1.0 / a,),
    formula="d/da ln(a) = 1/a",
))  # fmt: skip

register(Op(
    "tanh", "tanh", 1,
    f=math.tanh,
    df=lambda out, a: (1.0 - out * out,),
    np_f=np.tanh,
    np_df=lambda out, a: (1.0 - out * out,),
    formula="d/da tanh(a) = 1 − tanh(a)²",
))  # fmt: skip

register(Op(
    "sigmoid", "σ", 1,
    f=_sigmoid,
    df=lambda out, a: (out * (1.0 - out),),
    np_f=_np_sigmoid,
    np_df=lambda out, a: (out * (1.0 - out),),
    formula="d/da σ(a) = σ(a)·(1 − σ(a))",
))  # fmt: skip

register(Op(
    "relu", "relu", 1,
    f=lambda a: 0.0 if a <= 0 else a,
    df=lambda out, a: (1.0 if a > 0 else 0.0,),
    np_f=lambda a: np.where(a <= 0, 0.0, a),
    np_df=lambda out, a: (np.where(a > 0, 1.0, 0.0),),
    formula="d/da relu(a) = 1 if a > 0 else 0",
))  # fmt: skip

register(Op(
    "leaky_relu", "lrelu", 1,
    f=lambda a, slope: a if a > 0 else slope * a,
    df=lambda out, a, slope: (1.0 if a > 0 else slope,),
    np_f=lambda a, slope: np.where(a > 0, a, slope * a),
    np_df=lambda out, a, slope: (np.where(a > 0, 1.0, slope),),
    formula="d/da lrelu(a) = 1 if a > 0 else slope",
    has_param=True,
))  # fmt: skip

register(Op(
    "abs", "|·|", 1,
    f=abs,
    df=lambda out, a: (1.0 if a > 0 else (-1.0 if a < 0 else 0.0),),
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
))  # fmt: skip

register(Op(
    "min", "min", 2,
    f=_min,
    df=_min_grads,
    np_f=np.minimum,
    np_df=_np_extreme_grads(np.less),
    formula="∂min(a,b)/∂a = 1 if a < b, ½ on a tie, else 0",
))  # fmt: skip

register(Op(
    "sum", "Σ", None,
    f=lambda *args: sum(args, 0.0),
    df=lambda out, *args: (1.0,) * len(args),
    np_f=lambda *args: sum(args, np.float64(0.0)),
    np_df=lambda out, *args: (1.0,) * len(args),
    formula="∂(a₁+…+aₙ)/∂aᵢ = 1",
))  # fmt: skip
