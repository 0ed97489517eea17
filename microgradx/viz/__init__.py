"""Drawing computational graphs: Graphviz pictures, Jupyter display, the backward stepper.

>>> from microgradx import Value, draw
>>> w, x, y, z = Value(5.0, "w"), Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
>>> f = (w + x * y) * z
>>> f.backward()
>>> drawing = draw(f)          # or f.draw()
>>> "44" in drawing.source     # DOT text; .svg(), .png() and .save() need Graphviz
True
"""

from .backward import draw_backward
from .drawing import Drawing, GraphvizNotFoundError, LayoutTimeoutError, draw, draw_dot
from .names import Namer, display_name
from .steps import StepperPage, backward_steps, save_steps, save_steps_html, stepper

__all__ = [
    "Drawing",
    "GraphvizNotFoundError",
    "LayoutTimeoutError",
    "Namer",
    "StepperPage",
    "backward_steps",
    "display_name",
    "draw",
    "draw_backward",
    "draw_dot",
    "save_steps",
    "save_steps_html",
    "stepper",
]
