"""The nodes of a drawing and their text: a Value's table, an op's oval, a scope's box.

Every Value is drawn as a small table ``label | data | grad`` coloured by its role
(input, parameter, constant, intermediate, output), every operation as a small oval
with its symbol, and a collapsed scope as one box with its size and a row per value
leaving it. :class:`_Nodes` holds what a drawing collects (its Values in order, their
ids, the nodes and edges so far) and makes the nodes; :mod:`microgradx.viz.wiring`
connects them and writes the ``graphviz.Digraph``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..engine import Value
from ..graph import topological_order, users_in
from ..ops import OPS
from .formatting import dot_text, format_number, html_text, op_symbol
from .names import Namer
from .options import (
    HIGHLIGHT,
    OP_COLOURS,
    ROLE_COLOURS,
    SCOPE_COLOURS,
    UPDATED,
    DrawOptions,
    FrameState,
)

__all__ = ["definition", "joint_order"]


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


class _Nodes:
    """A drawing's Values, ids and collected items, and the nodes drawn for them.

    ``root`` may be several Values: they are drawn together, each Value once, with
    ids from their joint topological order (:func:`joint_order`), every root coloured
    as an output. Nodes are collected in :attr:`items` as ``(scope, id, attributes)``;
    :class:`~microgradx.viz.wiring._Builder` adds the edges and writes the Digraph.
    Subclasses choose the cluster of each Value (:meth:`scope_of`) and may add cells
    (:meth:`value_cells`).
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

    def add_value(self, v: Value) -> None:
        """The table of ``v``: its name, data and grad, with its definition as tooltip."""
        border, fill, width = self.value_style(v)
        self.items.append(
            (
                self.scope_of(v),
                f"v{self.index[v]}",
                {
                    "label": self.value_label(v, border, fill, width),
                    "tooltip": dot_text(definition(v, self.namer, self.opts.precision)),
                },
            )
        )

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
