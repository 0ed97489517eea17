"""How a drawing's nodes connect: edges, clusters, collapsed scopes, the Digraph.

:class:`_Builder` walks the Values once: each is drawn as its own node (see
:mod:`microgradx.viz.nodes`) or folded into its scope's box (``collapse``); every
operand becomes an edge into its result's op oval, labelled with the local gradient
when asked; edges between boxes are counted, and where the boxes of one scope feed
many boxes of another they meet in one junction. Scopes become nested clusters
(``clusters=True``), and the result is one ``graphviz.Digraph``.

:func:`check_size` refuses a drawing with too many items before anything is built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

import graphviz

from ..engine import Value
from ..graph import count_nodes
from .formatting import dot_text, html_text, local_grads
from .nodes import _Nodes, _roots
from .options import FONT, HIGHLIGHT, LOCAL_GRAD, DrawOptions

__all__ = ["check_size"]


def _box_of(v: Value, depth: int | None) -> str:
    """The collapsed box ``v`` falls in: its scope cut to ``depth`` parts (all for None)."""
    return "/".join(v.scope.split("/")[:depth])


def _collapse_depth(opts: DrawOptions) -> int | None:
    return None if opts.collapse is True else int(opts.collapse)


def check_size(root: Value | Sequence[Value], opts: DrawOptions) -> None:
    """Refuse, before anything is built, a drawing of more than ``opts.max_nodes`` items.

    The items are the Values drawn, or with ``collapse`` the Values outside any
    scope plus one box per collapsed scope. Counted with a bounded walk
    (:func:`~microgradx.graph.count_nodes`), so a million-node graph is refused
    after about ``max_nodes`` steps.
    """
    roots = _roots(root)
    limit = opts.max_nodes
    if not opts.collapse:
        if count_nodes(roots, limit) > limit:
            raise _too_many(f"more than {limit}", "values", opts)
        return
    depth = _collapse_depth(opts)
    kept = set(roots)  # the roots are never collapsed
    boxes: set[str] = set()

    def box(v: Value) -> str | None:
        if not v.scope or v in kept:
            return None
        name = _box_of(v, depth)
        boxes.add(name)
        return name

    n = count_nodes(roots, limit, group=box)
    if n <= limit:
        return
    if not boxes:
        raise ValueError(
            f"cannot draw more than {limit} values: the limit is max_nodes={limit} "
            f"(bigger drawings are unreadable), and collapse={opts.collapse!r} has nothing "
            f"to collapse: the graph has no scopes (none of the {n} values counted is in "
            'one); build its parts inside `with microgradx.scope("name"):` blocks (nn '
            "models scope their layers and neurons), draw a smaller part of the graph, "
            "or pass a larger max_nodes"
        )
    deeper = any("/" in name for name in boxes)  # a shallower depth makes fewer boxes
    hint = (
        "collapse at a shallower depth (e.g. collapse=1) or pass a larger max_nodes"
        if deeper
        else "draw a smaller part of the graph (one sample, a smaller model) or pass a larger "
        "max_nodes"
    )
    raise _too_many(f"more than {limit}", "boxes and values after collapsing", opts, hint)


def _too_many(count: str, what: str, opts: DrawOptions, hint: str | None = None) -> ValueError:
    """The refusal of a drawing with too many items; ``hint`` says what to do instead."""
    if hint is None:
        hint = "pass collapse=True (one box per scope) or a larger max_nodes"
    return ValueError(
        f"cannot draw {count} {what}: the limit is max_nodes={opts.max_nodes} "
        f"(bigger drawings are unreadable); {hint}"
    )


class _Builder(_Nodes):
    """Collects nodes, edges and clusters, then writes one ``graphviz.Digraph``.

    See :class:`~microgradx.viz.nodes._Nodes` for the Values drawn and their nodes.
    Subclasses choose the cluster of each Value (:meth:`scope_of`), how a cluster
    looks (:meth:`cluster_attrs`) and extra attributes per edge (:meth:`edge_attrs`).
    """

    def groups(self) -> dict[Value, str]:
        """Collapsed scope of each Value inside one (the root is never collapsed)."""
        depth = _collapse_depth(self.opts)
        return {v: _box_of(v, depth) for v in self.order if v.scope and v not in self.roots}

    def build(self) -> graphviz.Digraph:
        groups = self.groups() if self.opts.collapse else {}
        boxes: dict[str, list[Value]] = {}
        for v, g in groups.items():
            boxes.setdefault(g, []).append(v)
        box_ids = {g: f"s{j}" for j, g in enumerate(sorted(boxes, key=_natural))}

        def source(v: Value) -> str:  # where an edge out of v starts
            return box_ids[groups[v]] if v in groups else f"v{self.index[v]}"

        def target(v: Value) -> str:  # where an edge into v's operation ends
            return box_ids[groups[v]] if v in groups else f"v{self.index[v]}op"

        for v in self.order:
            if v in groups:
                continue
            self.add_value(v)
            if v.children:
                self.add_op(v)
        for g, members in boxes.items():
            self.add_box(g, box_ids[g], members, groups)

        box_edges: dict[tuple[str, str], int] = {}  # (tail, head) -> scalar edges it stands for
        for v in self.order:
            if not v.children:
                continue
            current = self.frame is not None and v is self.frame.current
            show_local = self.opts.show_local_grads or current
            locals_ = local_grads(v) if show_local and v not in groups else ()
            for pos, child in enumerate(v.children):
                tail, head = source(child), target(v)
                if tail == head:
                    continue  # inside one collapsed scope
                attrs: dict[str, str] = {}
                if locals_:
                    attrs.update(
                        label=self.num(locals_[pos]),
                        fontcolor=LOCAL_GRAD,
                        fontsize="10",
                        tooltip=dot_text(
                            f"∂{self.namer.term(v)}/∂{self.namer.term(child)} "
                            f"= {self.num(locals_[pos])}"
                        ),
                    )
                attrs.update(self.edge_attrs(child, v))
                if current:
                    attrs.update(color=HIGHLIGHT, penwidth="2")
                if v in groups or child in groups:
                    box_edges[tail, head] = box_edges.get((tail, head), 0) + 1
                    continue
                self.edges.append((tail, head, attrs))
            if v not in groups:
                i = self.index[v]
                self.edges.append((f"v{i}op", f"v{i}", {}))
        if boxes:
            self.add_box_edges(box_edges, {box_ids[g]: g for g in boxes})
            columns: dict[str, list[str]] = {}
            for g in sorted(boxes, key=_natural):
                columns.setdefault(g.rpartition("/")[0], []).append(box_ids[g])
            self.columns = [ids for ids in columns.values() if len(ids) > 1]
        return self.digraph()

    def add_box_edges(self, counts: dict[tuple[str, str], int], scopes: dict[str, str]) -> None:
        """Edges into and out of collapsed boxes, each labelled with how many it stands for.

        Where every box of one scope feeds many boxes of another (layer to layer),
        the edges meet in one junction labelled with their total, instead of a
        band of crossing lines.
        """
        parent = {box: scope.rpartition("/")[0] for box, scope in scopes.items()}
        bundles: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
        for (tail, head), n in counts.items():
            above_tail, above_head = parent.get(tail), parent.get(head)
            if above_tail is not None and above_head is not None and above_tail != above_head:
                bundles.setdefault((above_tail, above_head), []).append((tail, head, n))
            else:
                self.edges.append((tail, head, self.count_label(n)))
        for k, items in enumerate(bundles.values()):
            tails = sorted({t for t, _, _ in items}, key=lambda b: _natural(scopes[b]))
            heads = sorted({h for _, h, _ in items}, key=lambda b: _natural(scopes[b]))
            if len(items) <= max(len(tails), len(heads)):  # sparse: draw them one by one
                for tail, head, n in items:
                    self.edges.append((tail, head, self.count_label(n)))
                continue
            total = sum(n for _, _, n in items)
            junction = f"j{k}"
            self.items.append(
                ("", junction, {
                    "label": f"{total} edges",
                    "shape": "box",
                    "style": "rounded,filled",
                    "fillcolor": "#ffffff",
                    "color": "#9ca3af",
                    "fontsize": "10",
                    "fontcolor": "#4b5563",
                    "margin": "0.05,0.02",
                    "width": "0",
                    "height": "0",
                    "tooltip": f"{len(items)} box-to-box links standing for {total} edges",
                })
            )  # fmt: skip
            for tail in tails:
                self.edges.append((tail, junction, {"arrowhead": "none"}))
            for head in heads:
                self.edges.append((junction, head, {}))

    @staticmethod
    def count_label(n: int) -> dict[str, str]:
        if n == 1:
            return {}
        return {"label": f"{n} edges", "fontsize": "10", "fontcolor": "#6b7280"}

    def edge_attrs(self, child: Value, v: Value) -> dict[str, str]:
        """Extra attributes of the edge from operand ``child`` into ``v``'s op."""
        return {}

    def cluster_attrs(self, scope: str) -> dict[str, str]:
        """How the cluster of ``scope`` is framed and labelled."""
        return {
            "label": dot_text(scope.rpartition("/")[2]),
            "style": "rounded,dashed",
            "color": "#9ca3af",
            "fontcolor": "#6b7280",
            "fontsize": "11",
            "fontname": FONT,
        }

    def digraph(self) -> graphviz.Digraph:
        opts = self.opts
        graph_attr = {
            "rankdir": opts.rankdir,
            "fontname": FONT,
            "nodesep": "0.25",
            "ranksep": "0.35",
        }
        if not (opts.clusters or opts.collapse):
            graph_attr["ordering"] = "in"  # operands in order: a − b draws a above b
        caption = self.frame.caption if self.frame is not None else ""
        if caption:
            lines = "".join(
                f"{html_text(line)}<br align='left'/>" for line in caption.splitlines()
            )
            graph_attr.update(label=f"<{lines}>", labelloc="t", labeljust="l", fontsize="13")
        elif opts.show_local_grads:
            graph_attr.update(
                label="<edge labels: local gradients ∂result/∂operand>",
                labelloc="b",
                fontsize="11",
                fontcolor=LOCAL_GRAD,
            )
        dot = graphviz.Digraph(
            "microgradx",
            engine=opts.layout,
            graph_attr=graph_attr,
            node_attr={"shape": "plain", "fontname": FONT, "fontsize": "12"},
            edge_attr={"color": "#4b5563", "arrowsize": "0.7", "fontname": FONT},
        )
        clustered = opts.clusters
        subgraphs: dict[str, graphviz.Digraph] = {}

        def container(scope: str) -> graphviz.Digraph:
            if not (clustered and scope):
                return dot
            if scope not in subgraphs:
                sub = graphviz.Digraph(f"cluster_{len(subgraphs)}")
                sub.attr(**self.cluster_attrs(scope))
                subgraphs[scope] = sub
            return subgraphs[scope]

        for scope, node_id, attrs in self.items:
            container(scope).node(node_id, **attrs)
        # Every scope's cluster sits inside its parent's: attach the deepest first.
        for scope in list(subgraphs):
            parent = scope.rpartition("/")[0]
            while parent and parent not in subgraphs:
                container(parent)
                parent = parent.rpartition("/")[0]
        for scope in sorted(subgraphs, key=lambda s: (-s.count("/"), s)):
            container(scope.rpartition("/")[0]).subgraph(subgraphs[scope])
        for tail, head, attrs in self.edges:
            dot.edge(tail, head, **attrs)
        if not clustered:
            for ids in self.columns:  # neurons in index order, top to bottom
                with dot.subgraph() as column:
                    column.attr(rank="same")
                    for a, b in pairwise(ids):
                        column.edge(a, b, style="invis")
        return dot


def _natural(text: str) -> list:
    """Sort key reading digits as numbers: ``neuron2`` before ``neuron10``."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]
