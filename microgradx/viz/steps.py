"""The backward stepper: backpropagation shown one node at a time.

Frame 0 shows the output's gradient, ∂f/∂f = 1. Each next frame applies one node's
backward rule, in the order ``backward()`` does (reverse topological order): for
each operand, ``∂f/∂operand += ∂f/∂node · ∂node/∂operand``. The last frame's
gradients are exactly those of ``root.backward()``; no ``.grad`` is changed.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ..engine import Value
from ..graph import topological_order
from ..ops import OPS
from .dot import DrawOptions, FrameState, format_number, local_grads
from .drawing import INSTALL_GRAPHVIZ, Drawing, draw_frame

__all__ = ["backward_steps", "save_steps_html", "stepper"]


def backward_steps(root: Value, **options: Any) -> list[Drawing]:
    """The backward pass of ``root`` as frames, one per node (see the module docstring).

    Each frame is a :class:`Drawing` whose ``caption`` carries the step's
    arithmetic, e.g. ``∂f/∂x = ∂f/∂v · ∂v/∂x = 4 · 2 = 8``, and whose ``grads``
    maps every Value reached so far to its gradient. The node just processed is
    outlined in red, the operands it updated in orange. ``options`` are those of
    :func:`microgradx.draw`.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward_steps() needs a Value, got {type(root).__name__}")
    opts = DrawOptions(**options)
    index = {v: i for i, v in enumerate(topological_order(root))}
    order = topological_order(root, reverse=True, leaves=False)

    def num(x: float) -> str:
        return format_number(x, opts.precision)

    def name(v: Value) -> str:
        return v.label or f"#{index[v]}"

    out = name(root)
    grads: dict[Value, float] = {root: 1.0}
    n = len(order)
    first = f"step 0 of {n}: start at the output, ∂{out}/∂{out} = 1"
    frames = [draw_frame(root, opts, FrameState(dict(grads), None, (root,), first))]
    for k, node in enumerate(order, 1):
        upstream = grads[node]
        lines = [f"step {k} of {n}: {_formula(node, name, opts.precision)}"]
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
        state = FrameState(dict(grads), node, node.children, "\n".join(lines))
        frames.append(draw_frame(root, opts, state))
    return frames


def _formula(node: Value, name, precision: int) -> str:
    """``v = x × y``, ``a = σ(z)``, ``s = Σ(#1, #2, #3)``: what the node computes."""
    operands = [name(c) for c in node.children]
    rhs = OPS[node.op].caption(operands, node.arg, lambda x: format_number(x, precision))
    return f"backward through {name(node)} = {rhs}"


# --- a self-contained HTML page ----------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1.5em; color: #111827; }}
h1 {{ font-size: 1.3em; }}
nav {{ display: flex; gap: 0.8em; align-items: center; margin-bottom: 0.8em; }}
button {{ font-size: 1em; padding: 0.3em 1em; }}
.frame {{ display: none; }}
.frame.shown {{ display: block; }}
.caption {{ font-family: Menlo, Consolas, monospace; background: #f3f4f6; padding: 0.6em;
  border-radius: 6px; white-space: pre-wrap; }}
.graph svg {{ max-width: 100%; height: auto; }}
table.grads {{ border-collapse: collapse; }}
table.grads td, table.grads th {{ border: 1px solid #d1d5db; padding: 0.2em 0.6em; }}
</style>
</head>
<body>
<h1>{title}</h1>
<nav>
<button id="prev" type="button">&larr; Previous</button>
<button id="next" type="button">Next &rarr;</button>
<span id="counter"></span>
<span style="color:#6b7280">(arrow keys work too)</span>
</nav>
{notice}
{frames}
<script>
(function () {{
  var frames = document.querySelectorAll(".frame");
  var counter = document.getElementById("counter");
  var current = 0;
  function show(i) {{
    current = Math.max(0, Math.min(frames.length - 1, i));
    for (var k = 0; k < frames.length; k++) {{
      frames[k].classList.toggle("shown", k === current);
    }}
    counter.textContent = "frame " + (current + 1) + " of " + frames.length;
  }}
  document.getElementById("prev").onclick = function () {{ show(current - 1); }};
  document.getElementById("next").onclick = function () {{ show(current + 1); }};
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowLeft") show(current - 1);
    if (e.key === "ArrowRight") show(current + 1);
    if (e.key === "Home") show(0);
    if (e.key === "End") show(frames.length - 1);
  }});
  show(0);
}})();
</script>
</body>
</html>
"""


def _inline_svg(svg: str) -> str:
    """SVG text for inlining in HTML: without the XML prolog and document type."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _grad_table(frame: Drawing, precision: int) -> str:
    rows = "".join(
        f"<tr><td>{escape(v.label or '')}</td><td>{escape(v.op or 'leaf')}</td>"
        f"<td>{format_number(v.data, precision)}</td><td>{format_number(g, precision)}</td></tr>"
        for v, g in frame.grads.items()
    )
    return (
        '<table class="grads"><tr><th>label</th><th>op</th><th>data</th><th>grad so far</th>'
        f"</tr>{rows}</table>"
    )


def _frame_html(frame: Drawing, precision: int) -> tuple[str, bool]:
    """One frame as HTML: caption, then the SVG (or a table when ``dot`` is missing)."""
    caption = f'<div class="caption">{escape(frame.caption)}</div>'
    try:
        body, rendered = _inline_svg(frame.svg()), True
    except (RuntimeError, OSError):
        body, rendered = _grad_table(frame, precision), False
    return f'{caption}\n<div class="graph">{body}</div>', rendered


def save_steps_html(root: Value, path: str | Path, **options: Any) -> Path:
    """Write the backward stepper to one self-contained HTML file.

    The page holds every frame (inline SVG, no network, no external scripts),
    Previous/Next buttons, arrow keys and a frame counter; it opens in any
    browser. Without Graphviz's ``dot`` each frame shows a table of the gradients
    instead of the graph. ``options`` are those of :func:`microgradx.draw`.
    """
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"the stepper is an HTML page: give a path ending in .html, not {path}")
    frames = backward_steps(root, **options)
    precision = options.get("precision", 4)
    parts, all_rendered = [], True
    for k, frame in enumerate(frames):
        html, rendered = _frame_html(frame, precision)
        all_rendered &= rendered
        parts.append(f'<section class="frame" id="frame-{k}">\n{html}\n</section>')
    notice = "" if all_rendered else f"<p>No graph pictures: {escape(INSTALL_GRAPHVIZ)}.</p>"
    title = f"Backward pass of {root.label or 'the output'}, node by node"
    page = _PAGE.format(title=escape(title), notice=notice, frames="\n".join(parts))
    path.write_text(page, encoding="utf-8")
    return path


# --- Jupyter -----------------------------------------------------------------------------


class StepFrames(list):
    """The stepper's frames shown one after another (when ipywidgets is missing)."""

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        text = "\n\n".join(frame.caption for frame in self)
        note = 'for a slider: pip install "microgradx[widgets]"'
        bundle = {"text/plain": f"{text}\n\n({note})"}
        html = [_frame_html(frame, 4)[0] for frame in self]
        bundle["text/html"] = "<hr>".join(html) + f"<p><i>{escape(note)}</i></p>"
        return bundle


def stepper(root: Value, **options: Any):
    """Step through the backward pass in Jupyter.

    With ipywidgets installed: a slider (and Previous/Next buttons) over the
    frames of :func:`backward_steps`. Without it: the frames one after another.
    """
    frames = backward_steps(root, **options)
    precision = options.get("precision", 4)
    try:
        import ipywidgets as widgets
    except ImportError:
        return StepFrames(frames)
    slider = widgets.IntSlider(
        value=0, min=0, max=len(frames) - 1, description="step", continuous_update=True
    )
    prev = widgets.Button(description="Previous", icon="arrow-left")
    nxt = widgets.Button(description="Next", icon="arrow-right")
    view = widgets.HTML(_frame_html(frames[0], precision)[0])
    cache: dict[int, str] = {}

    def show(change) -> None:
        k = change["new"]
        if k not in cache:
            cache[k] = _frame_html(frames[k], precision)[0]
        view.value = cache[k]

    slider.observe(show, names="value")
    prev.on_click(lambda _: setattr(slider, "value", max(0, slider.value - 1)))
    nxt.on_click(lambda _: setattr(slider, "value", min(slider.max, slider.value + 1)))
    box = widgets.VBox([widgets.HBox([prev, nxt, slider]), view])
    box.frames = frames
    return box
