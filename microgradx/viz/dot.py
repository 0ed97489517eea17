"""Building the Graphviz description (DOT) of a computational graph.

Every Value is drawn as a small table ``label | data | grad`` and every operation as
a small oval with its symbol, between its operands and its result::

    x ──┐
        (×) ──> v ──> (+) ──> u ...
    y ──┘

Node ids are positions in topological order (``v0``, ``v1``, ...), so the same
expression always gives the same DOT text, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

import graphviz

from .._gc import paused
from ..engine import Value
from ..graph import count_nodes, topological_order, users_in
from ..ops import OPS
from .formatting import dot_text, format_number, html_text, local_grads, op_symbol
from .names import Namer
from .options import (
    FONT,
    HIGHLIGHT,
    LOCAL_GRAD,
    OP_COLOURS,
    ROLE_COLOURS,
    SCOPE_COLOURS,
    UPDATED,
    DrawOptions,
    FrameState,
)

__all__ = [
    "DrawOptions",
    "FrameState",
    "build_digraph",
    "check_size",
    "definition",
    "dot_text",
    "format_number",
    "html_text",
    "local_grads",
]


def definition(node: Value, namer: Namer, precision: int = 4) -> str:
    """What ``node`` is, by name: ``v = x × y``, ``a = σ(z)``, ``s = Σ(p, q, r)``, ``x``."""
    if not node.children:
        return namer(node)
    operands = [namer.operand(c) for c in node.children]
    rhs = OPS[node.op].caption(operands, node.arg, lambda x: format_number(x, precision))
    return f"{namer(node)} = {rhs}"


def _roots(root: Value | Sequence[Value]) -> tuple[Value, ...]:
    """The roots of a drawing: one Value, or several (duplicates dropped, order kept)."""
    if isinstance(root, Value):
        return (root,)
    return tuple(dict.fromkeys(root))


def joint_order(roots: Sequence[Value]) -> list[Value]:
    """Every Value below any of ``roots`` once, each after its operands.

    The topological order of the first root, then the Values of the next root not
    listed yet, and so on: the same roots in the same order give the same list.
    """
    if len(roots) == 1:
        return topological_order(roots[0])
    order: list[Value] = []
    seen: set[Value] = set()
    for root in roots:
        for v in topological_order(root):
            if v not in seen:
                seen.add(v)
                order.append(v)
    return order


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


# --- the drawing -------------------------------------------------------------------------


class _Builder:
    """Collects nodes, edges and clusters, then writes one ``graphviz.Digraph``.

    ``root`` may be several Values: they are drawn together, each Value once, with
    ids from their joint topological order (:func:`joint_order`), every root coloured
    as an output. Subclasses choose the cluster of each Value (:meth:`scope_of`), how
    a cluster looks (:meth:`cluster_attrs`) and extra attributes per edge
    (:meth:`edge_attrs`).
    """

    def __init__(
        self,
        root: Value | Sequence[Value],
        opts: DrawOptions,
        frame: FrameState | None,
        namer: Namer | None = None,
    ) -> None:
        self.roots = _roots(root)
        self.root = self.roots[0]
        self.opts = opts
        self.frame = frame
        self.order = joint_order(self.roots)
        self.index = {v: i for i, v in enumerate(self.order)}
        self.namer = namer if namer is not None else Namer(self.root, order=self.order)
        self.params = set(opts.params)
        self.highlight = set(opts.highlight)
        self.items: list[tuple[str, str, dict[str, str]]] = []  # (scope, id, attributes)
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        self.columns: list[list[str]] = []  # collapsed boxes of one scope, top to bottom

    # names and numbers

    def num(self, x: float) -> str:
        return format_number(x, self.opts.precision)

    def name(self, v: Value) -> str:
        """The readable name of ``v`` (see :mod:`microgradx.viz.names`)."""
        return self.namer(v)

    def role(self, v: Value) -> str:
        if v in self.roots:
            return "output"
        if v in self.params or v.is_param:
            return "parameter"
        if v.children:
            return "intermediate"
        return "input" if self.namer.is_given(v) else "constant"

    def grad_text(self, v: Value) -> str:
        if self.frame is None:
            return self.num(v.grad)
        grad = self.frame.grads.get(v)
        return "?" if grad is None else self.num(grad)

    # cells of the value tables

    def value_cells(self, v: Value) -> list[str]:
        name = html_text(self.namer(v))
        # names the user gave in bold; formulas and generated names in grey
        cells = [
            f"<b>{name}</b>" if self.namer.is_given(v) else f'<font color="#4b5563">{name}</font>'
        ]
        if self.opts.show_data:
            cells.append(f"data {self.num(v.data)}")
        if self.opts.show_grad:
            cells.append(f"grad {self.grad_text(v)}")
        return cells

    def value_label(self, v: Value, border: str, fill: str, width: int) -> str:
        cells = self.value_cells(v) or ["&nbsp;"]
        row = "".join(f"<td>{c}</td>" for c in cells)
        return (
            f'<<table border="{width}" cellborder="0" cellspacing="0" cellpadding="4" '
            f'columns="*" style="rounded" bgcolor="{fill}" color="{border}"><tr>{row}</tr>'
            "</table>>"
        )

    def value_style(self, v: Value) -> tuple[str, str, int]:
        fill, border = ROLE_COLOURS[self.role(v)]
        width = 1
        frame = self.frame
        if v in self.highlight or (frame is not None and v is frame.current):
            border, width = HIGHLIGHT, 3
        elif frame is not None and v in frame.updated:
            border, width = UPDATED, 3
        return border, fill, width

    # the graph

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
            i = self.index[v]
            border, fill, width = self.value_style(v)
            self.items.append(
                (
                    self.scope_of(v),
                    f"v{i}",
                    {
                        "label": self.value_label(v, border, fill, width),
                        "tooltip": dot_text(definition(v, self.namer, self.opts.precision)),
                    },
                )
            )
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

    def add_op(self, v: Value) -> None:
        fill, border = OP_COLOURS
        attrs = {
            "label": dot_text(op_symbol(v, self.opts.precision)),
            "shape": "ellipse",
            "style": "filled",
            "fillcolor": fill,
            "color": border,
            "fontsize": "12",
            "margin": "0.04,0.02",
            "width": "0.3",
            "height": "0.3",
            "tooltip": dot_text(OPS[v.op].formula),
        }
        if self.frame is not None and v is self.frame.current:
            attrs.update(color=HIGHLIGHT, penwidth="3")
        i = self.index[v]
        self.items.append((self.scope_of(v), f"v{i}op", attrs))

    def add_box(self, name: str, box_id: str, members: list[Value], groups) -> None:
        """One box for a collapsed scope: its size, and the values leaving it."""
        inside = set(members)
        leaving = [v for v in members if any(p not in inside for p in self.users(v))]
        n_ops = sum(1 for v in members if v.children)
        n_params = sum(1 for v in members if v in self.params or v.is_param)
        rows = [self.value_cells(v) for v in leaving]
        if len(rows) > 1:  # one row per sample, in the order the output reaches them
            for k, cells in enumerate(rows):
                cells[0] = f'<font color="#4b5563">sample {k}</font>'

        ncols = max([len(r) for r in rows] + [1])
        fill, border = SCOPE_COLOURS
        if self.highlight & inside:
            border = HIGHLIGHT
        summary = f"{n_ops} ops" + (f" · {n_params} params" if n_params else "")
        html = [
            f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="3" '
            f'style="rounded" bgcolor="{fill}" color="{border}">',
            f'<tr><td colspan="{ncols}"><b>{html_text(name)}</b></td></tr>',
            f'<tr><td colspan="{ncols}"><font point-size="10">{summary}</font></td></tr>',
        ]
        for cells in rows:
            cells = cells + [""] * (ncols - len(cells))
            html.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        html.append("</table>>")
        parent = name.rpartition("/")[0]
        self.items.append((parent, box_id, {"label": "".join(html)}))

    def users(self, v: Value) -> list[Value]:
        if not hasattr(self, "_users"):
            self._users = users_in(self.order)
        found = list(self._users.get(v, []))
        if v in self.roots:
            found.append(v)  # the output leaves every scope
        return found

    def scope_of(self, v: Value) -> str:
        """The cluster ``v`` (and its op oval) is drawn in: its scope ("" for none)."""
        return v.scope

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


@paused  # drawing walks the graph and makes many small objects: no collector
def build_digraph(
    root: Value | Sequence[Value],
    opts: DrawOptions,
    frame: FrameState | None = None,
    namer: Namer | None = None,
) -> graphviz.Digraph:
    """The ``graphviz.Digraph`` of ``root``'s graph, drawn with ``opts``.

    ``root`` may be several Values, drawn in one picture (see :class:`_Builder`).

    ``namer`` names the Values (default: a :class:`~microgradx.viz.names.Namer` asking
    the calling code for its names).
    """
    check_size(root, opts)
    return _Builder(root, opts, frame, namer).build()
