"""The lesson: a graph's forward and backward pass as frames, and the page that shows them.

The forward pass comes first, one operation per frame, in topological order (operands
before results); each frame makes one value known, with its arithmetic::

    u = w + v = 5 + 6 = 11

Then the backward pass, one node per frame, in the order ``backward()`` visits them
(reverse topological order); each frame applies that node's rule to its operands::

    ∂f/∂u = ∂f/∂f · ∂f/∂u = 1 · 4 = 4

The numbers come from :func:`microgradx.autodiff.chain_rule_numbers`, the chain rule
``backward()`` runs, whose ``term`` hook reports each product upstream × local as it is
added; so the last frame's gradients are exactly ``backward()``'s and no ``.grad`` changes.

The page (:func:`lesson_page`) holds **one** drawing and, per frame, only what changes
(the active node, the gradients it set, the caption); its script (``static/lesson.js``)
applies a frame to the drawing, explains a node when it is clicked and, in a quiz, asks
for each gradient before revealing it. Its JavaScript handle, ``window.microgradx.pages``,
is described in ``static/lesson.js`` and the README.

Every size is bounded here, in one place: :data:`MAX_LESSON_VALUES`,
:data:`MAX_STEP_CELLS` and :data:`MAX_IMAGE_FRAMES`, checked (:func:`check_size`,
:func:`check_cells`) before anything large is made.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from ..autodiff import chain_rule_numbers
from ..engine import Value, type_name
from ..graph import count_nodes, topological_order
from ..ops import OPS
from .dot import (
    FONT,
    DrawOptions,
    FrameState,
    _Builder,
    definition,
    format_number,
    html_text,
    op_symbol,
)
from .drawing import INSTALL_GRAPHVIZ, Drawing
from .names import Namer, printable
from .render import GraphvizNotFoundError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_DELAY",
    "MAX_IMAGE_FRAMES",
    "MAX_LESSON_VALUES",
    "MAX_STEP_CELLS",
    "Lesson",
    "check_cells",
    "check_size",
    "lesson",
    "lesson_page",
    "script_json",
]

# --- the bounds, in one place -------------------------------------------------------------

#: Most values a lesson steps through, whatever ``max_nodes`` says: each is drawn once and
#: adds about two frames, so page size and build time stay linear and small.
MAX_LESSON_VALUES = 5_000
#: Most frames × values of :func:`~microgradx.backward_steps` (one whole drawing per frame).
MAX_STEP_CELLS = 1_000_000
#: Most frames a PDF or GIF export renders (each frame is one Graphviz layout).
MAX_IMAGE_FRAMES = 300
#: Largest page written by default (bytes); see ``max_bytes``.
DEFAULT_MAX_BYTES = 20_000_000
#: Longest ``delay`` between frames when playing, in seconds.
MAX_DELAY = 3600.0
#: Width (px) a page is assumed to get inline (a notebook cell, a docs column).
PAGE_WIDTH = 860
#: Pages of graphs with more values than this open zoomed on the current step.
FOLLOW_ABOVE = 24


def check_size(root: Value, opts: DrawOptions) -> int:
    """Count ``root``'s values, refusing (``ValueError``) before any large allocation.

    The count stops one past the limit, so a refusal takes time proportional to the
    limit, not to the graph.
    """
    limit = min(opts.max_nodes, MAX_LESSON_VALUES)
    n = count_nodes(root, limit)
    if n > limit:
        raise ValueError(
            f"cannot step through more than {limit} values (the limit is max_nodes="
            f"{opts.max_nodes}, at most {MAX_LESSON_VALUES}): step through a smaller graph "
            "(one sample, fewer neurons, a shorter chain), or draw the whole graph at once "
            "with draw(root, collapse=True)"
        )
    return n


def check_cells(frames: int, values: int) -> None:
    """Refuse ``frames`` whole drawings of ``values`` each past :data:`MAX_STEP_CELLS`."""
    if frames * values > MAX_STEP_CELLS:
        raise ValueError(
            f"backward_steps draws the whole graph once per frame: {frames} frames of "
            f"{values} values are {frames * values:,} value boxes, more than "
            f"{MAX_STEP_CELLS:,}; write the page instead (save_steps(root, 'steps.html'): "
            "one drawing, frames as data) or step through a smaller graph"
        )


def check_delay(delay: object) -> float:
    """Seconds per frame: a finite positive number up to :data:`MAX_DELAY`."""
    if isinstance(delay, bool) or not isinstance(delay, (int, float)):
        raise ValueError(f"delay must be a number of seconds, got {delay!r}")
    if not (math.isfinite(delay) and 0 < delay <= MAX_DELAY):
        raise ValueError(f"delay must be more than 0 and at most {MAX_DELAY:g} s, got {delay!r}")
    return float(delay)


# --- the frames ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One product of the chain rule: ∂f/∂user · ∂user/∂child, added to ∂f/∂child."""

    user: Value
    child: Value
    upstream: float  # ∂f/∂user
    local: float  # ∂user/∂child
    before: float | None  # ∂f/∂child before this term (None: first term)
    after: float  # ∂f/∂child after it


@dataclass
class BackwardFrame:
    """One backward frame: the node whose rule runs (None: the start) and its terms."""

    node: Value | None
    terms: list[Term] = field(default_factory=list)


@dataclass
class Lesson:
    """The forward and backward frames of one graph, with its names and options.

    Attributes:
        root: the output.
        opts: the drawing options.
        namer: the names every caption and picture uses.
        order: the values, operands before results (ids ``v0``, ``v1``, ... in the drawing).
        forward: whether the forward frames come first.
        grads: ∂root/∂v for every value (the last frame's gradients).
        backward: the backward frames, the start first.
    """

    root: Value
    opts: DrawOptions
    namer: Namer
    order: list[Value]
    forward: bool
    grads: dict[Value, float]
    backward: list[BackwardFrame]

    def num(self, x: float) -> str:
        return format_number(x, self.opts.precision)

    @property
    def forward_nodes(self) -> list[Value]:
        """The operations, one forward frame each (after the frame of the inputs)."""
        return [v for v in self.order if v.children] if self.forward else []

    def __len__(self) -> int:
        return (1 + len(self.forward_nodes) if self.forward else 0) + len(self.backward)

    # captions

    def forward_caption(self, node: Value | None) -> str:
        """``u = w + v = 5 + 6 = 11``; for the first frame, the inputs' values."""
        if node is None:
            leaves = [v for v in self.order if not v.children]
            shown = ", ".join(f"{self.namer(v)} = {self.num(v.data)}" for v in leaves[:12])
            more = f" and {len(leaves) - 12} more" if len(leaves) > 12 else ""
            return f"the inputs: {shown}{more}"
        numbers = [self.num(c.data) for c in node.children]
        numbers = [n if not n.startswith("-") else f"({n})" for n in numbers]
        rhs = OPS[node.op].caption(numbers, node.arg, self.num)
        what = definition(node, self.namer, self.opts.precision)
        return f"{what} = {rhs} = {self.num(node.data)}"

    def backward_caption(self, frame: BackwardFrame) -> str:
        """``backward through f = u × z`` and one line ``∂f/∂u = ∂f/∂f · ∂f/∂u = 1 · 4 = 4``
        per operand (``+=`` and the running sum where a value has several users)."""
        name = self.namer.term
        out = name(self.root)
        if frame.node is None:
            return f"start at the output, ∂{out}/∂{out} = 1"
        node = frame.node
        lines = [f"backward through {definition(node, self.namer, self.opts.precision)}"]
        for t in frame.terms:
            chain = (
                f"∂{out}/∂{name(node)} · ∂{name(node)}/∂{name(t.child)} "
                f"= {self.num(t.upstream)} · {self.num(t.local)} = "
                f"{self.num(t.local * t.upstream)}"
            )
            if t.before is None:
                lines.append(f"∂{out}/∂{name(t.child)} = {chain}")
            else:
                lines.append(
                    f"∂{out}/∂{name(t.child)} += {chain}; "
                    f"sum {self.num(t.before)} + {self.num(t.local * t.upstream)} = "
                    f"{self.num(t.after)}"
                )
        return "\n".join(lines)

    def captions(self) -> list[str]:
        """Every frame's caption, forward frames first."""
        found = []
        if self.forward:
            found.append(self.forward_caption(None))
            found += [self.forward_caption(v) for v in self.forward_nodes]
        found += [self.backward_caption(f) for f in self.backward]
        return found

    # frames as drawings' states

    def backward_states(self, prefix: str = "step") -> Iterator[FrameState]:
        """The backward frames as :class:`FrameState`; ``grads`` is a fresh dict each time."""
        grads: dict[Value, float] = {self.root: 1.0}
        n = len(self.backward) - 1
        for k, frame in enumerate(self.backward):
            for t in frame.terms:
                grads[t.child] = t.after
            updated = tuple(dict.fromkeys(t.child for t in frame.terms)) or (self.root,)
            caption = f"{prefix} {k} of {n}: {self.backward_caption(frame)}"
            yield FrameState(dict(grads), frame.node, updated, caption)


class HtmlPage:
    """A self-contained page: inline in Jupyter (an iframe), ``.save(path)`` to a file.

    Attributes:
        html: the page, with its script, styles and data inside.
        height: the inline frame's height in pixels.
    """

    what = "page"  #: what the page is, for messages

    def __init__(self, html: str, height: int) -> None:
        self.html = html
        self.height = height

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (``.html``), atomically."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"the {self.what} is an HTML page: give a path ending in .html, not {path}"
            )
        return atomic_write(path, self.html)

    def _repr_html_(self) -> str:
        """An iframe holding the page, so its script and styles stay its own."""
        return (
            f'<iframe srcdoc="{escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #e5e7eb;" '
            'sandbox="allow-scripts"></iframe>'
        )


def lesson(root: Value, options: dict[str, Any], bound: dict[int, str], forward: bool) -> Lesson:
    """The frames of ``root``'s graph (cheap: nothing is drawn), after :func:`check_size`."""
    if not isinstance(root, Value):
        raise TypeError(f"the stepper needs a Value, got {type_name(root)}")
    if not isinstance(forward, bool):
        raise TypeError(f"forward must be True or False, got {forward!r}")
    opts = DrawOptions(**options)
    check_size(root, opts)
    order = topological_order(root)
    namer = Namer(root, bound, order)
    frames = [BackwardFrame(None)]
    sums: dict[Value, float] = {root: 1.0}

    def term(node: Value, upstream: float, child: Value, local: float, part: float) -> None:
        if frames[-1].node is not node:
            frames.append(BackwardFrame(node))
        before = sums.get(child)
        # the sum chain_rule_numbers has just formed, in the same order of additions
        after = (0.0 if before is None else before) + part
        sums[child] = after
        frames[-1].terms.append(Term(node, child, upstream, local, before, after))

    grads = chain_rule_numbers(root, term)
    return Lesson(root, opts, namer, order, forward, grads, frames)


# --- drawings of single frames (PDF pages, GIF frames) -----------------------------------


class _FrameBuilder(_Builder):
    """A frame's drawing: values not computed yet show ``data ?``."""

    def __init__(self, lesson: Lesson, frame: FrameState, known: set[Value] | None) -> None:
        super().__init__(lesson.root, lesson.opts, frame, lesson.namer)
        self.known = known

    def value_cells(self, v: Value) -> list[str]:
        cells = super().value_cells(v)
        if self.known is not None and v not in self.known and self.opts.show_data:
            cells[1] = "data ?"
        return cells


def frame_drawings(lesson: Lesson) -> Iterator[Drawing]:
    """Every frame as a :class:`Drawing`, made one at a time (forward frames first)."""
    if lesson.forward:
        known = {v for v in lesson.order if not v.children}
        nodes = lesson.forward_nodes
        for k, node in enumerate([None, *nodes]):
            if node is not None:
                known.add(node)
            caption = f"forward step {k} of {len(nodes)}: {lesson.forward_caption(node)}"
            state = FrameState({}, node, (), caption)
            yield _drawing(lesson, state, set(known))
    prefix = "backward step" if lesson.forward else "step"
    for state in lesson.backward_states(prefix):
        yield _drawing(lesson, state, None)


def _drawing(lesson: Lesson, state: FrameState, known: set[Value] | None) -> Drawing:
    digraph = _FrameBuilder(lesson, state, known).build()
    return Drawing(digraph, state.caption, state.grads, timeout=lesson.opts.timeout)


# --- the page -----------------------------------------------------------------------------

_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(data: object) -> str:
    """``data`` as JSON that is safe inside an HTML ``<script>`` element.

    Every ``<``, ``>`` and ``&`` is written as a ``\\u`` escape (JSON reads it back
    unchanged), so no text in it can close the element (``</script>``), open a
    comment (``<!--``) or a nested ``<script``.
    """
    return json.dumps(data, ensure_ascii=False, allow_nan=False).translate(_SCRIPT_UNSAFE)


def _static(name: str) -> str:
    """A file of ``microgradx/viz/static`` (package data) as text."""
    static = resources.files(__package__).joinpath("static")
    return static.joinpath(name).read_text(encoding="utf-8")


_COORDINATES = re.compile(r'\b(d|points|x|y|cx|cy|rx|ry|viewBox)="([^"]*)"')
_DECIMALS = re.compile(r"(\d\.\d)\d+")
_ONE_DECIMAL = r"\1"


def _inline_svg(svg: str) -> str:
    """SVG text for inlining in HTML: without the XML prolog, document type and comments.

    Coordinates keep one decimal (a tenth of a point) and the font family moves to the
    page's style sheet: a third less text for the same picture.
    """
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    svg = svg.replace(f' font-family="{FONT}"', "")
    return _COORDINATES.sub(_shorter, svg)


def _shorter(m: re.Match[str]) -> str:
    """One coordinate attribute with one decimal per number."""
    return f'{m[1]}="{_DECIMALS.sub(_ONE_DECIMAL, m[2])}"'


def _number(x: float) -> float | None:
    """A float for JSON: non-finite numbers become ``null`` (their text is shown)."""
    return x if math.isfinite(x) else None


def _grad_table(lesson: Lesson) -> str:
    """Every value with its data and gradient cells the script fills in (no ``dot``)."""
    rows = "".join(
        f'<tr data-node="{i}"><td>{html_text(lesson.namer(v))}</td>'
        f"<td>{html_text(op_symbol(v, lesson.opts.precision) if v.op else 'leaf')}</td>"
        f'<td data-cell="value"></td><td data-cell="grad"></td></tr>'
        for i, v in enumerate(lesson.order)
    )
    return (
        '<table class="grads"><tr><th>value</th><th>op</th><th>data</th>'
        f"<th>gradient so far</th></tr>{rows}</table>"
    )


def page_data(lesson: Lesson, delay: float, quiz: bool) -> dict[str, Any]:
    """What the page's script reads: the values, the terms, and per frame what changes."""
    index = {v: i for i, v in enumerate(lesson.order)}
    num = lesson.num
    frame_of: dict[Value, int] = {}  # the page frame in which a node's rule runs
    first_backward = len(lesson) - len(lesson.backward)
    for k, frame in enumerate(lesson.backward):
        if frame.node is not None:
            frame_of[frame.node] = first_backward + k
    terms: dict[Value, list[list[Any]]] = {}
    for frame in lesson.backward:
        for t in frame.terms:
            terms.setdefault(t.child, []).append(
                [index[t.user], _number(t.upstream), _number(t.local), num(t.upstream),
                 num(t.local), frame_of[t.user]]
            )  # fmt: skip
    ops = {}
    nodes = []
    for v in lesson.order:
        entry: dict[str, Any] = {
            "n": lesson.namer(v),
            "v": _number(v.data),
            "vt": num(v.data),
            "g": _number(lesson.grads.get(v, 0.0)),
            "gt": num(lesson.grads.get(v, 0.0)),
        }
        if lesson.namer.term(v) != entry["n"]:
            entry["m"] = lesson.namer.term(v)
        if v.children:
            entry["d"] = definition(v, lesson.namer, lesson.opts.precision)
            entry["op"] = v.op
            entry["k"] = [index[c] for c in v.children]
            if v.op not in ops:
                row = OPS[v.op]
                ops[v.op] = {"s": row.symbol, "f": row.formula}
        if v in terms:
            entry["t"] = terms[v]
        nodes.append(entry)
    frames: list[dict[str, Any]] = []
    if lesson.forward:
        frames.append({"p": "f", "c": lesson.forward_caption(None)})
        for v in lesson.forward_nodes:
            frames.append({"p": "f", "a": index[v], "c": lesson.forward_caption(v)})
    for frame in lesson.backward:
        entry = {"p": "b", "c": lesson.backward_caption(frame)}
        if frame.node is None:
            entry["g"] = {str(index[lesson.root]): [1.0, "1"]}
            entry["u"] = [index[lesson.root]]
        else:
            entry["a"] = index[frame.node]
            entry["g"] = {str(index[t.child]): [_number(t.after), num(t.after)]
                          for t in frame.terms}  # fmt: skip
            entry["u"] = list(dict.fromkeys(index[t.child] for t in frame.terms))
            if quiz:  # which value each caption line after the first reveals
                entry["lc"] = [index[t.child] for t in frame.terms]
        frames.append(entry)
    return {
        "out": lesson.namer.term(lesson.root),
        "root": index[lesson.root],
        "nodes": nodes,
        "ops": ops,
        "frames": frames,
        "delay": round(delay * 1000),
        "quiz": quiz,
        "follow": len(lesson.order) > FOLLOW_ABOVE,
        "showData": lesson.opts.show_data,
        "showGrad": lesson.opts.show_grad,
    }


def drawing_svg(lesson: Lesson) -> str:
    """The page's one drawing: every value with its final numbers (the widest text)."""
    final = FrameState(lesson.grads)
    digraph = _Builder(lesson.root, lesson.opts, final, lesson.namer).build()
    return Drawing(digraph, timeout=lesson.opts.timeout).svg()


_PLACEHOLDER = re.compile(r"@@([a-z]+)@@")


def lesson_page(lesson: Lesson, *, delay: float, quiz: bool, max_bytes: int) -> tuple[str, int]:
    """The self-contained page and the height (px) it needs to show its drawing whole."""
    notice = ""
    try:
        svg = drawing_svg(lesson)
        body = _inline_svg(svg)
        size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        width, height = (float(size[1]), float(size[2])) if size else (600.0, 300.0)
        # px at the width of a notebook cell or a docs column, never enlarged
        drawing_height = height * 4 / 3 * min(1.0, PAGE_WIDTH / (width * 4 / 3))
    except GraphvizNotFoundError:
        body = _grad_table(lesson)
        notice = f'<p class="mgx-hint">No graph picture: {escape(INSTALL_GRAPHVIZ)}.</p>'
        drawing_height = 28.0 * (len(lesson.order) + 1)
    which = "forward and backward pass" if lesson.forward else "backward pass"
    title = f"The {which} of {lesson.namer(lesson.root)}, step by step"
    parts = {
        "title": escape(printable(title)),
        "css": _static("lesson.css"),
        "js": _static("lesson.js"),
        "notice": notice,
        "drawing": body,
        "data": script_json(page_data(lesson, delay, quiz)),
    }
    page = _PLACEHOLDER.sub(lambda m: parts[m.group(1)], _static("lesson.html"))
    size_bytes = len(page.encode("utf-8"))
    if size_bytes > max_bytes:
        raise ValueError(
            f"the stepper page would be {size_bytes:,} bytes, more than max_bytes="
            f"{max_bytes:,}; step through a smaller graph (one sample, fewer neurons) or pass "
            "a larger max_bytes"
        )
    # the controls, a three-line caption and the panel below the drawing
    height = round(min(max(drawing_height + 420, 360), 900))
    return page, height
