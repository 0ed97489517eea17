"""microgradx: a scalar autograd engine for teaching and exploring backpropagation.

>>> from microgradx import Value
>>> w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
>>> f = (w + x * y) * z
>>> f.backward()
>>> f.data, w.grad, x.grad, y.grad, z.grad
(44.0, 4.0, 8.0, 12.0, 11.0)
"""

from __future__ import annotations

import importlib
import sys
import types

TYPE_CHECKING = False  # typing itself is not imported: it costs more than this module

# Every public name is imported on first use (module-level __getattr__ below), so
# `import microgradx` is quick and the command line's --help does not wait for numpy.
# Each name -> the module defining it.
_WHERE = {
    "gc_paused": "._gc",
    "derivative": ".autodiff",
    "grad": ".autodiff",
    "gradient": ".autodiff",
    "hessian": ".autodiff",
    "TorchComparison": ".compare",
    "compare_with_torch": ".compare",
    "Value": ".engine",
    "detect_anomaly": ".engine",
    "dot": ".engine",
    "is_grad_enabled": ".engine",
    "no_grad": ".engine",
    "scope": ".engine",
    "sum": ".engine",
    "check_backprop": ".exercises",
    "Expression": ".expr",
    "ExpressionError": ".expr",
    "parse": ".expr",
    "GradcheckReport": ".gradcheck",
    "gradcheck": ".gradcheck",
    "numeric_grad": ".gradcheck",
    "stats": ".graph",
    "topological_order": ".graph",
    "users": ".graph",
    "OPS": ".ops",
    "Tape": ".tape",
    "TapeGrads": ".tape",
    "compile": ".tape",
    "Drawing": ".viz",
    "GraphvizNotFoundError": ".viz",
    "LayoutTimeoutError": ".viz",
    "backward_steps": ".viz",
    "display_name": ".viz",
    "draw": ".viz",
    "draw_backward": ".viz",
    "draw_dot": ".viz",
    "save_steps": ".viz",
    "save_steps_html": ".viz",
    "stepper": ".viz",
}
# Sub-packages and modules reachable as attributes (``microgradx.nn``) before any import.
_MODULES = frozenset(
    {"autodiff", "compare", "demo", "engine", "exercises", "expr", "graph", "nn", "ops"}
    | {"micrograd", "plot", "runs", "tape", "viz"}
)

if TYPE_CHECKING:
    from typing import Any

    from ._gc import gc_paused
    from .autodiff import derivative, grad, gradient, hessian
    from .compare import TorchComparison, compare_with_torch
    from .engine import Value, detect_anomaly, dot, is_grad_enabled, no_grad, scope
    from .engine import sum as sum
    from .exercises import check_backprop as check_backprop
    from .expr import Expression, ExpressionError, parse
    from .gradcheck import GradcheckReport, gradcheck, numeric_grad
    from .graph import stats, topological_order, users
    from .ops import OPS
    from .tape import Tape, TapeGrads
    from .tape import compile as compile
    from .viz import (
        Drawing,
        GraphvizNotFoundError,
        LayoutTimeoutError,
        backward_steps,
        display_name,
        draw,
        draw_backward,
        draw_dot,
        save_steps,
        save_steps_html,
        stepper,
    )


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use, then keep the name here."""
    where = _WHERE.get(name)
    if where is not None:
        found = getattr(importlib.import_module(where, __name__), name)
        globals()[name] = found
        return found
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE) | _MODULES)


class _Package(types.ModuleType):
    """This package, keeping a function named like its module (``gradcheck``).

    Importing the module ``microgradx.gradcheck`` sets the package's attribute
    ``gradcheck`` to that module; the function of the same name is kept instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == f".{name}":
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


# `microgradx.sum` and `microgradx.compile` are kept out of __all__: `from microgradx import *`
# must not replace the builtins of the same names.

__version__ = "0.1.0"

__all__ = [
    "OPS",
    "Drawing",
    "Expression",
    "ExpressionError",
    "GradcheckReport",
    "GraphvizNotFoundError",
    "LayoutTimeoutError",
    "Tape",
    "TapeGrads",
    "TorchComparison",
    "Value",
    "backward_steps",
    "compare_with_torch",
    "derivative",
    "detect_anomaly",
    "display_name",
    "dot",
    "draw",
    "draw_backward",
    "draw_dot",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradient",
    "hessian",
    "is_grad_enabled",
    "no_grad",
    "numeric_grad",
    "parse",
    "save_steps",
    "save_steps_html",
    "scope",
    "stats",
    "stepper",
    "topological_order",
    "users",
]
