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

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .._checks import positive_number
from .._compat import rename_options
from ..autodiff import ChainTerm, chain_rule_numbers
from ..engine import Value, type_name
from ..graph import count_nodes, topological_order
from ..ops import OPS
from .drawing import Drawing
from .formatting import format_number
from .names import Namer
from .nodes import definition
from .options import DrawOptions, FrameState
from .wiring import _Builder

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
    return positive_number("delay", delay, MAX_DELAY, ("seconds", "s"))


# --- the frames ---------------------------------------------------------------------------


@dataclass
class BackwardFrame:
    """One backward frame: the node whose rule runs (None: the start) and its terms."""

    node: Value | None
    terms: list[ChainTerm] = field(default_factory=list)  # as chain_rule_numbers adds them


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
                f"= {self.num(t.upstream)} · {self.num(t.local)} = {self.num(t.part)}"
            )
            if t.before is None:
                lines.append(f"∂{out}/∂{name(t.child)} = {chain}")
            else:
                lines.append(
                    f"∂{out}/∂{name(t.child)} += {chain}; "
                    f"sum {self.num(t.before)} + {self.num(t.part)} = {self.num(t.after)}"
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


def lesson(root: Value, options: dict[str, Any], bound: dict[int, str], forward: bool) -> Lesson:
    """The frames of ``root``'s graph (cheap: nothing is drawn), after :func:`check_size`."""
    if not isinstance(root, Value):
        raise TypeError(f"the stepper needs a Value, got {type_name(root)}")
    if not isinstance(forward, bool):
        raise TypeError(f"forward must be True or False, got {forward!r}")
    opts = DrawOptions(**rename_options(options, {"engine": "layout"}, "the drawing options"))
    check_size(root, opts)
    order = topological_order(root)
    namer = Namer(root, bound, order)
    frames = [BackwardFrame(None)]

    def term(t: ChainTerm) -> None:  # a frame per node whose rule runs, with its terms
        if frames[-1].node is not t.node:
            frames.append(BackwardFrame(t.node))
        frames[-1].terms.append(t)

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
