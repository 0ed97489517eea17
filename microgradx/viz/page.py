"""The lesson page: one drawing and, per frame, only what changes, in one offline file.

``lesson_page`` turns a :class:`~microgradx.viz.lesson.Lesson` into the page (the data
as JSON the page's script reads, the drawing as inline SVG, the package's own
``static/lesson.js``, ``.css`` and ``.html``); :class:`HtmlPage` shows such a page in
Jupyter and saves it.
"""

from __future__ import annotations

import json
import math
import re
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from ..engine import Value
from ..ops import OPS
from .drawing import INSTALL_GRAPHVIZ, Drawing
from .formatting import html_text, op_symbol
from .lesson import FOLLOW_ABOVE, PAGE_WIDTH, Lesson
from .names import printable
from .nodes import definition
from .options import FONT, FrameState
from .render import GraphvizNotFoundError
from .wiring import _Builder

__all__ = ["HtmlPage", "lesson_page", "page_data", "script_json"]


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
                [index[t.node], _number(t.upstream), _number(t.local), num(t.upstream),
                 num(t.local), frame_of[t.node]]
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


def fill_page(body: str, parts: dict[str, str]) -> str:
    """A whole page: the shared shell (``static/page.html``: head, styles, script) around
    the static ``body`` template, with the shared playback (``static/player.js``) before
    the page's script. Every ``@@name@@`` is filled from ``parts`` in one pass, so no
    filled-in text (a label, the data) is ever read as a placeholder.
    """
    template = _static("page.html").replace("@@body@@", _static(body))
    parts = {**parts, "js": _static("player.js") + parts["js"]}
    return _PLACEHOLDER.sub(lambda m: parts[m.group(1)], template)


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
    page = fill_page("lesson.html", parts)
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
