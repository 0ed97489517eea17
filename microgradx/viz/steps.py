"""The backward stepper: backpropagation shown one node at a time.

Frame 0 shows the output's gradient, ∂f/∂f = 1. Each next frame applies one node's
backward rule, in the order ``backward()`` does (reverse topological order): for
each operand, ``∂f/∂operand += ∂f/∂node · ∂node/∂operand``. The last frame's
gradients are exactly those of ``root.backward()``; no ``.grad`` is changed.

Three views of the same frames:

- :func:`backward_steps`: one :class:`~microgradx.viz.Drawing` per frame (for
  notebooks, and for the PDF and GIF exports);
- :func:`save_steps` / :func:`save_steps_html`: one self-contained HTML page holding
  *one* drawing and, per frame, only what changes (the active node, the gradients
  it set, the caption) as data; a small script applies a frame to the drawing, so
  the page grows with nodes + frames, not nodes × frames;
- :func:`stepper`: the same page shown inline in Jupyter (no kernel round trip).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from html import escape
from pathlib import Path
from typing import Any

from .._atomic import atomic_write
from .._gc import paused
from ..engine import Value
from ..graph import topological_order
from .dot import (
    DrawOptions,
    FrameState,
    build_digraph,
    definition,
    format_number,
    html_text,
    local_grads,
    op_symbol,
)
from .drawing import DEFAULT_DPI, INSTALL_GRAPHVIZ, Drawing, draw_frame
from .names import Namer, caller_names
from .render import GraphvizNotFoundError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_IMAGE_FRAMES",
    "StepperPage",
    "backward_steps",
    "save_steps",
    "save_steps_html",
    "stepper",
]

#: Largest stepper page written by default (bytes); see ``max_bytes``.
DEFAULT_MAX_BYTES = 20_000_000
#: Most frames a PDF or GIF export renders (each frame is one Graphviz layout).
MAX_IMAGE_FRAMES = 300
#: Pages of graphs with more values than this open zoomed on the current step.
FOLLOW_ABOVE = 40
STEP_SUFFIXES = (".html", ".htm", ".pdf", ".gif")
INSTALL_PILLOW = 'PDF and GIF exports need Pillow: pip install "microgradx[slides]"'


@dataclass(frozen=True)
class _Steps:
    """The backward pass as data: one state per frame, the names, the options."""

    root: Value
    opts: DrawOptions
    namer: Namer
    states: list[FrameState]
    captions: list[str]  # the arithmetic of each frame, without "step k of n"

    def counter(self, k: int) -> str:
        return f"step {k} of {len(self.states) - 1}"


def _steps(root: Value, options: dict[str, Any], bound: dict[int, str]) -> _Steps:
    """Compute every frame's state (cheap: no drawing is built)."""
    if not isinstance(root, Value):
        raise TypeError(f"the stepper needs a Value, got {type(root).__name__}")
    opts = DrawOptions(**options)
    order_all = topological_order(root)
    namer = Namer(root, bound, order_all)
    order = topological_order(root, reverse=True, leaves=False)

    def num(x: float) -> str:
        return format_number(x, opts.precision)

    name = namer.term
    out = name(root)
    grads: dict[Value, float] = {root: 1.0}
    n = len(order)
    captions = [f"start at the output, ∂{out}/∂{out} = 1"]
    states = [FrameState(dict(grads), None, (root,), f"step 0 of {n}: {captions[0]}")]
    for k, node in enumerate(order, 1):
        upstream = grads[node]
        lines = [_formula(node, namer, opts.precision)]
        for child, local in zip(node.children, local_grads(node)):
            contribution = local * upstream
            chain = (
                f"∂{out}/∂{name(node)} · ∂{name(node)}/∂{name(child)} "
                f"= {num(upstream)} · {num(local)} = {num(contribution)}"
            )
            before = grads.get(child)
            if before is None:
                grads[child] = contribution
                lines.append(f"∂{out}/∂{name(child)} = {chain}")
            else:
                grads[child] = before + contribution
                lines.append(
                    f"∂{out}/∂{name(child)} += {chain}; "
                    f"sum {num(before)} + {num(contribution)} = {num(grads[child])}"
                )
        caption = "\n".join(lines)
        captions.append(caption)
        states.append(FrameState(dict(grads), node, node.children, f"step {k} of {n}: {caption}"))
    return _Steps(root, opts, namer, states, captions)


@paused
def backward_steps(root: Value, **options: Any) -> list[Drawing]:
    """The backward pass of ``root`` as frames, one per node (see the module docstring).

    Each frame is a :class:`Drawing` whose ``caption`` carries the step's
    arithmetic, e.g. ``∂f/∂x = ∂f/∂v · ∂v/∂x = 4 · 2 = 8``, and whose ``grads``
    maps every Value reached so far to its gradient. The node just processed is
    outlined in red, the operands it updated in orange. Values are named by
    :mod:`microgradx.viz.names` (labels, your variable names, short formulas).
    ``options`` are those of :func:`microgradx.draw`.
    """
    steps = _steps(root, options, caller_names(sys._getframe(1)))
    return [draw_frame(root, steps.opts, state, steps.namer) for state in steps.states]


def _formula(node: Value, namer: Namer, precision: int) -> str:
    """``backward through v = x × y``, ``a = σ(z)``, ``s = Σ(p, q, r)``."""
    return f"backward through {definition(node, namer, precision)}"


# --- the page: one drawing, frames as data ---------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
html, body {{ height: 100%; margin: 0; }}
body {{ font-family: Helvetica, Arial, sans-serif; color: #111827; display: flex;
  flex-direction: column; padding: 0.6em 1em; box-sizing: border-box; }}
header {{ display: flex; flex-wrap: wrap; gap: 0.6em; align-items: center; }}
h1 {{ font-size: 1.15em; margin: 0 1em 0 0; font-weight: 600; }}
button {{ font-size: 1em; padding: 0.25em 0.9em; cursor: pointer; }}
button:disabled {{ cursor: default; opacity: 0.45; }}
#counter {{ font-weight: 600; min-width: 7em; }}
.hint {{ color: #6b7280; font-size: 0.9em; }}
#caption {{ font-family: Menlo, Consolas, monospace; background: #f3f4f6; padding: 0.5em 0.7em;
  border-radius: 6px; white-space: pre-wrap; margin: 0.5em 0; min-height: 3.6em; }}
#graph {{ flex: 1 1 auto; min-height: 0; }}
#graph svg {{ width: 100%; height: 100%; display: block; }}
#graph g.edge.active path {{ stroke: #dc2626; stroke-width: 2.5px; }}
#graph g.edge.active polygon {{ stroke: #dc2626; fill: #dc2626; }}
#graph g.node.unknown text.grad {{ fill: #9ca3af; }}
table.grads {{ border-collapse: collapse; }}
table.grads td, table.grads th {{ border: 1px solid #d1d5db; padding: 0.2em 0.6em; }}
table.grads tr.active td {{ background: #fee2e2; }}
table.grads tr.updated td {{ background: #ffedd5; }}
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<button id="prev" type="button" title="previous step (left arrow)">&larr; Previous</button>
<button id="play" type="button" title="play or pause (space)">Play</button>
<button id="next" type="button" title="next step (right arrow)">Next &rarr;</button>
<span id="counter"></span>
<button id="zoom" type="button" title="whole graph, or zoom on the step (z)">Whole graph</button>
<span class="hint">arrow keys, space to play, z to zoom</span>
</header>
<div id="caption"></div>
{notice}
<div id="graph">{body}</div>
<script id="frames" type="application/json">{data}</script>
<script>
(function () {{
  "use strict";
  var data = JSON.parse(document.getElementById("frames").textContent);
  var frames = data.frames, last = frames.length - 1, current = 0, timer = null;
  var RED = "#dc2626", ORANGE = "#ea580c";
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var play = document.getElementById("play"), counter = document.getElementById("counter");
  var caption = document.getElementById("caption");
  // Every value's grad texts and border shapes, found by the node ids in the drawing.
  var nodes = {{}};
  function entry(id) {{
    if (!nodes[id]) nodes[id] = {{grads: [], borders: [], group: null}};
    return nodes[id];
  }}
  var svg = document.querySelector("#graph svg");
  var zoom = document.getElementById("zoom"), follow = data.follow, whole = null;
  if (svg) {{
    whole = svg.getAttribute("viewBox");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
    Array.prototype.forEach.call(svg.querySelectorAll("g.node"), function (g) {{
      var title = g.querySelector("title");
      if (!title) return;
      var e = entry(title.textContent);
      e.group = g;
      Array.prototype.forEach.call(g.querySelectorAll("text"), function (t) {{
        if (t.textContent.indexOf("grad ") === 0) {{ t.classList.add("grad"); e.grads.push(t); }}
      }});
      Array.prototype.forEach.call(g.querySelectorAll("path, ellipse"), function (s) {{
        var stroke = s.getAttribute("stroke");
        if (stroke && stroke !== "transparent" && stroke !== "none") {{
          e.borders.push([s, stroke, s.getAttribute("stroke-width") || "1"]);
        }}
      }});
    }});
  }}
  Array.prototype.forEach.call(document.querySelectorAll("[data-grad]"), function (td) {{
    entry(td.getAttribute("data-grad")).grads.push(td);
  }});
  var edges = {{}};
  if (svg) {{
    Array.prototype.forEach.call(svg.querySelectorAll("g.edge"), function (g) {{
      var title = g.querySelector("title");
      if (!title) return;
      var head = title.textContent.split("->")[1];
      (edges[head] = edges[head] || []).push(g);
    }});
  }}
  // Follow: show the step's nodes and their neighbourhood instead of the whole graph.
  function view(f) {{
    zoom.textContent = follow ? "Whole graph" : "Zoom on step";
    if (!svg) {{ zoom.style.display = "none"; return; }}
    var ids = (f.a ? [f.a, f.a + "op"] : []).concat(f.u || []);
    // node boxes are in the drawing group's units; its transform maps them to the viewBox
    var t = svg.querySelector("g.graph").transform.baseVal.consolidate();
    var m = t ? t.matrix : svg.createSVGMatrix(), box = null;
    ids.forEach(function (id) {{
      var e = nodes[id];
      if (!e || !e.group) return;
      var b = e.group.getBBox();
      [[b.x, b.y], [b.x + b.width, b.y + b.height]].forEach(function (c) {{
        var x = m.a * c[0] + m.c * c[1] + m.e, y = m.b * c[0] + m.d * c[1] + m.f;
        if (!box) box = {{x0: x, y0: y, x1: x, y1: y}};
        box.x0 = Math.min(box.x0, x); box.x1 = Math.max(box.x1, x);
        box.y0 = Math.min(box.y0, y); box.y1 = Math.max(box.y1, y);
      }});
    }});
    if (!follow || !box) {{ svg.setAttribute("viewBox", whole); return; }}
    var area = document.getElementById("graph").getBoundingClientRect();
    var aspect = area.width / Math.max(area.height, 1);
    var w = Math.max(box.x1 - box.x0 + 240, 700), h = Math.max(box.y1 - box.y0 + 120, w / aspect);
    w = Math.max(w, h * aspect);
    var cx = (box.x0 + box.x1) / 2, cy = (box.y0 + box.y1) / 2;
    svg.setAttribute("viewBox", [cx - w / 2, cy - h / 2, w, h].join(" "));
  }}
  function outline(id, colour, width) {{
    var e = nodes[id];
    if (!e) return;
    e.borders.forEach(function (b) {{
      b[0].setAttribute("stroke", colour || b[1]);
      b[0].setAttribute("stroke-width", colour ? width : b[2]);
    }});
    var row = document.querySelector('tr[data-node="' + id + '"]');
    if (row) {{
      row.classList.toggle("active", colour === RED);
      row.classList.toggle("updated", colour === ORANGE);
    }}
  }}
  var marked = [];
  function show(k) {{
    current = Math.max(0, Math.min(last, k));
    var known = {{}};
    for (var i = 0; i <= current; i++) {{
      var g = frames[i].g;
      for (var id in g) known[id] = g[id];
    }}
    Object.keys(nodes).forEach(function (id) {{
      var e = nodes[id], text = known.hasOwnProperty(id) ? known[id] : "?";
      e.grads.forEach(function (t) {{
        t.textContent = t.tagName.toLowerCase() === "text" ? "grad " + text : text;
      }});
      if (e.group) e.group.classList.toggle("unknown", !known.hasOwnProperty(id));
    }});
    marked.forEach(function (m) {{ m(); }});
    marked = [];
    var f = frames[current];
    (f.u || []).forEach(function (id) {{
      outline(id, ORANGE, "3");
      marked.push(function () {{ outline(id, null); }});
    }});
    if (f.a) {{
      [f.a, f.a + "op"].forEach(function (id) {{
        outline(id, RED, "3");
        marked.push(function () {{ outline(id, null); }});
      }});
      (edges[f.a + "op"] || []).forEach(function (g) {{
        g.classList.add("active");
        marked.push(function () {{ g.classList.remove("active"); }});
      }});
    }}
    view(f);
    caption.textContent = f.c;
    counter.textContent = "step " + current + " of " + last;
    prev.disabled = current === 0;
    next.disabled = current === last;
    if (current === last) stop();
  }}
  function stop() {{
    if (timer !== null) {{ clearInterval(timer); timer = null; }}
    play.textContent = "Play";
  }}
  function toggle() {{
    if (timer !== null) {{ stop(); return; }}
    if (current === last) show(0);
    play.textContent = "Pause";
    timer = setInterval(function () {{ show(current + 1); }}, data.delay);
  }}
  prev.onclick = function () {{ stop(); show(current - 1); }};
  next.onclick = function () {{ stop(); show(current + 1); }};
  play.onclick = toggle;
  zoom.onclick = function () {{ follow = !follow; view(frames[current]); }};
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowLeft") {{ stop(); show(current - 1); }}
    else if (e.key === "ArrowRight") {{ stop(); show(current + 1); }}
    else if (e.key === "Home") {{ stop(); show(0); }}
    else if (e.key === "End") {{ stop(); show(last); }}
    else if (e.key === " ") {{ toggle(); }}
    else if (e.key === "z") {{ zoom.onclick(); }}
    else return;
    e.preventDefault();
  }});
  show(0);
}})();
</script>
</body>
</html>
"""


_SCRIPT_UNSAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def script_json(data: object) -> str:
    """``data`` as JSON that is safe inside an HTML ``<script>`` element.

    Every ``<``, ``>`` and ``&`` is written as a ``\\u`` escape (JSON reads it back
    unchanged), so no text in it can close the element (``</script>``), open a
    comment (``<!--``) or a nested ``<script``.
    """
    return json.dumps(data, ensure_ascii=False, allow_nan=False).translate(_SCRIPT_UNSAFE)


def _inline_svg(svg: str) -> str:
    """SVG text for inlining in HTML: without the XML prolog, document type and comments."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


def _grad_table(steps: _Steps, ids: dict[Value, str]) -> str:
    """Every value with its data and a gradient cell the script fills in (no ``dot``)."""
    num = lambda x: format_number(x, steps.opts.precision)  # noqa: E731
    rows = "".join(
        f'<tr data-node="{ids[v]}"><td>{html_text(steps.namer(v))}</td>'
        f"<td>{html_text(op_symbol(v, steps.opts.precision) if v.op else 'leaf')}</td>"
        f'<td>{num(v.data)}</td><td data-grad="{ids[v]}">?</td></tr>'
        for v in steps.namer.order
    )
    return (
        '<table class="grads"><tr><th>value</th><th>op</th><th>data</th>'
        f"<th>gradient so far</th></tr>{rows}</table>"
    )


def _page(steps: _Steps, delay: float, max_bytes: int) -> str:
    """The stepper page: one drawing (final gradients), frames as data."""
    order = steps.namer.order
    ids = {v: f"v{i}" for i, v in enumerate(order)}
    num = lambda x: format_number(x, steps.opts.precision)  # noqa: E731
    # The drawing shows the final gradients (the widest numbers), so the script only
    # ever puts shorter or equal text into the boxes.
    final = FrameState(steps.states[-1].grads)
    digraph = build_digraph(steps.root, replace(steps.opts), final, steps.namer)
    drawing = Drawing(digraph, timeout=steps.opts.timeout)
    notice = ""
    try:
        body = _inline_svg(drawing.svg())
    except GraphvizNotFoundError:
        body = _grad_table(steps, ids)
        notice = f'<p class="hint">No graph picture: {escape(INSTALL_GRAPHVIZ)}.</p>'
    frames = []
    previous: Mapping[Value, float] = {}
    for state, caption in zip(steps.states, steps.captions):
        changed = {
            ids[v]: num(g) for v, g in state.grads.items() if v not in previous or previous[v] != g
        }
        frame: dict[str, Any] = {"g": changed, "c": caption}
        if state.current is not None:
            frame["a"] = ids[state.current]
        if state.updated:
            frame["u"] = [ids[v] for v in state.updated]
        frames.append(frame)
        previous = state.grads
    follow = len(order) > FOLLOW_ABOVE  # big graphs open zoomed on the step
    data = script_json({"frames": frames, "delay": int(delay * 1000), "follow": follow})
    title = f"Backward pass of {steps.namer(steps.root)}, node by node"
    page = _PAGE.format(title=escape(title), notice=notice, body=body, data=data)
    size = len(page.encode("utf-8"))
    if size > max_bytes:
        raise ValueError(
            f"the stepper page would be {size / 1e6:.1f} MB, more than max_bytes="
            f"{max_bytes} ({max_bytes / 1e6:.1f} MB); step through a smaller graph "
            "(one sample, fewer neurons) or pass a larger max_bytes"
        )
    return page


def _check_positive(name: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not 0 < x < float("inf"):
        raise ValueError(f"{name} must be a positive number, got {x!r}")
    return float(x)


def _image_frames(steps: _Steps, fmt: str, dpi: float) -> list:
    """Every frame rendered to a Pillow image (white background, same size)."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(INSTALL_PILLOW) from None
    import io

    if len(steps.states) > MAX_IMAGE_FRAMES:
        raise ValueError(
            f"cannot render {len(steps.states)} frames as {fmt.upper()}: the limit is "
            f"{MAX_IMAGE_FRAMES} (each frame is one layout); write the .html page, or "
            "step through a smaller graph"
        )
    images = []
    for state in steps.states:
        png = draw_frame(steps.root, steps.opts, state, steps.namer).png(dpi=dpi)
        images.append(Image.open(io.BytesIO(png)).convert("RGB"))
    width = max(im.width for im in images)
    height = max(im.height for im in images)
    padded = []
    for im in images:
        canvas = Image.new("RGB", (width, height), "white")
        canvas.paste(im, ((width - im.width) // 2, 0))
        padded.append(canvas)
    return padded


@paused
def save_steps(
    output: Value,
    path: str | Path,
    *,
    delay: float = 1.5,
    dpi: float = DEFAULT_DPI,
    max_bytes: int = DEFAULT_MAX_BYTES,
    **options: Any,
) -> Path:
    """Write the backward pass of ``output`` to ``path``; the suffix picks the format.

    - ``.html``: the interactive page (one drawing, frames as data; Previous/Next,
      Play/Pause, arrow keys; self-contained, opens in any browser). Without
      Graphviz's ``dot`` it shows a table of gradients instead of the drawing.
    - ``.pdf``: one page per frame, for slides (needs Pillow).
    - ``.gif``: an animation, one frame per step, ``delay`` seconds each (needs Pillow).

    Args:
        output: the Value whose backward pass is shown.
        path: the file to write (atomically: a failure leaves any old file intact).
        delay: seconds per frame when playing (page) or animating (GIF).
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
    delay = _check_positive("delay", delay)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive int, got {max_bytes!r}")
    steps = _steps(output, options, caller_names(sys._getframe(1)))
    if suffix in (".html", ".htm"):
        return atomic_write(path, _page(steps, delay, max_bytes))
    import io

    images = _image_frames(steps, suffix[1:], _check_positive("dpi", dpi))
    buffer = io.BytesIO()
    first, rest = images[0], images[1:]
    if suffix == ".pdf":
        first.save(buffer, format="PDF", save_all=True, append_images=rest, resolution=dpi)
    else:
        duration = [int(delay * 1000)] * len(images)
        first.save(
            buffer, format="GIF", save_all=True, append_images=rest, duration=duration, loop=0
        )
    return atomic_write(path, buffer.getvalue())


def save_steps_html(root: Value, path: str | Path, **options: Any) -> Path:
    """Write the backward stepper to one self-contained HTML page (see :func:`save_steps`)."""
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the stepper is an HTML page: give a path ending in .html, not {path}")
    return save_steps(root, path, **options)


# --- Jupyter -----------------------------------------------------------------------------


class StepperPage:
    """The stepper page, shown inline in Jupyter; every step runs in the browser.

    Attributes:
        html: the self-contained page (as :func:`save_steps` writes it).
        captions: the arithmetic of each frame.
        grads: the gradients known at each frame, by Value.
    """

    def __init__(self, html: str, steps: _Steps, height: int) -> None:
        self.html = html
        self.captions = list(steps.captions)
        self.grads = [dict(s.grads) for s in steps.states]
        self.height = height

    def __len__(self) -> int:
        return len(self.captions)

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (``.html``), atomically."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            raise ValueError(
                f"the stepper is an HTML page: give a path ending in .html, not {path}"
            )
        return atomic_write(path, self.html)

    def _repr_html_(self) -> str:
        """An iframe holding the page, so its script and styles stay its own."""
        return (
            f'<iframe srcdoc="{escape(self.html, quote=True)}" '
            f'style="width: 100%; height: {self.height}px; border: 1px solid #e5e7eb;" '
            'sandbox="allow-scripts"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<StepperPage of {len(self) - 1} steps: {self.captions[0]}>"


@paused
def stepper(root: Value, *, height: int = 560, delay: float = 1.5, **options: Any) -> StepperPage:
    """Step through the backward pass in Jupyter: the stepper page, inline.

    Previous/Next, Play/Pause and the arrow keys work in the browser, with no
    round trip to the kernel. ``height`` is the inline frame's height in pixels;
    ``options`` are those of :func:`microgradx.draw`.
    """
    steps = _steps(root, options, caller_names(sys._getframe(1)))
    page = _page(steps, _check_positive("delay", delay), DEFAULT_MAX_BYTES)
    return StepperPage(page, steps, int(height))
