"""The operation table: every operation's math, declared once, one row each.

Each row is an :class:`Op` (see :mod:`microgradx.registry`) that keeps an operation's
forward rule and its *local derivatives* side by side::

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
:func:`registered` take a row out again. The table's machinery (:class:`Op`,
:data:`OPS`, :func:`register`, ...) lives in :mod:`microgradx.registry` and is
re-exported here, so ``from microgradx.ops import Op, register`` is all a new row needs.

Floats follow IEEE semantics (``exp(1000) = inf``, ``log(-1) = nan``): a float form
may raise on such inputs, and the row then answers with its numpy form.

Kinks and second derivatives: where a first derivative is piecewise constant
(``relu``, ``leaky_relu``, ``abs``, ``max``, ``min``) ``df`` returns plain numbers, so
the second derivative is 0 everywhere, kinks included (``relu''(0) = 0``); ``max``
and ``min`` route the gradient to the input that won in the forward pass (half each
on a tie), and so does their derivative graph.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

# The table's machinery, re-exported: a row needs only ``from microgradx.ops import ...``.
from .registry import (
    MATH_ERRORS,
    OPS,
    Op,
    args_of,
    elementwise,
    local_grads_of,
    markdown_table,
    operand_args,
    register,
    registered,
    subscribe,
    unregister,
)
from .registry import NUMBERS as _NUMBERS

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

# --- elementwise functions for derivative rules (floats, arrays and Values) -----

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
