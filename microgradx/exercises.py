"""Exercises that check themselves: compare hand-computed gradients with the graph's.

A student works out some gradients ∂out/∂node by hand and hands them to
:func:`check_backprop`. The true gradients come from one reverse walk of the graph
(the chain rule, as in ``backward``), kept in a dictionary, so no ``.grad`` changes:

    ∂out/∂node = Σ over the node's users u of  ∂out/∂u · ∂u/∂node
                 (upstream gradient × local gradient)

For every wrong answer the report shows the right value and that sum, term by term,
so the student sees which factor went wrong.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

from ._report import RowsReport, text_table
from .autodiff import ChainTerm, chain_rule_numbers
from .engine import Value
from .viz.names import Namer, caller_names

__all__ = ["BackpropReport", "BackpropRow", "Term", "check_backprop", "true_gradients"]


@dataclass(frozen=True)
class Term:
    """One user's share of a gradient: ``upstream · local``.

    Attributes:
        user: the name of the node that uses the operand.
        upstream: ∂out/∂user.
        local: ∂user/∂operand, from the op table.
    """

    user: str
    upstream: float
    local: float

    @property
    def product(self) -> float:
        """upstream × local."""
        return self.upstream * self.local


@dataclass(frozen=True)
class BackpropRow:
    """One answer: what the student gave, the true gradient, and how it is made."""

    name: str
    answer: float | None
    true: float
    ok: bool
    terms: tuple[Term, ...]

    @property
    def answered(self) -> bool:
        """False while the answer is ``None`` (an exercise not done yet)."""
        return self.answer is not None

    def chain(self, output: str, precision: int = 4) -> str:
        """The chain-rule sum that gives the true value, e.g.

        ``∂L/∂h = ∂L/∂a·∂a/∂h + ∂L/∂b·∂b/∂h = (0.5)(0.2) + (-1)(0.3) = -0.2``.
        """

        def num(x: float) -> str:
            return f"{x:.{precision}g}"

        if not self.terms:
            return f"∂{output}/∂{output} = 1 (the output itself)"
        symbols = " + ".join(
            f"∂{output}/∂{_wrap(t.user)}·∂{_wrap(t.user)}/∂{_wrap(self.name)}" for t in self.terms
        )
        numbers = " + ".join(f"({num(t.upstream)})({num(t.local)})" for t in self.terms)
        return f"∂{output}/∂{self.name} = {symbols} = {numbers} = {num(self.true)}"


@dataclass(frozen=True)
class BackpropReport(RowsReport):
    """The result of :func:`check_backprop`: truthy when every answer is right.

    ``print(report)`` shows a table; below it, for each wrong answer, the chain-rule
    sum that gives the right value.
    """

    output: str
    rows: tuple[BackpropRow, ...]
    rel_tol: float
    abs_tol: float

    @property
    def ok(self) -> bool:
        """True when every answer is within tolerance."""
        return all(row.ok for row in self.rows)

    @property
    def wrong(self) -> tuple[BackpropRow, ...]:
        """The answered rows whose answer is not within tolerance."""
        return tuple(row for row in self.rows if row.answered and not row.ok)

    @property
    def open(self) -> tuple[BackpropRow, ...]:
        """The rows still without an answer (``None``)."""
        return tuple(row for row in self.rows if not row.answered)

    def __str__(self) -> str:
        lines = [(f"∂{self.output}/∂·", "your answer", "true value", "")]
        for r in self.rows:
            if r.answer is None:
                lines.append((r.name, "?", "", "not answered yet"))
            elif r.ok:
                lines.append((r.name, f"{r.answer:.6g}", "✓", "right"))
            else:
                lines.append((r.name, f"{r.answer:.6g}", f"{r.true:.6g}", "WRONG"))
        text = text_table(lines)
        n_right = sum(r.ok for r in self.rows)
        summary = f"{n_right} of {len(self.rows)} right"
        if self.open:
            summary += f", {len(self.open)} not answered yet"
        text.append(f"{summary} (rel_tol={self.rel_tol:g}, abs_tol={self.abs_tol:g})")
        for r in self.wrong:
            text.append(f"{r.name}: {r.chain(self.output)}")
        return "\n".join(text)

    def __repr__(self) -> str:
        return str(self)


def true_gradients(
    output: Value, names: Mapping[Value, str] | None = None
) -> tuple[dict[Value, float], dict[Value, list[Term]]]:
    """∂output/∂node for every node below ``output``, and the terms that make each.

    One reverse walk in topological order, the same chain rule as ``backward``,
    with the sums kept in a dictionary instead of ``.grad``. Users are named by
    ``names`` (default :func:`node_names`).
    """
    names = node_names(output) if names is None else names
    terms: dict[Value, list[Term]] = {output: []}

    def keep(t: ChainTerm) -> None:
        terms.setdefault(t.child, []).append(Term(names[t.node], t.upstream, t.local))

    return chain_rule_numbers(output, keep), terms


def _wrap(name: str) -> str:
    """``(w·h)`` for a formula name, so ``∂L/∂(w·h)`` reads as one derivative."""
    return f"({name})" if any(c in name for c in "+−·/^(, ") else name


def node_names(
    output: Value,
    known: Mapping[Value, str] | None = None,
    bound: Mapping[int, str] | None = None,
) -> dict[Value, str]:
    """A name for every node below ``output``, by the rule every drawing uses.

    :class:`microgradx.viz.names.Namer`: the label; else the name ``bound``
    (``{id(value): name}``, e.g. the caller's variables) gives it; else a short
    formula of named operands (``w212·h12``); else a generated name. ``known``
    overrides them (the names the answers were given under).
    """
    namer = Namer(output, bound=bound or {})
    names = {v: namer(v) for v in namer.order}
    names.update(known or {})
    return names


def check_backprop(
    output: Value,
    answers: Mapping[str | Value, float | None],
    rel_tol: float = 0.01,
    abs_tol: float = 1e-4,
) -> BackpropReport:
    """Check hand-computed gradients ∂output/∂node against the graph's true ones.

    ``answers`` maps nodes to the student's values; a node is given as a Value, as
    its label, or as the name of a variable bound to it where ``check_backprop`` is
    called. Any subset of the nodes will do; an answer of ``None`` is an exercise
    not done yet (listed, never solved, and the report stays falsy). An answer is
    right when ``|answer − true| <= abs_tol + rel_tol·|true|`` (hand calculations
    round, so the default allows 1%). No ``.grad`` is changed.

    Example::

        >>> x, y = Value(3.0, "x"), Value(2.0, "y")
        >>> f = x * y + x
        >>> f.label = "f"
        >>> bool(check_backprop(f, {"x": 3.0, y: 3.0}))  # ∂f/∂x = y + 1, ∂f/∂y = x
        True
    """
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, got {type(output).__name__}")
    if not isinstance(answers, Mapping) or not answers:
        raise TypeError("answers must be a non-empty dict {node or label: gradient}")
    caller = sys._getframe(1)
    scope = {**caller.f_globals, **caller.f_locals}
    bound = caller_names(caller)
    names = node_names(output, bound=bound)
    resolved = [(*_resolve(key, names, scope), answer) for key, answer in answers.items()]
    names = node_names(output, {node: name for node, name, _ in resolved}, bound)
    grads, terms = true_gradients(output, names)
    rows = []
    for node, name, answer in resolved:
        true = grads[node]
        if answer is None:
            rows.append(BackpropRow(name, None, true, False, tuple(terms[node])))
            continue
        if isinstance(answer, bool) or not isinstance(answer, Real):
            raise TypeError(f"the answer for {name} must be a number or None, got {answer!r}")
        ok = _close(float(answer), true, rel_tol, abs_tol)
        rows.append(BackpropRow(name, float(answer), true, ok, tuple(terms[node])))
    return BackpropReport(names[output], tuple(rows), rel_tol, abs_tol)


def _resolve(
    key: str | Value, names: dict[Value, str], scope: Mapping[str, object]
) -> tuple[Value, str]:
    """The node ``key`` stands for, and the name to show for it."""
    if isinstance(key, Value):
        if key not in names:
            raise ValueError(f"{key!r} is not part of the output's graph")
        return key, names[key]
    if not isinstance(key, str):
        raise TypeError(f"answers are keyed by labels or Values, got {type(key).__name__}")
    labelled = [v for v in names if v.label == key]
    if len(labelled) > 1:
        raise ValueError(f"{len(labelled)} nodes are labelled {key!r}: give the Value instead")
    if labelled:
        return labelled[0], key
    variable = scope.get(key)
    if isinstance(variable, Value) and variable in names:
        return variable, key
    known = sorted({v.label for v in names if v.label})
    raise KeyError(f"no node labelled or named {key!r} in the graph; labels: {', '.join(known)}")


def _close(answer: float, true: float, rel_tol: float, abs_tol: float) -> bool:
    if math.isnan(true) or math.isinf(true):
        return answer == true or (math.isnan(answer) and math.isnan(true))
    return abs(answer - true) <= abs_tol + rel_tol * abs(true)
