"""Build-time pages for the documentation site.

Everything a reader sees as a picture is drawn from code while the site builds:
the drawing gallery (each example's code is run, and the page shows the code and
its SVG), the lecture graph and its lesson pages (the forward and backward pass, and a
quiz), with frames as tall as they need. The notebooks get a navigation entry each, in file
order (the lecture companions in ``notebooks/lectures/`` under "Lectures"), so a new notebook
appears without editing ``mkdocs.yml``.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]

LECTURE = """\
from microgradx import Value

w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
f = (w + x * y) * z
f.label = "f"
f.backward()
"""

#: (file name, title, what it shows, code ending with ``drawing = ...``).
GALLERY: list[tuple[str, str, str, str]] = [
    (
        "lecture",
        "The lecture example",
        "Values and gradients of f = (w + x·y)·z after `f.backward()`.",
        LECTURE + "drawing = f.draw()\n",
    ),
    (
        "local-grads",
        "Local gradients on the edges",
        "Each edge carries ∂result/∂operand, the factor the chain rule multiplies by.",
        LECTURE + "drawing = f.draw(show_local_grads=True)\n",
    ),
    (
        "top-to-bottom",
        "Top to bottom, highlighted",
        "The same graph laid out from top to bottom, with `x` highlighted and `w` drawn as a "
        "parameter.",
        LECTURE + 'drawing = f.draw(rankdir="TB", precision=2, highlight=[x], params=[w])\n',
    ),
    (
        "neuron",
        "A neuron",
        "One tanh neuron, o = tanh(w₁·x₁ + w₂·x₂ + b): the Σ node sums the products and the bias.",
        """\
from microgradx import Value
from microgradx.nn import Neuron

neuron = Neuron(2, activation="tanh", weights=[-3.0, 1.0], bias=6.8813735870195432)
o = neuron([Value(2.0, "x1"), Value(0.0, "x2")])
o.label = "o"
o.backward()
drawing = o.draw()
""",
    ),
    (
        "collapsed",
        "An MLP's loss, one box per neuron",
        "A small MLP's squared-error loss on one sample, with every neuron collapsed into a box.",
        """\
from microgradx.nn import MLP, mse

model = MLP(2, [3, 1], activation="tanh", seed=0)
loss = mse(model([0.5, -1.0]), 1.0)
loss.label = "loss"
loss.backward()
drawing = loss.draw(collapse=True)
""",
    ),
]


def _run(code: str) -> str:
    """Run a gallery example and return its drawing as SVG text."""
    namespace: dict[str, object] = {}
    exec(compile(code, "<gallery>", "exec"), namespace)
    return namespace["drawing"].svg()  # type: ignore[attr-defined]


def _gallery_page(images: dict[str, str]) -> str:
    parts = [
        "# Drawing gallery\n",
        "Every picture on this page is drawn from the code above it while the site builds; "
        "each example runs as it stands.\n",
    ]
    for name, title, text, code in GALLERY:
        parts.append(f"## {title}\n\n{text}\n\n```python\n{code}```\n")
        parts.append(f"![{title}]({images[name]})\n")
    return "\n".join(parts)


def _lesson_pages() -> dict[str, tuple[str, int]]:
    """The lecture example's lesson pages (plain and quiz): {file name: (html, height)}."""
    from microgradx import stepper

    namespace: dict[str, object] = {}
    exec(compile(LECTURE, "<lecture>", "exec"), namespace)
    pages = {}
    for name, quiz in (("stepper.html", False), ("quiz.html", True)):
        page = stepper(namespace["f"], quiz=quiz)  # type: ignore[arg-type]
        pages[name] = (page.html, page.height)
    return pages


#: Heights the lecture page's frames need, filled in when the pages are made.
_HEIGHTS: dict[str, int] = {}


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Add one navigation entry per notebook, in file order, and one per lecture companion."""
    entries = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        number, _, rest = path.stem.partition("_")
        title = (
            f"{int(number)} · {rest.replace('_', ' ').capitalize()}"
            if number.isdigit()
            else path.stem
        )
        entries.append({title: f"notebooks/{path.name}"})
    lectures = []
    for path in sorted((ROOT / "notebooks" / "lectures").glob("*.ipynb")):
        number, _, rest = path.stem.partition("_")
        title = f"Lecture {number} · {rest.replace('_', ' ').capitalize()}"
        lectures.append({title: f"notebooks/lectures/{path.name}"})
    nav = config.nav or []
    for item in nav:
        if isinstance(item, dict) and "Notebooks" in item:
            item["Notebooks"] = entries
        if isinstance(item, dict) and "Lectures" in item:
            item["Lectures"] = lectures
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the gallery page, its pictures and the stepper page, drawn now."""
    images = {}
    for name, _, _, code in GALLERY:
        uri = f"gallery/{name}.svg"
        files.append(File.generated(config, uri, content=_run(code)))
        images[name] = f"{name}.svg"
    files.append(File.generated(config, "gallery/index.md", content=_gallery_page(images)))
    for name, (html, height) in _lesson_pages().items():
        files.append(File.generated(config, f"lecture/{name}", content=html))
        _HEIGHTS[name] = height
    files.append(File.generated(config, "lecture/graph.svg", content=_run(GALLERY[0][3])))
    return files


# Docstrings name other objects with roles (:func:`grad`, :class:`~microgradx.nn.MLP`),
# which the reference pages would otherwise show as raw text.
_ROLE = re.compile(r":(?:attr|class|data|exc|func|meth|mod|obj):<code>~?([^<]*)</code>")


def on_page_markdown(markdown: str, **kwargs: object) -> str:
    """Size the lecture page's frames to the lesson pages they hold (no blank bands)."""
    for name, height in _HEIGHTS.items():
        markdown = markdown.replace(f"@@height:{name}@@", str(height))
    return markdown


def on_page_content(html: str, **kwargs: object) -> str:
    """Render docstring roles as code: ``:func:`grad``` reads as ``grad``."""

    def code(match: re.Match[str]) -> str:
        name = match.group(1)
        if "~" in match.group(0):  # ~a.b.C shows only C, as in the docstring convention
            name = name.rsplit(".", 1)[-1]
        return f"<code>{name}</code>"

    return _ROLE.sub(code, html)
