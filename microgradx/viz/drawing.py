"""``draw(root)`` and the ``Drawing`` it returns: DOT text, images, files, Jupyter display."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import graphviz

from ..engine import Value
from .dot import DrawOptions, FrameState, build_digraph

__all__ = ["INSTALL_GRAPHVIZ", "Drawing", "GraphvizNotFoundError", "draw"]

INSTALL_GRAPHVIZ = (
    "install Graphviz's dot program: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or conda install -c conda-forge graphviz"
)

#: File suffixes :meth:`Drawing.save` writes; ``.dot`` and ``.gv`` are DOT text.
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}


class GraphvizNotFoundError(RuntimeError):
    """Rendering an image needs Graphviz's ``dot`` program, and it is not installed."""


class Drawing:
    """A drawn graph: DOT text always; SVG, PNG and PDF through Graphviz's ``dot``.

    Attributes:
        digraph: the ``graphviz.Digraph``, to restyle or render with other options.
        caption: what this drawing shows (a stepper frame's arithmetic; else "").
        grads: for stepper frames, the gradient each Value has received so far.
    """

    def __init__(
        self,
        digraph: graphviz.Digraph,
        caption: str = "",
        grads: Mapping[Value, float] | None = None,
    ) -> None:
        self.digraph = digraph
        self.caption = caption
        self.grads = dict(grads) if grads is not None else {}
        self._images: dict[str, bytes] = {}

    @property
    def source(self) -> str:
        """The DOT text (needs no Graphviz program)."""
        return self.digraph.source

    def render(self, format: str) -> bytes:  # noqa: A002 - graphviz's own name for it
        """The drawing rendered by ``dot`` as ``format`` (``"svg"``, ``"png"``, ``"pdf"``)."""
        if format not in self._images:
            try:
                self._images[format] = self.digraph.pipe(format=format)
            except graphviz.ExecutableNotFound:
                raise GraphvizNotFoundError(
                    f"cannot render {format.upper()}: {INSTALL_GRAPHVIZ}"
                ) from None
            except graphviz.CalledProcessError as exc:
                stderr = (exc.stderr or b"").decode("utf-8", "replace").strip()
                raise RuntimeError(f"Graphviz could not render the graph: {stderr}") from None
        return self._images[format]

    def svg(self) -> str:
        """The drawing as SVG text."""
        return self.render("svg").decode("utf-8")

    def png(self) -> bytes:
        """The drawing as PNG bytes."""
        return self.render("png")

    def save(self, path: str | Path) -> Path:
        """Write the drawing to ``path``; the suffix picks the format.

        ``.svg``, ``.png`` and ``.pdf`` are rendered by ``dot``; ``.dot`` and ``.gv``
        are the DOT text and need no Graphviz. The image is rendered before the file
        is opened, so a failure never leaves a broken file behind.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            accepted = " ".join(FORMATS)
            raise ValueError(
                f"cannot tell the format of {str(path)!r} from its suffix; use one of {accepted}"
            )
        fmt = FORMATS[suffix]
        data = self.source.encode("utf-8") if fmt is None else self.render(fmt)
        path.write_bytes(data)
        return path

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        """Jupyter's display: SVG when ``dot`` works, and always a text fallback."""
        bundle = {"text/plain": repr(self)}
        try:
            bundle["image/svg+xml"] = self.svg()
        except (RuntimeError, OSError) as exc:
            bundle["text/plain"] = f"{self!r}\nno image: {exc}; the DOT text is in .source"
        return bundle

    def __repr__(self) -> str:
        body = self.digraph.body
        n_values = sum(1 for line in body if "<table" in line)
        text = f"<Drawing of {n_values} values"
        if self.caption:
            text += f": {self.caption.splitlines()[0]}"
        return text + ">"


def draw(
    root: Value,
    *,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    precision: int = 4,
    show_local_grads: bool = False,
    highlight: Iterable[Value] = (),
    params: Iterable[Value] = (),
    max_nodes: int = 1000,
    clusters: bool = False,
    collapse: bool | int = False,
) -> Drawing:
    """Draw the computational graph below ``root``.

    Each Value is a box ``label | data | grad``; each operation an oval with its
    symbol, its operands' edges entering in operand order. Colours tell roles:
    inputs (labelled leaves) blue, parameters amber, constants grey, the output
    green.

    Args:
        root: the output Value.
        rankdir: ``"LR"`` (left to right) or ``"TB"`` (top to bottom); also RL, BT.
        show_data, show_grad: show each Value's data / gradient.
        precision: decimals shown (whole numbers show none).
        show_local_grads: label each operand's edge with the local derivative
            ∂result/∂operand: the factor the chain rule multiplies the upstream
            gradient by.
        highlight: Values to outline in red.
        params: Values to colour as parameters (``nn`` weights are marked already).
        max_nodes: refuse graphs with more Values than this (they are unreadable);
            the error suggests ``collapse``.
        clusters: draw each :func:`microgradx.scope` as a framed cluster.
        collapse: draw each scope as one box with its op count and the values that
            leave it; ``True`` collapses the innermost scopes (an MLP's neurons),
            an int collapses at that depth (``1``: layers).

    Returns:
        A :class:`Drawing`; in Jupyter it displays itself.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value, got {type(root).__name__}")
    opts = DrawOptions(
        rankdir=rankdir,
        show_data=show_data,
        show_grad=show_grad,
        precision=precision,
        show_local_grads=show_local_grads,
        highlight=highlight,
        params=params,
        max_nodes=max_nodes,
        clusters=clusters,
        collapse=collapse,
    )
    return Drawing(build_digraph(root, opts))


def draw_frame(root: Value, opts: DrawOptions, frame: FrameState) -> Drawing:
    """One frame of the backward stepper (see :mod:`microgradx.viz.steps`)."""
    return Drawing(build_digraph(root, opts, frame), caption=frame.caption, grads=frame.grads)
