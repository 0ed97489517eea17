"""Checking gradients against finite differences.

Backpropagation gives exact derivatives (up to rounding); the central difference

    ∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h

gives an independent estimate with error O(h²). If the two agree, the op table's
local derivatives and the engine's chain rule are right.

The step is h = ε^(1/3)·max(1, |xᵢ|) with ε = 2⁻⁵² (float64): the truncation error
h²·f‴/6 and the rounding error ε·|f|/h are then of the same size, about ε^(2/3) ≈ 4e-11
relative to f. ``order=2`` checks second derivatives the same way, differencing the
engine's first derivative: ∂²f/∂xᵢ∂xⱼ ≈ (∂f/∂xᵢ(x + h·eⱼ) − ∂f/∂xᵢ(x − h·eⱼ)) / 2h.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ._report import RowsReport, text_table
from .autodiff import grad
from .engine import Value, no_grad

__all__ = ["GradcheckReport", "GradcheckRow", "default_step", "gradcheck", "numeric_grad"]

Function = Callable[..., Value]

_EPS = 2.0**-52  # float64 machine epsilon


def default_step(x: float) -> float:
    """The central-difference step for a point x: h = ε^(1/3)·max(1, |x|)."""
    return _EPS ** (1 / 3) * max(1.0, abs(x))


def _leaves(inputs: Sequence[float | Value]) -> tuple[list[float], list[str]]:
    """Input numbers and names ("x0", "x1", … where an input has no label)."""
    if isinstance(inputs, (Value, int, float)):
        raise TypeError("inputs must be a sequence of numbers or Values, e.g. [2.0, 3.0]")
    points, names = [], []
    for i, x in enumerate(inputs):
        if isinstance(x, Value):
            points.append(x.data)
            names.append(x.label or f"x{i}")
        else:
            points.append(Value(x).data)  # same type checks as Value
            names.append(f"x{i}")
    return points, names


def _evaluate(f: Function, leaves: Sequence[Value]) -> Value:
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    return out


def _fresh(point: Sequence[float], names: Sequence[str]) -> list[Value]:
    return [Value(x, label=n) for x, n in zip(point, names)]


def _difference(
    g: Callable[[list[float]], float], point: Sequence[float], i: int, eps: float | None
) -> float:
    """(g(x + h·eᵢ) − g(x − h·eᵢ)) / 2h, with h = ``eps`` or :func:`default_step`."""
    if not -len(point) <= i < len(point):
        raise IndexError(f"input index {i} out of range for {len(point)} inputs")
    h = default_step(point[i]) if eps is None else eps
    if not h > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (g(up) - g(down)) / (2 * h)


def numeric_grad(
    f: Function, inputs: Sequence[float | Value], i: int, eps: float | None = None
) -> float:
    """Central-difference estimate of ∂f/∂inputs[i]: (f(x+h) − f(x−h)) / 2h.

    ``eps`` is the step h; by default :func:`default_step` of the input.
    """
    point, names = _leaves(inputs)

    def value(p: list[float]) -> float:
        with no_grad():
            return _evaluate(f, _fresh(p, names)).data

    return _difference(value, point, i, eps)


@dataclass(frozen=True)
class GradcheckRow:
    """One row: autograd against the central difference.

    For ``order=1`` a row is one input xᵢ (``value`` is xᵢ); for ``order=2`` one pair
    ∂²/∂xᵢ∂xⱼ (``value`` is xⱼ, the input the difference steps along).
    """

    name: str
    value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport(RowsReport):
    """Per-input comparison of autograd and numeric gradients.

    Truthy when every input passes. ``print(report)`` shows a table.
    """

    output: float
    rows: tuple[GradcheckRow, ...]
    atol: float
    rtol: float

    def __str__(self) -> str:
        header = ("input", "value", "autograd", "numeric", "abs err", "rel err", "")
        lines = [header]
        for r in self.rows:
            lines.append((
                r.name, f"{r.value:.6g}", f"{r.analytic:.10g}", f"{r.numeric:.10g}",
                f"{r.abs_error:.2e}", f"{r.rel_error:.2e}", "ok" if r.ok else "FAIL",
            ))  # fmt: skip
        text = text_table(lines)
        verdict = "all gradients match" if self.ok else "MISMATCH"
        text.append(f"{verdict} (atol={self.atol:g}, rtol={self.rtol:g})")
        return "\n".join(text)


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    if math.isnan(analytic) or math.isnan(numeric):
        return False  # nan checks nothing: a mismatch, never "ok"
    if math.isinf(analytic) or math.isinf(numeric):
        return analytic == numeric
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def _row(name: str, value: float, analytic: float, numeric: float, atol, rtol) -> GradcheckRow:
    abs_error = abs(analytic - numeric)
    return GradcheckRow(
        name=name,
        value=value,
        analytic=analytic,
        numeric=numeric,
        abs_error=abs_error,
        rel_error=abs_error / max(abs(numeric), 1e-300),
        ok=_close(analytic, numeric, atol, rtol),
    )


def gradcheck(
    f: Function,
    inputs: Sequence[float | Value],
    eps: float | None = None,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    order: int = 1,
) -> GradcheckReport:
    """Compare autograd derivatives of ``f`` with central differences at ``inputs``.

    ``f`` takes one Value per input and returns a Value. It is called on fresh
    leaves, so the Values passed in ``inputs`` (whose numbers and labels are used)
    keep their own gradients. A row passes when
    ``|autograd − numeric| <= atol + rtol·|numeric|``; a nan on either side fails.

    ``order=1``: one row per input, ∂f/∂xᵢ by ``backward()`` against
    (f(x + h·eᵢ) − f(x − h·eᵢ))/2h. ``order=2``: one row per pair, named
    ``∂²/∂xᵢ∂xⱼ``, the second derivative through the derivative graph
    (:func:`microgradx.grad` with ``create_graph=True``) against central differences
    of the first derivative along xⱼ. ``eps`` is the step h (default:
    :func:`default_step` of each input).

    Example::

        >>> report = gradcheck(lambda x, y: x * y + y.tanh(), [2.0, 0.5])
        >>> bool(report), bool(gradcheck(lambda x: x.tanh(), [0.5], order=2))
        (True, True)
    """
    if not callable(f):
        raise TypeError(
            f"f must be a function of Values (e.g. lambda x, y: x * y), not "
            f"{type(f).__name__}: pass the function that builds the result"
        )
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2, got {order!r}")
    for name, tolerance in (("atol", atol), ("rtol", rtol)):
        if not (tolerance >= 0 and math.isfinite(tolerance)):
            raise ValueError(f"{name} must be a finite number >= 0, got {tolerance!r}")
    if eps is not None and not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be positive and finite, got {eps!r}")
    point, names = _leaves(inputs)
    leaves = _fresh(point, names)
    out = _evaluate(f, leaves)
    rows = []
    if order == 1:
        out.backward()
        for i, leaf in enumerate(leaves):
            numeric = numeric_grad(f, inputs, i, eps)
            rows.append(_row(names[i], point[i], leaf.grad, numeric, atol, rtol))
        return GradcheckReport(output=out.data, rows=tuple(rows), atol=atol, rtol=rtol)
    first = grad(out, leaves, create_graph=True)
    for i, d in enumerate(first):

        def derivative_i(p: list[float], i: int = i) -> float:
            fresh = _fresh(p, names)
            return grad(_evaluate(f, fresh), fresh[i]).data

        for j, second in enumerate(grad(d, leaves)):
            numeric = _difference(derivative_i, point, j, eps)
            name = f"∂²/∂{names[i]}∂{names[j]}" if i != j else f"∂²/∂{names[i]}²"
            rows.append(_row(name, point[j], second.data, numeric, atol, rtol))
    return GradcheckReport(output=out.data, rows=tuple(rows), atol=atol, rtol=rtol)
