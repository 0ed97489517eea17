"""Running Graphviz with a time limit: layout never hangs the caller.

Every picture the package renders goes through :func:`run_graphviz`, which runs the
layout program (``dot`` by default) in a subprocess and stops it after ``timeout``
seconds with a :class:`LayoutTimeoutError` that says what to do instead.
"""

from __future__ import annotations

import math
import shutil
import subprocess

from .._compat import renamed_keywords, renamed_names

__all__ = [
    "DEFAULT_TIMEOUT",
    "INSTALL_GRAPHVIZ",
    "LAYOUTS",
    "GraphvizNotFoundError",
    "LayoutTimeoutError",
    "check_layout",
    "check_timeout",
    "run_graphviz",
]

#: Seconds a layout may take before it is stopped.
DEFAULT_TIMEOUT = 60.0
#: Graphviz's layout programs; ``dot`` draws layered graphs, the others are faster on big ones.
LAYOUTS = ("dot", "neato", "fdp", "sfdp", "twopi", "circo", "osage", "patchwork")
# the layout programs were once "engines": render.ENGINES still works, with a warning
__getattr__ = renamed_names(__name__, {"ENGINES": ("LAYOUTS", LAYOUTS)})

INSTALL_GRAPHVIZ = (
    "install Graphviz's dot program: sudo apt-get install graphviz (Debian/Ubuntu), "
    "brew install graphviz (macOS) or conda install -c conda-forge graphviz"
)


class GraphvizNotFoundError(RuntimeError):
    """Rendering an image needs Graphviz's ``dot`` program, and it is not installed."""


class LayoutTimeoutError(RuntimeError):
    """Graphviz took longer than the time limit to lay the graph out."""


def check_timeout(timeout: object) -> float:
    """``timeout`` as a float, or ``ValueError`` unless it is a positive finite number."""
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
        if math.isfinite(timeout) and timeout > 0:
            return float(timeout)
    raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")


def check_layout(layout: object) -> str:
    """``layout`` if it is one of Graphviz's layout programs (:data:`LAYOUTS`), else a
    ``ValueError`` listing them."""
    if not isinstance(layout, str) or layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    return layout


@renamed_keywords(engine="layout")  # the old name still works, with a DeprecationWarning
def run_graphviz(
    source: str,
    fmt: str,
    *,
    layout: str = "dot",
    timeout: float = DEFAULT_TIMEOUT,
    dpi: float | None = None,
) -> bytes:
    """Lay out the DOT text ``source`` with ``layout`` and return it rendered as ``fmt``.

    Raises:
        GraphvizNotFoundError: the layout program is not installed.
        LayoutTimeoutError: the layout took longer than ``timeout`` seconds (the
            program is stopped); the message suggests ``collapse=``, a smaller graph
            or a faster layout.
        RuntimeError: Graphviz reported an error.
    """
    check_layout(layout)
    timeout = check_timeout(timeout)
    program = shutil.which(layout)
    if program is None:
        raise GraphvizNotFoundError(f"cannot render {fmt.upper()}: {INSTALL_GRAPHVIZ}")
    command = [program, f"-T{fmt}"]
    if dpi is not None:
        command.append(f"-Gdpi={dpi:g}")
    try:
        done = subprocess.run(
            command, input=source.encode("utf-8"), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise LayoutTimeoutError(
            f"Graphviz's {layout} did not finish the layout within {timeout:g} s and was "
            "stopped; draw fewer values: pass collapse=True (one box per neuron) or "
            "collapse=1 (one box per layer), draw a smaller graph (one sample, fewer "
            'neurons), or use a faster layout with layout="sfdp"; a larger timeout= '
            "waits longer"
        ) from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(f"Graphviz could not render the graph: {stderr}")
    return done.stdout
