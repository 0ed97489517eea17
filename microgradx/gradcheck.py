"""Checking gradients against finite differences.

Backpropagation gives exact derivatives (up to rounding); the central difference

    ∂f/∂xᵢ ≈ (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h

gives an independent estimate with error O(h²). If the two agree, the op table's
local derivatives and the engine's chain rule are right.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .engine import Value, no_grad

__all__ = ["GradcheckReport", "GradcheckRow", "gradcheck", "numeric_grad"]

Function = Callable[..., Value]


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


def _evaluate(f: Function, point: Sequence[float], names: Sequence[str]) -> Value:
    out = f(*(Value(x, label=n) for x, n in zip(point, names)))
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    return out


def numeric_grad(f: Function, inputs: Sequence[float | Value], i: int, eps: float = 1e-6) -> float:
    """Central-difference estimate of ∂f/∂inputs[i]: (f(x+h) − f(x−h)) / 2h."""
    point, names = _leaves(inputs)
    if not -len(point) <= i < len(point):
        raise IndexError(f"input index {i} out of range for {len(point)} inputs")
    if not eps > 0:
        raise ValueError(f"eps must be positive, got {eps!r}")
    up, down = list(point), list(point)
    up[i] += eps
    down[i] -= eps
    with no_grad():
        f_up = _evaluate(f, up, names).data
        f_down = _evaluate(f, down, names).data
    return (f_up - f_down) / (2 * eps)


@dataclass(frozen=True)
class GradcheckRow:
    """One input's result: autograd vs central difference."""

    name: str
    value: float
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ok: bool


@dataclass(frozen=True)
class GradcheckReport:
    """Per-input comparison of autograd and numeric gradients.

    Truthy when every input passes. ``print(report)`` shows a table.
    """

    output: float
    rows: tuple[GradcheckRow, ...]
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        """True when every input passes."""
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: int | str) -> GradcheckRow:
        if isinstance(key, str):
            for row in self.rows:
                if row.name == key:
                    return row
            raise KeyError(key)
        return self.rows[key]

    def __str__(self) -> str:
        header = ("input", "value", "autograd", "numeric", "abs err", "rel err", "")
        lines = [header]
        for r in self.rows:
            lines.append((
                r.name, f"{r.value:.6g}", f"{r.analytic:.10g}", f"{r.numeric:.10g}",
                f"{r.abs_error:.2e}", f"{r.rel_error:.2e}", "ok" if r.ok else "FAIL",
            ))  # fmt: skip
        widths = [max(len(line[c]) for line in lines) for c in range(len(header))]
        text = [
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines
        ]
        verdict = "all gradients match" if self.ok else "MISMATCH"
        text.append(f"{verdict} (atol={self.atol:g}, rtol={self.rtol:g})")
        return "\n".join(text)


def _close(analytic: float, numeric: float, atol: float, rtol: float) -> bool:
    if math.isnan(analytic) or math.isnan(numeric):
        return math.isnan(analytic) and math.isnan(numeric)
    if math.isinf(analytic) or math.isinf(numeric):
        return analytic == numeric
    return abs(analytic - numeric) <= atol + rtol * abs(numeric)


def gradcheck(
    f: Function,
    inputs: Sequence[float | Value],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
) -> GradcheckReport:
    """Compare autograd gradients of ``f`` with central differences at ``inputs``.

    ``f`` takes one Value per input and returns a Value. It is called on fresh
    leaves, so the Values passed in ``inputs`` (whose numbers and labels are used)
    keep their own gradients. An input passes when
    ``|autograd − numeric| <= atol + rtol·|numeric|``.

    Example::

        >>> report = gradcheck(lambda x, y: x * y + y.tanh(), [2.0, 0.5])
        >>> bool(report)
        True
    """
    point, names = _leaves(inputs)
    leaves = [Value(x, label=n) for x, n in zip(point, names)]
    out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"f must return a Value, got {type(out).__name__}")
    out.backward()
    rows = []
    for i, leaf in enumerate(leaves):
        numeric = numeric_grad(f, inputs, i, eps)
        analytic = leaf.grad
        abs_error = abs(analytic - numeric)
        rel_error = abs_error / max(abs(numeric), 1e-300)
        rows.append(
            GradcheckRow(
                name=names[i],
                value=point[i],
                analytic=analytic,
                numeric=numeric,
                abs_error=abs_error,
                rel_error=rel_error,
                ok=_close(analytic, numeric, atol, rtol),
            )
        )
    return GradcheckReport(output=out.data, rows=tuple(rows), atol=atol, rtol=rtol)
