"""Checking microgradx against PyTorch: the same expression, values and gradients.

Writing an autograd engine, one checks it against an engine known to be right.
`compare_with_torch` builds an expression's graph with microgradx, rebuilds
the same operations on PyTorch tensors (float64), runs backward in both and
prints a table of every named value and its gradient side by side:

    >>> report = compare_with_torch("(w + x*y)*z", {"w": 5, "x": 3, "y": 2, "z": 4})
    ... # doctest: +SKIP
    name    microgradx  torch  |Δ|  ∂output/∂name microgradx  torch  |Δ|
    w                5      5    0                         4      4    0
    ...

PyTorch computes each operation and its derivative with its own code; microgradx
supplies only the shape of the graph (which operation reads which operands).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Any

import numpy as np

from ._report import text_table
from ._torch import require_torch
from .engine import Value
from .expr import parse
from .graph import topological_order
from .ops import OPS

__all__ = ["ComparisonRow", "TorchComparison", "compare_with_torch"]


def torch_functions(torch: Any) -> dict[str, Callable[..., Any]]:
    """Each microgradx op name -> the PyTorch function computing it.

    The op's row names it (``Op.torch``, a path under ``torch``); without one, an op
    whose name PyTorch shares (``add``, ``exp``, ``tanh``) maps to ``torch.<name>``.
    Every function receives the operands' tensors, then the op's extra number (the
    exponent of ``x ** 2``, the slope of ``leaky_relu``) if it has one. ``sum`` takes
    any number of operands, which no single PyTorch function does, so it stacks them.
    Ops PyTorch lacks are left out.
    """
    forms: dict[str, Callable[..., Any]] = {"sum": lambda *args: torch.stack(args).sum()}
    for name, op in OPS.items():
        if name in forms:
            continue
        form: Any = torch
        for part in (op.torch or name).split("."):
            form = getattr(form, part, None)
        if callable(form):
            forms[name] = form
    return forms


def _difference(a: float, b: float) -> float:
    """|a − b|, taking equal infinities and two NaNs as agreeing (difference 0)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return 0.0
    return abs(a - b)


@dataclass(frozen=True)
class ComparisonRow:
    """One named value: its value and gradient in each engine."""

    name: str
    value: float
    torch_value: float
    grad: float
    torch_grad: float

    @property
    def value_diff(self) -> float:
        """|value − torch_value| (0 when both are the same infinity or both NaN)."""
        return _difference(self.value, self.torch_value)

    @property
    def grad_diff(self) -> float:
        """|grad − torch_grad| (0 when both are the same infinity or both NaN)."""
        return _difference(self.grad, self.torch_grad)


@dataclass
class TorchComparison:
    """What `compare_with_torch` found.

    Attributes:
        expression: the text, or the callable's name.
        output: the name of the output in the table.
        rows: one `ComparisonRow` per named value, the output last.
        tol: the largest difference counted as agreement.
    """

    expression: str
    output: str
    rows: list[ComparisonRow] = field(default_factory=list)
    tol: float = 1e-12

    @property
    def max_value_diff(self) -> float:
        """The largest |Δ| between the engines' values."""
        return max(row.value_diff for row in self.rows)

    @property
    def max_grad_diff(self) -> float:
        """The largest |Δ| between the engines' gradients."""
        return max(row.grad_diff for row in self.rows)

    @property
    def ok(self) -> bool:
        """Every value and gradient agrees within ``tol`` (a NaN difference fails)."""
        return all(row.value_diff <= self.tol and row.grad_diff <= self.tol for row in self.rows)

    def row(self, name: str) -> ComparisonRow:
        """The row for ``name`` (``KeyError`` if the table has none)."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no value named {name!r}; names: {[r.name for r in self.rows]}")

    def table(self) -> str:
        """The comparison as an aligned text table with a verdict line."""
        grad = f"∂{self.output}/∂name microgradx"
        header = ["name", "microgradx", "torch", "|Δ|", grad, "torch", "|Δ|"]
        lines = [header]
        for r in self.rows:
            lines.append(
                [
                    r.name,
                    f"{r.value:.12g}",
                    f"{r.torch_value:.12g}",
                    f"{r.value_diff:.2g}",
                    f"{r.grad:.12g}",
                    f"{r.torch_grad:.12g}",
                    f"{r.grad_diff:.2g}",
                ]
            )
        text = text_table(lines, numbers_right=True)
        verdict = "agree" if self.ok else "DIFFER"
        text.append(
            f"{verdict}: largest |Δ| {self.max_value_diff:.2g} in values, "
            f"{self.max_grad_diff:.2g} in gradients (tolerance {self.tol:g})"
        )
        return "\n".join(text)

    def __str__(self) -> str:
        return self.table()


def _leaves_for(values: Mapping[str, object] | Sequence[object], names: list[str]) -> list[Value]:
    out = []
    items = values.items() if isinstance(values, Mapping) else zip(names, values)
    for name, x in items:
        if isinstance(x, bool) or not isinstance(x, (Real, np.integer, np.floating)):
            raise TypeError(f"the value of {name} must be a number, got {type(x).__name__}")
        out.append(Value(float(x), label=str(name)))
    return out


def _build(
    f: str | Callable[..., Any], values: Mapping[str, object] | Sequence[object]
) -> tuple[str, Value, dict[str, Value]]:
    """Build ``f``'s graph in microgradx: (description, output, name -> named Value)."""
    if isinstance(f, str):
        if not isinstance(values, Mapping):
            raise TypeError("for a text expression give values as a mapping name -> number")
        leaves = _leaves_for(values, [])
        expression = parse(f, **{leaf.label: leaf.data for leaf in leaves})
        return f, expression.output, dict(expression.values)
    if not callable(f):
        raise TypeError(f"f must be a text expression or a callable, not {type(f).__name__}")
    description = getattr(f, "__name__", type(f).__name__)
    if isinstance(values, Mapping):
        leaves = _leaves_for(values, [])
        output = f(**{leaf.label: leaf for leaf in leaves})
    else:
        values = list(values)
        try:
            params = list(inspect.signature(f).parameters)
        except (TypeError, ValueError):
            params = []
        names = params if len(params) == len(values) else [f"x{i}" for i in range(len(values))]
        leaves = _leaves_for(values, names)
        output = f(*leaves)
    if isinstance(output, (list, tuple)) and len(output) == 1:
        output = output[0]
    if not isinstance(output, Value):
        raise TypeError(f"f must return a Value, got {type(output).__name__}")
    return description, output, {leaf.label: leaf for leaf in leaves}


def compare_with_torch(
    f: str | Callable[..., Any],
    values: Mapping[str, float] | Sequence[float],
    *,
    tol: float = 1e-12,
    show: bool = True,
) -> TorchComparison:
    """Evaluate ``f`` in microgradx and in PyTorch and compare values and gradients.

    Args:
        f: an expression's text for `microgradx.parse`, e.g.
            ``"v = x*y; f = tanh(v + b)"``, or a callable taking Values and
            returning one Value, e.g. ``lambda x, y: (x * y).relu()``.
        values: a number for each input: a mapping name -> number, or (for a
            callable) a sequence given positionally, named after its parameters.
        tol: the largest difference that counts as agreement.
        show: print the table.

    Returns:
        A `TorchComparison`: one row per named value (the inputs, for text
        also every ``name = ...`` line) and the output last, each with the value and
        the gradient ∂output/∂value from both engines and their differences.

    PyTorch evaluates the same operations (float64 tensors) and differentiates them
    with its own autograd; microgradx's gradients come from ``output.backward()``.
    """
    torch = require_torch("compare_with_torch()")
    description, output, named = _build(f, values)
    output_name = output.label or "output"
    order = topological_order(output)
    for node in order:
        node.grad = 0.0
    output.backward()

    ops = torch_functions(torch)
    tensors: dict[int, Any] = {}
    for node in order:
        if not node.children:
            tensors[id(node)] = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
            continue
        if node.op not in ops:
            raise NotImplementedError(f"no PyTorch form for the op {node.op!r}")
        args = [tensors[id(child)] for child in node.children]
        if node.arg is not None:  # operands, then the op's extra number
            args.append(node.arg)
        tensors[id(node)] = ops[node.op](*args)
    for node in order:
        tensors[id(node)].retain_grad()
    torch_output = tensors[id(output)]
    torch_output.backward()

    def row(name: str, node: Value) -> ComparisonRow:
        tensor = tensors.get(id(node))
        if tensor is None:  # an input the output does not use: ∂output/∂input = 0 in both
            return ComparisonRow(name, node.data, node.data, 0.0, 0.0)
        grad = 0.0 if tensor.grad is None else float(tensor.grad)
        return ComparisonRow(name, node.data, float(tensor.detach()), node.grad, grad)

    shown = [(name, node) for name, node in named.items() if node is not output]
    shown.append((output_name, output))
    rows = [row(name, node) for name, node in shown]
    report = TorchComparison(description, output_name, rows, tol)
    if show:
        print(report.table())
    return report
