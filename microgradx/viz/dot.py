"""Building the Graphviz description (DOT) of a computational graph.

Every Value is drawn as a small table ``label | data | grad`` and every operation as
a small oval with its symbol, between its operands and its result::

    x ──┐
        (×) ──> v ──> (+) ──> u ...
    y ──┘

Node ids are positions in topological order (``v0``, ``v1``, ...), so the same
expression always gives the same DOT text, byte for byte.

:func:`build_digraph` is the entry: it checks the size, then builds. The nodes and
their text are made in :mod:`microgradx.viz.nodes`, the edges, clusters, collapsed
scopes and the ``graphviz.Digraph`` in :mod:`microgradx.viz.wiring`.
"""

from __future__ import annotations

from collections.abc import Sequence

import graphviz

from .._gc import paused
from ..engine import Value
from .formatting import dot_text, format_number, html_text, local_grads
from .names import Namer
from .nodes import definition
from .options import DrawOptions, FrameState
from .wiring import _Builder, check_size

__all__ = [
    "DrawOptions",
    "FrameState",
    "build_digraph",
    "check_size",
    "definition",
    "dot_text",
    "format_number",
    "html_text",
    "local_grads",
]


@paused  # drawing walks the graph and makes many small objects: no collector
def build_digraph(
    root: Value | Sequence[Value],
    opts: DrawOptions,
    frame: FrameState | None = None,
    namer: Namer | None = None,
) -> graphviz.Digraph:
    """The ``graphviz.Digraph`` of ``root``'s graph, drawn with ``opts``.

    ``root`` may be several Values, drawn in one picture (see
    :class:`~microgradx.viz.wiring._Builder`).

    ``namer`` names the Values (default: a :class:`~microgradx.viz.names.Namer` asking
    the calling code for its names).
    """
    check_size(root, opts)
    return _Builder(root, opts, frame, namer).build()
