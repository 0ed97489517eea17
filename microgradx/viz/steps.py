"""The stepper: the forward pass, then backpropagation, one node at a time.

The forward frames come first (``forward=True``, the default): the inputs, then one
operation per frame with its arithmetic, ``u = w + v = 5 + 6 = 11``. Then the backward
frames: frame 0 shows the output's gradient, ∂f/∂f = 1, and each next frame applies one
node's backward rule in the order ``backward()`` does (reverse topological order): for
each operand, ``∂f/∂operand += ∂f/∂node · ∂node/∂operand``. The last frame's gradients
are exactly those of ``root.backward()``; no ``.grad`` is changed. The frames are made
by :mod:`microgradx.viz.lesson`.

Three views of the same frames:

- :func:`backward_steps`: one :class:`~microgradx.viz.Drawing` per backward frame (for
  notebooks);
- :func:`save_steps` / :func:`save_steps_html`: one self-contained HTML page holding
  *one* drawing and, per frame, only what changes (the active node, the values or
  gradients it set, the caption) as data; its script applies a frame to the drawing,
  explains a node when it is clicked and, with ``quiz=True``, asks for each gradient
  before revealing it. PDF pages and GIF frames are rendered and written one at a time;
- :func:`stepper`: the same page shown inline in Jupyter (no kernel round trip).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._atomic import atomic_path, atomic_write
from .._checks import positive_int, positive_number
from .._gc import paused
from ..engine import Value
from .drawing import DEFAULT_DPI, Drawing, _check_dpi, draw_frame
from .lesson import (
    DEFAULT_MAX_BYTES,
    MAX_IMAGE_FRAMES,
    Lesson,
    check_cells,
    check_delay,
    frame_drawings,
    lesson,
)
from .names import caller_names
from .page import HtmlPage, lesson_page

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_IMAGE_FRAMES",
    "StepperPage",
    "backward_steps",
    "save_steps",
    "save_steps_html",
    "stepper",
]

STEP_SUFFIXES = (".html", ".htm", ".pdf", ".gif")
INSTALL_PILLOW = 'PDF and GIF exports need Pillow: pip install "microgradx[slides]"'
#: Tallest inline page in Jupyter, in pixels.
MAX_HEIGHT = 10_000


@paused
def backward_steps(root: Value, **options: Any) -> list[Drawing]:
    """The backward pass of ``root`` as frames, one per node (see the module docstring).

    Each frame is a :class:`Drawing` whose ``caption`` carries the step's
    arithmetic, e.g. ``∂f/∂x = ∂f/∂v · ∂v/∂x = 4 · 2 = 8``, and whose ``grads``
    maps every Value reached so far to its gradient. The node just processed is
    outlined in red, the operands it updated in orange. Values are named by
    :mod:`microgradx.viz.names` (labels, your variable names, short formulas).
    ``options`` are those of :func:`microgradx.draw`. Each frame is a whole drawing,
    so frames × values is bounded (:data:`~microgradx.viz.lesson.MAX_STEP_CELLS`);
    :func:`save_steps` writes bigger graphs as one page.
    """
    steps = lesson(root, options, caller_names(sys._getframe(1)), forward=False)
    check_cells(len(steps.backward), len(steps.order))
    return [draw_frame(root, steps.opts, s, steps.namer) for s in steps.backward_states()]


def _check_max_bytes(max_bytes: object) -> int:
    return positive_int("max_bytes", max_bytes)


def _check_quiz(quiz: object) -> bool:
    if not isinstance(quiz, bool):
        raise TypeError(f"quiz must be True or False, got {quiz!r}")
    return quiz


@paused
def save_steps(
    output: Value,
    path: str | Path,
    *,
    forward: bool = True,
    quiz: bool = False,
    delay: float = 1.5,
    dpi: float = DEFAULT_DPI,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **options: Any,
) -> Path:
    """Write the forward and backward pass of ``output`` to ``path``; the suffix picks the format.

    - ``.html``: the interactive page (one drawing, frames as data): Previous/Next,
      Play/Pause, a frame slider, Reset, the keys ←/→/space; click a value to see its
      op, local derivatives and chain-rule sum; with ``quiz=True`` it asks for each
      gradient before revealing it and keeps a score. Self-contained: it opens in any
      browser and fetches nothing. Without Graphviz's ``dot`` it shows a table instead
      of the drawing.
    - ``.pdf``: one page per frame, for slides (needs Pillow).
    - ``.gif``: an animation, one frame per step, ``delay`` seconds each (needs Pillow).
      PDF and GIF frames are rendered and written one at a time; at most
      :data:`MAX_IMAGE_FRAMES` frames.

    Args:
        output: the Value whose passes are shown.
        path: the file to write (atomically: a failure leaves any old file intact).
        forward: show the forward pass first (the values appearing), then the backward.
        quiz: (page) ask for each gradient before it is revealed: a right answer is
            within a relative 1e-3 or an absolute 1e-6.
        delay: seconds per frame when playing (page) or animating (GIF), at most 3600.
        dpi: resolution of PDF pages and GIF frames.
        max_bytes: refuse to write a page larger than this.
        options: those of :func:`microgradx.draw`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in STEP_SUFFIXES:
        raise ValueError(
            f"cannot tell the format of {str(path)!r} from its suffix; "
            f"use one of {' '.join(STEP_SUFFIXES)}"
        )
    delay = check_delay(delay)
    max_bytes = _check_max_bytes(max_bytes)
    quiz = _check_quiz(quiz)
    if quiz and suffix not in (".html", ".htm"):
        raise ValueError(f"quiz=True needs an .html page (the quiz runs in it), not {suffix}")
    dpi = _check_dpi(dpi)
    steps = lesson(output, options, caller_names(sys._getframe(1)), forward)
    if suffix in (".html", ".htm"):
        page, _ = lesson_page(steps, delay=delay, quiz=quiz, max_bytes=max_bytes)
        return atomic_write(path, page)
    return _save_images(steps, path, suffix[1:], delay, dpi)


def save_steps_html(root: Value, path: str | Path, **options: Any) -> Path:
    """Write the stepper to one self-contained HTML page (see :func:`save_steps`)."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the stepper is an HTML page: give a path ending in .html, not {path}")
    return save_steps(root, path, **options)


# --- PDF and GIF, one frame at a time -------------------------------------------------------


def _save_images(steps: Lesson, path: Path, fmt: str, delay: float, dpi: float) -> Path:
    """Render each frame, write it, forget it: memory holds one frame's image at a time.

    Frames are rendered to PNG first (compressed, small) to learn the largest size, then
    decoded one by one, centred on a white canvas of that size and appended to the file.
    """
    try:
        from PIL import Image  # noqa: F401
    except ImportError:
        raise ImportError(INSTALL_PILLOW) from None
    from . import export

    if len(steps) > MAX_IMAGE_FRAMES:
        raise ValueError(
            f"cannot render {len(steps)} frames as {fmt.upper()}: the limit is "
            f"{MAX_IMAGE_FRAMES} (each frame is one layout); write the .html page, "
            "pass forward=False, or step through a smaller graph"
        )
    pngs = [drawing.png(dpi=dpi) for drawing in frame_drawings(steps)]
    with atomic_path(path) as temporary:
        if fmt == "pdf":
            export.write_pdf(temporary, pngs, dpi)
        else:
            export.write_gif(temporary, pngs, round(delay * 1000))
    return path


# --- Jupyter -----------------------------------------------------------------------------


class StepperPage(HtmlPage):
    """The stepper page, shown inline in Jupyter; every step runs in the browser.

    Attributes:
        html: the self-contained page (as :func:`save_steps` writes it).
        captions: the arithmetic of each frame (forward frames first).
        height: the inline frame's height in pixels.
    """

    what = "stepper"

    def __init__(self, html: str, steps: Lesson, height: int) -> None:
        super().__init__(html, height)
        self.captions = steps.captions()
        self._steps = steps

    @property
    def grads(self) -> list[Mapping[Value, float]]:
        """The gradients known at each backward frame, by Value (the last: ``backward()``'s)."""
        return [state.grads for state in self._steps.backward_states()]

    def __len__(self) -> int:
        return len(self.captions)

    def __repr__(self) -> str:
        return f"<StepperPage of {len(self)} frames: {self.captions[0]}>"


def _check_height(height: object) -> int | None:
    if height is None:
        return None
    return round(positive_number("height", height, MAX_HEIGHT, ("pixels", "px")))


@paused
def stepper(
    root: Value,
    *,
    forward: bool = True,
    quiz: bool = False,
    height: int | None = None,
    delay: float = 1.5,
    **options: Any,
) -> StepperPage:
    """Step through the forward and backward pass in Jupyter: the stepper page, inline.

    The buttons, the slider, the keys, click-to-explain and the quiz all run in the
    browser, with no round trip to the kernel (see :func:`save_steps` for each).
    ``height`` is the inline frame's height in pixels (default: what the drawing
    needs); ``options`` are those of :func:`microgradx.draw`.
    """
    chosen = _check_height(height)
    delay = check_delay(delay)
    quiz = _check_quiz(quiz)
    steps = lesson(root, options, caller_names(sys._getframe(1)), forward)
    page, needed = lesson_page(steps, delay=delay, quiz=quiz, max_bytes=DEFAULT_MAX_BYTES)
    return StepperPage(page, steps, chosen if chosen is not None else needed)
