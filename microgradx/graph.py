"""Walking computational graphs: one traversal for backward, drawing and the tape.

Everything here is iterative (explicit stacks, no recursion), so a chain a million
operations deep is as easy to walk as a tiny expression. Orders are deterministic:
children are visited in operand order, so the same expression always gives the
same order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Value

__all__ = [
    "GraphStats",
    "count_nodes",
    "stats",
    "topological_order",
    "users",
    "users_in",
]


def topological_order(root: Value, reverse: bool = False, leaves: bool = True) -> list[Value]:
    """Every node below ``root`` once, each after all of its operands.

    With ``reverse=True`` the root comes first and every node comes before its
    operands: the order in which backward visits nodes. With ``leaves=False``
    only nodes made by an operation are listed (all that backward needs).

    Depth-first search without recursion: ``stack`` holds the path from the root
    to the current node and ``pending`` the operands each of them has still to
    visit. A node is finished once all its operands are; listing nodes as they
    finish gives operands before results. A leaf has no operands, so it is
    finished as soon as it is reached, without a trip through the stack.
    """
    if not hasattr(root, "children"):
        raise TypeError(f"topological_order() needs a Value, not {type(root).__name__}")
    order: list[Value] = []
    if not (leaves or root.children):
        return order
    visited = {root}
    stack = [root]
    pending = [iter(root.children)]
    # Bound methods, looked up once: this loop runs once per node and edge.
    visit, finish = visited.add, order.append
    push, push_pending = stack.append, pending.append
    while stack:
        for child in pending[-1]:
            if child.children:
                if child not in visited:  # go down into it
                    visit(child)
                    push(child)
                    push_pending(iter(child.children))
                    break
            elif leaves and child not in visited:
                visit(child)
                finish(child)
        else:  # every operand of stack[-1] is finished, so it is too
            finish(stack.pop())
            pending.pop()
    if reverse:
        order.reverse()
    return order


def count_nodes(
    roots: Value | Iterable[Value],
    limit: int,
    group: Callable[[Value], str | None] | None = None,
) -> int:
    """How many nodes the graph below ``roots`` has, counting no further than ``limit + 1``.

    A bounded walk: it stops as soon as the count passes ``limit``, so asking
    whether a million-node graph has more than 1000 nodes takes about 1000 steps,
    not a million. The drawings' size checks count with this before anything is
    built.

    ``roots`` is one node or several. With ``group``, a node for which
    ``group(node)`` gives a name counts once per distinct name (the boxes of a
    collapsed drawing), and a node it gives ``None`` for counts on its own; the
    walk still goes through grouped nodes to reach the nodes below them.
    """
    if hasattr(roots, "children"):
        roots = [roots]  # type: ignore[list-item]  # one Value
    try:
        seen: set[Value] = set(roots)  # type: ignore[arg-type]
    except TypeError:
        seen = set()
    if not seen or not all(hasattr(v, "children") for v in seen):
        raise TypeError(f"count_nodes() needs a Value or Values, not {roots!r:.60}")
    stack: list[Value] = list(seen)
    visit, push = seen.add, stack.append
    if group is None:
        if len(seen) > limit:
            return len(seen)
        while stack:
            for child in stack.pop().children:
                if child not in seen:
                    visit(child)
                    if len(seen) > limit:
                        return len(seen)
                    push(child)
        return len(seen)
    names: set[str] = set()
    alone = 0
    for node in stack:
        name = group(node)
        if name is None:
            alone += 1
        else:
            names.add(name)
    while stack and alone + len(names) <= limit:
        for child in stack.pop().children:
            if child not in seen:
                visit(child)
                push(child)
                name = group(child)
                if name is None:
                    alone += 1
                else:
                    names.add(name)
                if alone + len(names) > limit:
                    break
    return alone + len(names)


def users(root: Value) -> dict[Value, list[Value]]:
    """For every node below ``root``, the nodes that use it as an operand.

    The reverse of ``children``: ``users(f)[x]`` lists each result that reads ``x``,
    in topological order, once per use (``a + a`` lists the sum twice). ``root``
    and nodes nothing uses map to ``[]``. Backward sums one contribution per use:
    ∂f/∂x = Σ over users u of ∂f/∂u · ∂u/∂x.
    """
    return users_in(topological_order(root))


def users_in(order: Iterable[Value]) -> dict[Value, list[Value]]:
    """:func:`users` over ``order``, any list of nodes with operands before results
    (a topological order, also the joint one of several outputs)."""
    found: dict[Value, list[Value]] = {}
    for node in order:
        found[node] = []
        for child in node.children:
            found[child].append(node)
    return found


@dataclass(frozen=True)
class GraphStats:
    """Size and shape of a graph.

    Attributes:
        nodes: number of distinct Values.
        edges: number of operand links (``a + a`` counts two).
        leaves: Values without operands (inputs, parameters, constants).
        depth: operations on the longest path from a leaf to the root.
        ops: how many nodes each operation has, e.g. ``{"mul": 2, "add": 1}``.
    """

    nodes: int
    edges: int
    leaves: int
    depth: int
    ops: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        ops = ", ".join(f"{name} {count}" for name, count in self.ops.items())
        return (
            f"{self.nodes} nodes, {self.edges} edges, {self.leaves} leaves, "
            f"depth {self.depth}" + (f" ({ops})" if ops else "")
        )


def stats(root: Value) -> GraphStats:
    """Count the nodes, edges, leaves, depth and operations of ``root``'s graph."""
    depth: dict[Value, int] = {}
    n_edges = 0
    ops: Counter[str] = Counter()
    for node in topological_order(root):
        children = node.children
        n_edges += len(children)
        if children:
            ops[node.op] += 1
            depth[node] = 1 + max(depth[c] for c in children)
        else:
            depth[node] = 0
    leaves = len(depth) - sum(ops.values())
    return GraphStats(
        nodes=len(depth),
        edges=n_edges,
        leaves=leaves,
        depth=depth[root],
        ops=dict(sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))),
    )
