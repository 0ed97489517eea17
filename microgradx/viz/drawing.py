"""``draw(root)`` and the ``Drawing`` it returns: DOT text, images, files, Jupyter display."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import graphviz

from .._atomic import atomic_write
from .._compat import renamed_keywords
from ..engine import Value, type_name
from .dot import DrawOptions, FrameState, build_digraph
from .names import Namer
from .render import (
    DEFAULT_TIMEOUT,
    INSTALL_GRAPHVIZ,
    GraphvizNotFoundError,
    LayoutTimeoutError,
    check_timeout,
    run_graphviz,
)

__all__ = [
    "DEFAULT_DPI",
    "INSTALL_GRAPHVIZ",
    "Drawing",
    "GraphvizNotFoundError",
    "LayoutTimeoutError",
    "draw",
    "draw_dot",
]

#: File suffixes :meth:`Drawing.save` writes; ``.dot`` and ``.gv`` are DOT text.
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}
#: Graphviz's output formats (``render("svg")`` asks for bytes, ``render("gout")`` for files).
_IMAGE_FORMATS = frozenset(graphviz.FORMATS)
#: PNG resolution: sharp on a projector (the lecture graph is about 1850 px wide).
DEFAULT_DPI = 200


def _check_dpi(dpi: object) -> float:
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 10 <= dpi <= 2400:
        raise ValueError(f"dpi must be a number from 10 to 2400, got {dpi!r}")
    return float(dpi)


class Drawing:
    """A drawn graph: DOT text always; SVG, PNG and PDF through Graphviz's ``dot``.

    Attributes:
        digraph: the ``graphviz.Digraph``, to restyle or render with other options;
            its ``engine`` attribute (graphviz's name) is the layout program.
        layout: the Graphviz layout program images are made with (``"dot"`` unless
            ``draw(layout=...)`` or the digraph says otherwise).
        caption: what this drawing shows (a stepper frame's arithmetic; else "").
        grads: for stepper frames, the gradient each Value has received so far.
        timeout: seconds a layout may take (see :class:`LayoutTimeoutError`).
    """

    def __init__(
        self,
        digraph: graphviz.Digraph,
        caption: str = "",
        grads: Mapping[Value, float] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.digraph = digraph
        self.caption = caption
        self.grads = dict(grads) if grads is not None else {}
        self.timeout = check_timeout(timeout)
        self._images: dict[tuple[str, float | None], bytes] = {}

    @property
    def source(self) -> str:
        """The DOT text (needs no Graphviz program)."""
        return self.digraph.source

    @property
    def layout(self) -> str:
        """The Graphviz layout program (``"dot"``, ``"sfdp"`` …) images are made with."""
        return str(self.digraph.engine)

    def render(
        self,
        filename: str | Path | None = None,
        dpi: float | None = None,
        *,
        format: str | None = None,  # noqa: A002
        directory: str | Path | None = None,
        cleanup: bool = False,
    ) -> bytes | str:
        """Render with Graphviz: image bytes for a format, or files for a file name.

        * ``render("svg")``, ``render("png", dpi=300)``, ``render(format="pdf")``: the
          image as bytes (``dpi`` sets the resolution of raster formats).
        * ``render("gout")``, ``render("gout", format="png")``: as ``graphviz``'s own
          ``render``, the DOT text is written to the file ``gout`` and the image
          to ``gout.svg`` (``.png`` …); returns the image's path. ``directory``
          and ``cleanup`` (remove the DOT file afterwards) work as there too.

        The layout is stopped after :attr:`timeout` seconds with a
        :class:`LayoutTimeoutError`.
        """
        name = None if filename is None else str(filename)
        if name is not None and format is None and directory is None and name in _IMAGE_FORMATS:
            return self._image(name, dpi)  # render("svg"): a format, not a file name
        if name is None:
            if format is None:
                raise TypeError("render() needs a format (render('svg')) or a file name")
            return self._image(format, dpi)
        if dpi is not None:
            raise TypeError("dpi applies to images returned as bytes: render('png', dpi=300)")
        fmt = format or "svg"
        if fmt not in _IMAGE_FORMATS:
            raise ValueError(f"unknown format {fmt!r}; e.g. svg, png or pdf")
        try:
            # a copy: graphviz's Digraph keeps the last directory for the next call
            return self.digraph.copy().render(
                name, directory=directory, format=fmt, cleanup=cleanup
            )
        except graphviz.ExecutableNotFound as exc:
            raise GraphvizNotFoundError(f"no image written: {INSTALL_GRAPHVIZ}") from exc

    def _image(self, format: str, dpi: float | None = None) -> bytes:  # noqa: A002
        """The image as bytes, laid out once per format and resolution."""
        key = (format, None if dpi is None else _check_dpi(dpi))
        if key not in self._images:
            self._images[key] = run_graphviz(
                self.source, format, layout=self.layout, timeout=self.timeout, dpi=key[1]
            )
        return self._images[key]

    def svg(self) -> str:
        """The drawing as SVG text."""
        return self._image("svg").decode("utf-8")

    def png(self, dpi: float = DEFAULT_DPI) -> bytes:
        """The drawing as PNG bytes at ``dpi`` dots per inch (default 200, for projectors)."""
        return self._image("png", dpi)

    def save(self, path: str | Path, dpi: float = DEFAULT_DPI) -> Path:
        """Write the drawing to ``path``; the suffix picks the format.

        ``.svg``, ``.png`` and ``.pdf`` are rendered by Graphviz (PNG at ``dpi``);
        ``.dot`` and ``.gv`` are the DOT text and need no Graphviz. The file is
        written atomically: rendered first, then written to a temporary file in the
        same folder and moved into place, so a failure never leaves a broken file.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            accepted = " ".join(FORMATS)
            raise ValueError(
                f"cannot tell the format of {str(path)!r} from its suffix; use one of {accepted}"
            )
        fmt = FORMATS[suffix]
        if fmt is None:
            data = self.source.encode("utf-8")
        else:
            data = self._image(fmt, dpi if fmt == "png" else None)
        return atomic_write(path, data)

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
        text = f"<Drawing of {n_values} values" if n_values else "<Drawing"
        if self.caption:
            text += f": {self.caption.splitlines()[0]}"
        return text + ">"


@renamed_keywords(engine="layout")  # the old name still works, with a DeprecationWarning
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
    layout: str = "dot",
    timeout: float = DEFAULT_TIMEOUT,
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
            an int collapses at that depth (``1``: layers). Rows inside a box are
            labelled by sample; edges between boxes are bundled and labelled with
            how many connections they stand for.
        layout: the Graphviz layout program (``"dot"``; ``"sfdp"`` is faster on
            big graphs but not layered; all: :data:`~microgradx.viz.render.LAYOUTS`).
            Its old name ``engine=`` still works, with a ``DeprecationWarning``.
        timeout: seconds a layout may take; past it a :class:`LayoutTimeoutError`
            says what to do (``collapse=``, a smaller graph, a faster layout).

    Every Value is shown by its readable name (:mod:`microgradx.viz.names`): its
    label, else the name your code bound it to, else a short formula such as
    ``x·y``, else a generated name such as ``t1``.

    Returns:
        A :class:`Drawing`; in Jupyter it displays itself.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw() needs a Value, got {type_name(root)}")
    opts = DrawOptions(
        rankdir=rankdir,
        show_data=show_data,
        show_grad=show_grad,
        precision=precision,
        show_local_grads=show_local_grads,
        highlight=highlight,  # type: ignore[arg-type]  # made tuples by DrawOptions
        params=params,  # type: ignore[arg-type]
        max_nodes=max_nodes,
        clusters=clusters,
        collapse=collapse,
        layout=layout,
        timeout=timeout,
    )
    return Drawing(build_digraph(root, opts), timeout=opts.timeout)


def draw_dot(root: Value, format: str = "svg", rankdir: str = "LR") -> graphviz.Digraph:  # noqa: A002
    """The drawing of ``root``'s graph as a ``graphviz.Digraph``, as lecture code uses it.

    The same picture as :func:`draw` (names, values, gradients, op symbols), returned
    as the graphviz package's own object: ``draw_dot(f).render("gout")`` writes
    ``gout`` and ``gout.svg``, ``.view()`` opens it, ``.source`` is the DOT text,
    and Jupyter shows it. ``format`` is the image format for ``render``
    (``"svg"``, ``"png"``, ``"pdf"`` …); ``rankdir`` is ``"LR"`` or ``"TB"``.
    """
    if format not in _IMAGE_FORMATS:
        raise ValueError(f"unknown format {format!r}; e.g. svg, png or pdf")
    digraph = draw(root, rankdir=rankdir).digraph
    digraph.format = format
    return digraph


def draw_frame(
    root: Value, opts: DrawOptions, frame: FrameState, namer: Namer | None = None
) -> Drawing:
    """One frame of the backward stepper (see :mod:`microgradx.viz.steps`)."""
    return Drawing(
        build_digraph(root, opts, frame, namer),
        caption=frame.caption,
        grads=frame.grads,
        timeout=opts.timeout,
    )
