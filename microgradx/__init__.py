"""microgradx: a scalar autograd engine for teaching and exploring backpropagation.

>>> from microgradx import Value
>>> w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
>>> f = (w + x * y) * z
>>> f.backward()
>>> f.data, w.grad, x.grad, y.grad, z.grad
(44.0, 4.0, 8.0, 12.0, 11.0)
"""

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
