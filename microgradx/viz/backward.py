"""The forward and the backward pass in one drawing, with the links between them.

``grad(f, [x], create_graph=True)`` records the backward pass as Values: products and
sums whose operands are forward Values (``∂f/∂x = y·z`` reads ``y`` and ``z``).
:func:`draw_backward` draws both graphs side by side, each in a frame of its own::

    ┌ forward pass: f ─────────────────┐   ┌ backward pass: ∂f/∂x ─┐
    │ x, y ─(×)─ x·y ─(+)─ u ─(×)─ f   │   │  (×) ──> ∂f/∂x        │
    │          w ─────┘    z ───┘      │   │   ↑                   │
    └──────────────────────────────────┘   └───┼───────────────────┘
           y, z  - - - - - - - - - - - - - - - ┘  a link: dashed, teal

Every edge from a forward Value into a backward op is a *link*: dashed and teal, it
says which forward value the backward node reads. A derivative that *is* a forward
Value (for ``f = u·z``, ∂f/∂u is ``z`` itself) gets a box of its own in the backward
frame, linked to that Value.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

import graphviz

from .._compat import renamed_keywords
from .._gc import paused
from ..autodiff import derivative_name, grad
from ..engine import Value
from ..graph import count_nodes, topological_order
from .drawing import Drawing
from .formatting import dot_text, html_text
from .names import Namer, caller_names
from .nodes import joint_order
from .options import FONT, ROLE_COLOURS, DrawOptions
from .render import DEFAULT_TIMEOUT
from .wiring import _Builder, _too_many

__all__ = ["LINK_COLOUR", "draw_backward"]

#: Colour of the backward frame and of the links from forward values into it.
LINK_COLOUR = "#0d9488"
LINK_STYLE = {"style": "dashed", "color": LINK_COLOUR, "penwidth": "1.4"}
FORWARD, BACKWARD = "1 forward", "2 backward"  # cluster keys, sorted: forward first
_FRAMES = {  # (fill, border, title colour)
    FORWARD: ("#f8fafc", "#94a3b8", "#334155"),
    BACKWARD: ("#f0fdfa", LINK_COLOUR, "#115e59"),
}
LEGEND = "a forward value the backward pass reads"
_MAX_TITLES = 4  # derivatives named in the backward frame's title
#: What to do when the two passes together are too big to draw.
_SMALLER = "differentiate a smaller graph (one sample, a smaller model) or pass a larger max_nodes"


class _SideBySide(_Builder):
    """Two frames, link edges, and a box for each derivative that is another node."""

    def __init__(
        self,
        roots: Sequence[Value],
        forward: set[Value],
        aliases: list[tuple[str, Value]],
        titles: dict[str, str],
        opts: DrawOptions,
        namer: Namer,
    ) -> None:
        super().__init__(roots, opts, None, namer)
        self.forward = forward
        self.aliases = aliases
        self.titles = titles

    def scope_of(self, v: Value) -> str:
        return FORWARD if v in self.forward else BACKWARD

    def edge_attrs(self, child: Value, v: Value) -> dict[str, str]:
        if child in self.forward and v not in self.forward:
            return dict(LINK_STYLE, tooltip=dot_text(f"{self.namer(v)} reads {self.namer(child)}"))
        return {}

    def cluster_attrs(self, scope: str) -> dict[str, str]:
        fill, border, title = _FRAMES[scope]
        return {
            "label": f"<<b>{html_text(self.titles[scope])}</b>>",
            "labeljust": "l",
            "style": "rounded,filled",
            "fillcolor": fill,
            "color": border,
            "penwidth": "1.5",
            "fontcolor": title,
            "fontsize": "14",
            "fontname": FONT,
            "margin": "12",
        }

    def digraph(self) -> graphviz.Digraph:
        for k, (name, value) in enumerate(self.aliases):
            fill, border = ROLE_COLOURS["output"]
            cells = [f"<b>{html_text(name)}</b>"]
            if self.opts.show_data:
                cells.append(f"data {self.num(value.data)}")
            row = "".join(f"<td>{c}</td>" for c in cells)
            label = (
                f'<<table border="1" cellborder="0" cellspacing="0" cellpadding="4" '
                f'columns="*" style="rounded" bgcolor="{fill}" color="{border}">'
                f"<tr>{row}</tr></table>>"
            )
            tooltip = dot_text(f"{name} = {self.namer(value)}")
            self.items.append((BACKWARD, f"d{k}", {"label": label, "tooltip": tooltip}))
            style = LINK_STYLE if value in self.forward else {"style": "dashed"}
            self.edges.append((f"v{self.index[value]}", f"d{k}", dict(style, tooltip=tooltip)))
        # side by side: every backward node is ranked after the forward output
        out = f"v{self.index[self.root]}"
        for v in self.order:
            if v not in self.forward and not any(c not in self.forward for c in v.children):
                head = f"v{self.index[v]}op" if v.children else f"v{self.index[v]}"
                self.edges.append((out, head, {"style": "invis"}))
        for k in range(len(self.aliases)):
            self.edges.append((out, f"d{k}", {"style": "invis"}))
        dot = super().digraph()
        legend = f'<font color="{LINK_COLOUR}">- - -›  {LEGEND}</font>'
        if self.opts.show_local_grads:
            legend += "<br/>edge labels: local gradients ∂result/∂operand"
        dot.attr(label=f"<{legend}>", labelloc="b", labeljust="l", fontsize="12")
        return dot


@renamed_keywords(engine="layout")  # the old name still works, with a DeprecationWarning
def draw_backward(
    output: Value,
    inputs: Value | Iterable[Value],
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = False,
    precision: int = 4,
    show_local_grads: bool = False,
    highlight: Iterable[Value] = (),
    params: Iterable[Value] = (),
    max_nodes: int = 1000,
    layout: str = "dot",
    timeout: float = DEFAULT_TIMEOUT,
) -> Drawing:
    """Draw the forward graph of ``output`` and the backward graph of ∂output/∂input together.

    The derivatives are built with ``grad(output, inputs, create_graph=True)`` (the
    chain rule ∂f/∂v = Σ over users u of ∂f/∂u · ∂u/∂v, recorded as Values) and drawn
    beside the forward graph, in one picture:

    * the frame *forward pass: f* holds every Value of ``output``'s graph;
    * the frame *backward pass: ∂f/∂x* holds every node the backward pass made,
      its results (the derivatives, green) included;
    * a **dashed teal edge** (a *link*) runs from a forward Value into each backward
      op that reads it; for ``f = (w + x·y)·z``, ∂f/∂x = y·z has links from ``y``
      and ``z``. A derivative that is a forward Value itself (∂f/∂w is ``z``) is a
      box in the backward frame, linked to that Value.

    Every backward node is ranked after the output, so the backward frame sits to
    the right of the forward one (below it with ``rankdir="TB"``). Values are named
    as in every drawing (:mod:`microgradx.viz.names`); the derivatives are named
    ``∂f/∂x`` after the output's label or variable name (``f`` if it has none) and
    each input's name. Node ids follow the joint topological order of the output
    and the derivatives, so the same code gives the same DOT text.

    Args:
        output: the Value to differentiate (``f``).
        inputs: a Value or several Values of its graph (``x``, or ``[x, z]``).
        rankdir: layout direction, ``"LR"`` (forward frame left) or ``"TB"``.
        show_data: show each Value's ``.data``.
        show_grad: show each Value's ``.grad`` (off by default: here the gradients
            are drawn as nodes of their own).
        precision: significant digits of the numbers shown.
        show_local_grads: label each edge with its local gradient.
        highlight: Values to outline.
        params: Values to colour as trainable parameters.
        max_nodes: the most Values drawn before the drawing is refused.
        layout: the Graphviz layout program (old name ``engine=``: deprecated).
        timeout: seconds the layout may take.

    The options are those of :func:`microgradx.draw`; ``clusters`` and ``collapse``
    are set by this mode.

    Returns:
        A :class:`Drawing`; in Jupyter it displays itself. To step through a
        derivative's own backward pass, use ``backward_steps(grad(f, x,
        create_graph=True))``.

    Example::

        >>> from microgradx import Value, draw_backward
        >>> w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
        >>> f = (w + x * y) * z
        >>> drawing = draw_backward(f, [x, w])
        >>> "backward pass: ∂f/∂x, ∂f/∂w" in drawing.source
        True
        >>> drawing.save("backward.png")  # doctest: +SKIP
    """
    if not isinstance(output, Value):
        raise TypeError(
            f"draw_backward() needs a Value to differentiate, got {type(output).__name__}"
        )
    wanted = _inputs(inputs)
    opts = DrawOptions(
        rankdir=rankdir,
        show_data=show_data,
        show_grad=show_grad,
        precision=precision,
        show_local_grads=show_local_grads,
        highlight=highlight,  # type: ignore[arg-type]  # made tuples by DrawOptions
        params=params,  # type: ignore[arg-type]
        max_nodes=max_nodes,
        clusters=True,
        layout=layout,
        timeout=timeout,
    )
    bound = caller_names(sys._getframe(1))
    return Drawing(_build(output, wanted, opts, bound), timeout=opts.timeout)


def _inputs(inputs: Value | Iterable[Value]) -> list[Value]:
    if isinstance(inputs, Value):
        return [inputs]
    try:
        wanted = list(inputs)
    except TypeError:
        raise TypeError(
            f"inputs must be a Value or a list of Values, got {type(inputs).__name__}"
        ) from None
    if not wanted:
        raise ValueError("inputs is empty: name at least one Value to differentiate by")
    for v in wanted:
        if not isinstance(v, Value):
            raise TypeError(f"inputs must hold Values, got {type(v).__name__}")
    return list(dict.fromkeys(wanted))


@paused  # building and walking graphs: no cycles to collect
def _build(
    output: Value, wanted: list[Value], opts: DrawOptions, bound: dict[int, str]
) -> graphviz.Digraph:
    if count_nodes(output, opts.max_nodes) > opts.max_nodes:
        raise _too_many(f"more than {opts.max_nodes}", "forward values", opts, _SMALLER)
    forward_order = topological_order(output)
    forward = set(forward_order)
    named = Namer(output, bound, order=forward_order)

    def name_of(v: Value, i: int) -> str:  # as drawn; one outside the graph as grad names it
        return named.term(v) if v in forward else v.label or bound.get(id(v), f"x{i}")

    given = named.is_given(output)  # else the output is "f", as grad names it
    f = named.term(output) if given else "f"
    derivatives = grad(output, wanted, create_graph=True)
    names = [derivative_name(f, name_of(v, i)) for i, v in enumerate(wanted)]
    if not output.label:  # grad calls the output "f": use the name it is drawn with
        _rename(derivatives, forward, f)
    roots: list[Value] = [output]
    aliases: list[tuple[str, Value]] = []
    drawn = set(forward)
    for d, name in zip(derivatives, names):
        # ∂f/∂w may be z itself, or the node already drawn as ∂f/∂x: a box of its own
        if d in drawn:
            aliases.append((name, d))
        else:
            d.label = name
            roots.append(d)
            drawn.add(d)
    if count_nodes(roots, opts.max_nodes) + len(aliases) > opts.max_nodes:
        raise _too_many(
            f"more than {opts.max_nodes}", "forward and backward values", opts, _SMALLER
        )
    shown = names if len(names) <= _MAX_TITLES else [*names[:_MAX_TITLES], "…"]
    titles = {
        FORWARD: f"forward pass: {named(output) if given else f'f = {named(output)}'}",
        BACKWARD: "backward pass: " + ", ".join(shown),
    }
    namer = Namer(output, bound, order=joint_order(roots))
    return _SideBySide(roots, forward, aliases, titles, opts, namer).build()


def _rename(derivatives: Sequence[Value], forward: set[Value], f: str) -> None:
    """Name the backward pass's nodes ``∂f/…`` after the output's name ``f``."""
    if f == "f":
        return
    for v in joint_order(derivatives):
        if v not in forward and v.label.startswith("∂f/∂"):
            v.label = derivative_name(f, v.label[len("∂f/∂") :])
