"""Derivatives as values: ``grad``, higher orders, and functions that return derivatives.

``output.backward()`` stores ∂output/∂v in every ``v.grad``. :func:`grad` computes the
same chain rule but *returns* the derivatives of the inputs you ask for, touching no
``.grad``::

    ∂f/∂v = Σ over users u of v:  ∂f/∂u · ∂u/∂v

With ``create_graph=True`` the backward pass is itself recorded as a graph of Values:
each local derivative ∂u/∂v comes from the op's row in :mod:`microgradx.ops`, applied to
the forward Values (``df`` is written once for floats, arrays and Values), and each
product and sum above is a new node. The results are then ordinary Values: they can be
drawn (labelled ``∂f/∂x``), stepped through, and differentiated again, which gives
second derivatives, Hessians and Newton's method from the same table as the first
derivatives.

Where an op's first derivative is piecewise constant (``relu``, ``leaky_relu``, ``abs``,
``max``, ``min``) it is a number in the derivative graph, so the second derivative is 0,
kinks included (``relu''(0) = 0``); ``max``/``min`` send the gradient to the input that
won in the forward pass, half each on a tie.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple, overload

import numpy as np

from . import engine
from ._gc import paused
from .engine import Value, ValueLike, _as_value, chain_rule
from .graph import topological_order
from .ops import OPS

__all__ = ["derivative", "derivative_name", "grad", "gradient", "hessian"]

BACKWARD_SCOPE = "backward"
"""The :func:`~microgradx.scope` of every node made by ``grad(..., create_graph=True)``:
``d.draw(clusters=True)`` frames the backward pass apart from the forward Values it reads."""

Grad = float | Value  # a gradient while it is built: a number (a constant) or a Value


@overload
def grad(output: Value, inputs: Value, create_graph: bool = False) -> Value: ...


@overload
def grad(output: Value, inputs: Sequence[Value], create_graph: bool = False) -> list[Value]: ...


@paused  # walking and building graphs: no cycles to collect (see _gc.py)
def grad(
    output: Value, inputs: Value | Sequence[Value], create_graph: bool = False
) -> Value | list[Value]:
    """∂output/∂input for each input, without touching any ``.grad``.

    Args:
        output: the Value to differentiate.
        inputs: a Value or a sequence of Values (leaves or intermediate nodes) of
            ``output``'s graph; one not in the graph gets 0.
        create_graph: if False, the results are constants (leaves); if True, they
            are Values whose graph is the backward pass, so they can be drawn and
            differentiated again.

    Returns:
        One Value per input (a single Value if ``inputs`` is a Value), labelled
        ``∂f/∂x`` with the output's and the input's labels (``f`` and ``x0``,
        ``x1``, … where they have none). With ``create_graph=True`` a result may be
        a Value of the forward graph itself: for ``f = u·z``, ∂f/∂u *is* ``z``.
        Every node the backward pass makes is in the scope ``"backward"``, so
        ``d.draw(clusters=True)`` shows it framed, beside the forward Values it
        reads, with an edge for each value read.

    Example::

        >>> x = Value(3.0, "x")
        >>> f = x * x * x
        >>> df = grad(f, x, create_graph=True)  # 3x² as a graph
        >>> df.data, grad(df, x).data  # 3x² = 27, 6x = 18
        (27.0, 18.0)
    """
    single = isinstance(inputs, Value)
    wanted: list[Value] = [inputs] if single else list(inputs)  # type: ignore[list-item]
    if not isinstance(output, Value):
        raise TypeError(f"output must be a Value, not {type(output).__name__}")
    for v in wanted:
        if not isinstance(v, Value):
            raise TypeError(f"inputs must be Values, not {type(v).__name__}")
    if output.op and not output.children:  # as backward(): no graph to go back through
        raise RuntimeError(
            f"grad() of a result of {output.op!r} made inside no_grad(): it recorded no "
            "operands, so there is no graph to differentiate; compute it outside no_grad()"
        )
    if create_graph and not engine.is_grad_enabled():
        raise RuntimeError(
            "grad(..., create_graph=True) inside no_grad() would record nothing: "
            "call it outside no_grad()"
        )
    if create_graph:
        with engine.scope(BACKWARD_SCOPE):  # every node the backward pass makes
            found = _backward_pass(output, set(wanted))
    else:
        found = _numbers_pass(output, set(wanted))
    forward = set(topological_order(output)) if create_graph else set()
    f = output.label or "f"
    results = []
    for i, v in enumerate(wanted):
        name = derivative_name(f, v.label or f"x{i}")
        g = found.get(v, 0.0)
        if isinstance(g, Value):
            if not g.label and g not in forward:  # made by the backward pass: name it
                g.label = name
            results.append(g)
        else:
            results.append(Value(g, label=name))
    return results[0] if single else results


_SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"
_ORDER = re.compile(r"^∂([²³⁴⁵⁶⁷⁸⁹]?)(.+?)/((?:∂[^∂]+)+)$")


def derivative_name(f: str, x: str) -> str:
    """The name of ∂f/∂x, counting orders: ``∂f/∂x``, then ``∂²f/∂x∂y``, ``∂²f/∂x²``.

    Example::

        >>> derivative_name("f", "x"), derivative_name("∂f/∂x", "y")
        ('∂f/∂x', '∂²f/∂x∂y')
        >>> derivative_name("∂²f/∂x∂y", "y")
        '∂³f/∂x∂y²'
    """
    found = _ORDER.match(f)
    if found is None or "/" in found.group(2):
        return f"∂{f}/∂{x}"
    order = _SUPERSCRIPTS.index(found.group(1)) + 1 if found.group(1) else 1
    if order >= 9:
        return f"∂{f}/∂{x}"
    below = found.group(3)
    last = below.rsplit("∂", 1)[1]
    base, power = last.rstrip(_SUPERSCRIPTS), last[len(last.rstrip(_SUPERSCRIPTS)) :]
    if base == x:  # ∂x then ∂x again: ∂x²
        n = _SUPERSCRIPTS.index(power) + 2 if power else 2
        below = below[: len(below) - len(last)] + x + _SUPERSCRIPTS[n - 1]
    else:
        below += f"∂{x}"
    return f"∂{_SUPERSCRIPTS[order]}{found.group(2)}/{below}"


def _backward_pass(output: Value, wanted: set[Value]) -> dict[Value, Grad]:
    """The chain rule from ``output`` down, recorded as Values (numbers where constant).

    Nodes are visited output first (reverse topological order), so when a node is
    reached every user has already passed its contribution ∂f/∂u·∂u/∂node down, and
    their sum is the node's gradient. Returns the gradients of the ``wanted`` nodes.
    """
    f = output.label or "f"
    needed = _leading_to(output, wanted)
    contributions: dict[Value, list[Grad]] = {output: [1.0]} if output in needed else {}
    found: dict[Value, Grad] = {}
    for node in topological_order(output, reverse=True):
        parts = contributions.pop(node, None)
        if parts is None:
            continue  # the wanted nodes do not depend on it, or it on them
        upstream = _total(parts, derivative_name(f, node.label) if node.label else "")
        if node in wanted:
            found[node] = upstream
        if not node.children:
            continue
        # the op's own rule, applied to Values: the local derivatives as a graph
        extra = () if node.arg is None else (node.arg,)
        rule = OPS[node.op]
        local = rule.df(node, *node.children, *extra)
        for child, d in zip(node.children, local):
            if rule.gates and not isinstance(d, Value) and d == 0.0:
                continue  # switched off: exactly 0, whatever the upstream (Op.gates)
            if child in needed:
                part = _times(d, upstream)
                if isinstance(part, Value) or part != 0.0:
                    contributions.setdefault(child, []).append(part)
    return found


class ChainTerm(NamedTuple):
    """One product of the chain rule as :func:`chain_rule_numbers` adds it:
    ``∂f/∂child += ∂f/∂node · ∂node/∂child``, with the sum before and after."""

    node: Value  # the user whose rule runs
    child: Value  # its operand, which receives
    upstream: float  # ∂f/∂node
    local: float  # ∂node/∂child
    part: float  # upstream · local (exactly 0 for an input the op switches off)
    before: float | None  # ∂f/∂child before this term (None: its first)
    after: float  # ∂f/∂child after it


def chain_rule_numbers(
    output: Value, term: Callable[[ChainTerm], None] | None = None
) -> dict[Value, float]:
    """∂output/∂v for every v below ``output``: ``backward()``'s chain rule on numbers,
    into a dict (no ``.grad`` changes).

    The same step as :meth:`Value._backward` (:func:`~microgradx.engine.chain_rule`),
    summed into ``grads[v]`` instead of ``v.grad``; a node's sum is complete when it is
    reached, since every user comes before it in reverse topological order.
    ``term``, if given, sees each :class:`ChainTerm` as it is added (the lesson's
    captions, the exercises).
    """
    grads: dict[Value, float] = {output: 1.0}
    for node in topological_order(output, reverse=True, leaves=False):
        upstream = grads[node]
        for child, local, part in chain_rule(node, upstream):
            before = grads.get(child)
            after = grads[child] = (0.0 if before is None else before) + part
            if term is not None:
                term(ChainTerm(node, child, upstream, local, part, before, after))
    return grads


def _numbers_pass(output: Value, wanted: set[Value]) -> dict[Value, Grad]:
    """:func:`chain_rule_numbers`, kept for the ``wanted`` nodes it reaches."""
    grads = chain_rule_numbers(output)
    return {v: grads[v] for v in wanted if v in grads}


def _leading_to(output: Value, wanted: set[Value]) -> set[Value]:
    """The nodes of ``output``'s graph on a path to a ``wanted`` node (those included)."""
    needed: set[Value] = set()
    for node in topological_order(output):  # operands first
        if node in wanted or any(c in needed for c in node.children):
            needed.add(node)
    return needed


def _times(local: Grad, upstream: Grad) -> Grad:
    """local·upstream, folding numbers: 1·g is g, −1·g is −g, 0·g is 0 (g finite)."""
    if not isinstance(local, Value):
        local = float(local)
        if not isinstance(upstream, Value):
            return local * upstream
        if local == 0.0 and math.isfinite(upstream.data):
            return 0.0
        if local == 1.0:
            return upstream
        if local == -1.0:
            return -upstream
        return local * upstream
    if not isinstance(upstream, Value):
        if upstream == 1.0:
            return local
        if upstream == -1.0:
            return -local
    return local * upstream


def _total(parts: list[Grad], label: str) -> Grad:
    """The sum of a node's gradient contributions: a number, a Value, or one Σ node."""
    numbers = [p for p in parts if not isinstance(p, Value)]
    values = [p for p in parts if isinstance(p, Value)]
    constant = 0.0
    for p in numbers:
        constant += float(p)
    if not values:
        return constant
    if len(values) == 1 and constant == 0.0:
        return values[0]
    total = engine.sum([*values, constant] if constant else values)
    if label:
        total.label = label
    return total


# --- functions that return derivatives ---------------------------------------------------


MAX_ORDER = 12
"""The highest ``order`` :func:`derivative` computes (the graphs grow geometrically)."""


def derivative(f: Callable[[Value], Value], order: int = 1) -> Callable[[ValueLike], ValueLike]:
    """The function x ↦ f⁽ⁿ⁾(x), the ``order``-th derivative of ``f`` (one variable).

    ``f`` takes a Value and returns a Value. The returned function takes a number and
    returns a float, or takes a Value and returns a Value (a graph, so derivatives
    compose: ``derivative(derivative(f))`` is ``derivative(f, 2)``).

    Example::

        >>> d2 = derivative(lambda x: x.tanh(), order=2)
        >>> round(d2(0.5), 6)  # −2·tanh(x)·(1 − tanh²x)
        -0.726862
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 0:
        raise ValueError(f"order must be a non-negative int, got {order!r}")
    if order > MAX_ORDER:  # each order differentiates the graph of the one before
        raise ValueError(
            f"order must be at most {MAX_ORDER}, got {order:,}: each order's graph is "
            "built from the one before and grows a few times larger (order 16 takes minutes)"
        )

    def df(x: ValueLike) -> ValueLike:
        as_value = isinstance(x, Value)
        leaf = x if isinstance(x, Value) else Value(x, label="x")
        out = _checked(f(leaf))
        for k in range(order):
            last = k == order - 1
            out = grad(out, leaf, create_graph=as_value or not last)
        return out if as_value else out.data

    df.__name__ = f"d{order}_{getattr(f, '__name__', 'f')}"
    df.__doc__ = f"The derivative of order {order} of {getattr(f, '__name__', 'f')}."
    return df


def gradient(f: Callable[..., Value]) -> Callable[..., list[float]]:
    """The function (x₁, …, xₙ) ↦ [∂f/∂x₁, …, ∂f/∂xₙ] for ``f`` of n Values.

    Example::

        >>> gradient(lambda x, y: x * y + y)(3.0, 2.0)  # [y, x + 1]
        [2.0, 4.0]
    """

    def g(*xs: float) -> list[float]:
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        return [d.data for d in grad(_checked(f(*leaves)), leaves)]

    return g


def hessian(f: Callable[..., Value]) -> Callable[..., np.ndarray]:
    """The function (x₁, …, xₙ) ↦ H with Hᵢⱼ = ∂²f/∂xᵢ∂xⱼ, for ``f`` of n Values.

    The gradient is built once as a graph (``create_graph=True``) and each of its n
    entries is differentiated again: n + 1 backward passes.

    Example::

        >>> hessian(lambda x, y: x * x * y)(3.0, 2.0).tolist()  # [[2y, 2x], [2x, 0]]
        [[4.0, 6.0], [6.0, 0.0]]
    """

    def h(*xs: float) -> np.ndarray:
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        first = grad(_checked(f(*leaves)), leaves, create_graph=True)
        return np.array([[d.data for d in grad(g, leaves)] for g in first])

    return h


def _checked(out: object) -> Value:
    if isinstance(out, Value):
        return out
    return _as_value(out)  # a number: a constant (its derivatives are 0)
