"""One shared table of test points for every op, and the finite differences to check them.

The truth is independent of the engine: each op's reference is written with Python's
``math`` module, and derivatives are estimated from it by central differences with
step sizes chosen for float64 (see :func:`step`). ``tests/test_ops.py`` checks that
this table covers every op in ``microgradx.OPS``; the engine, tape, expression and
second-order tests all read their op lists from here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import microgradx
from microgradx import Value

EPS = 2.0**-52  # float64 machine epsilon


def step(x: float) -> float:
    """A central-difference step for ``x``: h = eps^(1/3)·max(1, |x|).

    The truncation error of (f(x+h) − f(x−h))/2h is h²·f'''/6 and the rounding error
    about eps·|f|/h; h ~ eps^(1/3) balances them (error ~ eps^(2/3) ≈ 4e-11, relative).
    """
    return EPS ** (1 / 3) * max(1.0, abs(x))


def central(f: Callable[..., float], args: Sequence[float], i: int) -> float:
    """(f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h on plain floats, with h = :func:`step` of xᵢ."""
    h = step(args[i])
    up, down = list(args), list(args)
    up[i] += h
    down[i] -= h
    return (f(*up) - f(*down)) / (2 * h)


def close(analytic: float, numeric: float, scale: float = 1.0, rtol: float = 1e-6) -> bool:
    """|analytic − numeric| <= rtol·max(1, |numeric|, scale).

    ``scale`` is the size of the function near the point (|f|, or the largest term):
    the finite difference's rounding error grows with it, not with the derivative.
    """
    return abs(analytic - numeric) <= rtol * max(1.0, abs(numeric), abs(scale))


def ref_sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))


@dataclass(frozen=True)
class Case:
    """Test data for one op.

    Attributes:
        ref: the op on floats, written with ``math`` (independent of the engine).
        points: operand values away from kinks and domain edges.
        arg: the op's extra number used in the tests (the slope of leaky_relu).
        build: the op on Values, for ops reached through operators; ``None``: the
            ``Value`` method of the same name.
        d2: closed-form second derivative ∂²/∂a² (one-operand ops), if known.
        kink: the distance from a point to the nearest place where a derivative jumps
            (``|a|`` for relu, ``|a − b|`` for max); finite differences skip points
            within a step of it. ``None``: smooth on its whole range.
        ranges: where random points are drawn, one ``(low, high)`` per operand
            (inside the op's domain, away from poles).
    """

    ref: Callable[..., float]
    points: tuple[tuple[float, ...], ...]
    arg: float | None = None
    build: Callable[..., Value] | None = None
    d2: Callable[[float], float] | None = None
    kink: Callable[..., float] | None = None
    ranges: tuple[tuple[float, float], ...] = ((-3.0, 3.0), (-3.0, 3.0))


CASES: dict[str, Case] = {
    "add": Case(lambda a, b: a + b, ((1.5, -2.0), (0.0, 3.0)), build=lambda a, b: a + b),
    "sub": Case(lambda a, b: a - b, ((1.5, -2.0), (-4.0, 0.5)), build=lambda a, b: a - b),
    "mul": Case(lambda a, b: a * b, ((1.5, -2.0), (0.0, 3.0)), build=lambda a, b: a * b),
    "div": Case(
        lambda a, b: a / b,
        ((1.5, -2.0), (-3.0, 0.25)),
        build=lambda a, b: a / b,
        ranges=((-3.0, 3.0), (0.25, 3.0)),
    ),
    "neg": Case(lambda a: -a, ((1.5,), (-0.3,)), build=lambda a: -a, d2=lambda a: 0.0),
    "pow": Case(
        lambda a, b: a**b,
        ((1.5, 2.5), (0.7, -1.3), (2.0, 0.0)),
        build=lambda a, b: a**b,
        ranges=((0.25, 3.0), (-2.0, 2.0)),
    ),
    "exp": Case(math.exp, ((0.3,), (-2.0,), (4.0,)), d2=math.exp),
    "log": Case(
        math.log, ((0.3,), (2.0,), (50.0,)), d2=lambda a: -1 / (a * a), ranges=((0.1, 50.0),)
    ),
    "tanh": Case(
        math.tanh,
        ((0.3,), (-2.0,), (0.0,)),
        d2=lambda a: -2 * math.tanh(a) * (1 - math.tanh(a) ** 2),
    ),
    "sigmoid": Case(
        ref_sigmoid,
        ((0.3,), (-2.0,), (0.0,)),
        d2=lambda a: ref_sigmoid(a) * (1 - ref_sigmoid(a)) * (1 - 2 * ref_sigmoid(a)),
    ),
    "relu": Case(lambda a: max(a, 0.0), ((0.3,), (-2.0,)), d2=lambda a: 0.0, kink=abs),
    "leaky_relu": Case(
        lambda a, slope: a if a > 0 else slope * a,
        ((0.3,), (-2.0,)),
        arg=0.1,
        d2=lambda a: 0.0,
        kink=abs,
    ),
    "abs": Case(abs, ((0.3,), (-2.0,)), d2=lambda a: 0.0, kink=abs),
    "max": Case(max, ((0.3, 1.0), (2.0, -1.0)), kink=lambda a, b: abs(a - b)),
    "min": Case(min, ((0.3, 1.0), (2.0, -1.0)), kink=lambda a, b: abs(a - b)),
    "sum": Case(
        lambda *v: math.fsum(v),
        ((1.0, 2.0, 3.0), (-0.5, 0.25, 4.0, 8.0)),
        build=lambda *v: microgradx.sum(v),
    ),
    "sin": Case(math.sin, ((0.3,), (-2.0,), (4.0,)), d2=lambda a: -math.sin(a)),
    "cos": Case(math.cos, ((0.3,), (-2.0,), (4.0,)), d2=lambda a: -math.cos(a)),
    "sqrt": Case(
        math.sqrt,
        ((0.3,), (2.0,), (50.0,)),
        d2=lambda a: -0.25 * a**-1.5,
        ranges=((0.1, 50.0),),
    ),
}


def build(name: str, values: Sequence[Value]) -> Value:
    """The op ``name`` applied to ``values`` (and the case's extra number) on Values."""
    case = CASES[name]
    if case.build is not None:
        return case.build(*values)
    extra = () if case.arg is None else (case.arg,)
    return getattr(values[0], name)(*values[1:], *extra)


def reference(name: str) -> Callable[..., float]:
    """The op ``name`` on floats with the case's extra number filled in."""
    case = CASES[name]
    if case.arg is None:
        return case.ref
    return lambda *args: case.ref(*args, case.arg)


def near_kink(name: str, point: Sequence[float]) -> bool:
    """True if ``point`` is within a central-difference step (2h) of the op's kink."""
    kink = CASES[name].kink
    return kink is not None and kink(*point) <= 2 * max(step(x) for x in point)


def arity(name: str) -> int:
    """How many operands the test points of op ``name`` have."""
    return len(CASES[name].points[0])


def points() -> list[tuple[str, tuple[float, ...]]]:
    """Every (op name, point) pair of the table, for ``pytest.mark.parametrize``."""
    return [(name, p) for name, case in CASES.items() for p in case.points]
