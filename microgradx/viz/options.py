"""How a drawing looks: colours by role, the options of ``draw``, a stepper frame's state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .._checks import positive_int
from ..engine import Value
from .render import DEFAULT_TIMEOUT, check_layout, check_timeout

__all__ = ["FONT", "ROLE_COLOURS", "DrawOptions", "FrameState"]

# Colours by role: (fill, border). Light fills keep black text readable on slides.
ROLE_COLOURS = {
    "input": ("#dbeafe", "#2563eb"),  # labelled leaves: blue
    "parameter": ("#fef3c7", "#d97706"),  # trainable weights: amber
    "constant": ("#f3f4f6", "#9ca3af"),  # unlabelled leaves: grey
    "output": ("#dcfce7", "#16a34a"),  # the root: green
    "intermediate": ("#ffffff", "#6b7280"),  # everything else: white
}
OP_COLOURS = ("#ede9fe", "#7c3aed")  # operation ovals: violet
SCOPE_COLOURS = ("#f5f3ff", "#7c3aed")  # collapsed scopes
HIGHLIGHT = "#dc2626"  # red: highlighted values, the stepper's current node
UPDATED = "#ea580c"  # orange: operands the stepper's current node just updated
LOCAL_GRAD = "#7c3aed"  # edge labels with local gradients
FONT = "Helvetica,Arial,sans-serif"
RANKDIRS = ("LR", "TB", "RL", "BT")


@dataclass(frozen=True)
class DrawOptions:
    """What :func:`microgradx.draw` takes; see there for each option."""

    rankdir: str = "LR"
    show_data: bool = True
    show_grad: bool = True
    precision: int = 4
    show_local_grads: bool = False
    highlight: tuple[Value, ...] = ()
    params: tuple[Value, ...] = ()
    max_nodes: int = 1000
    clusters: bool = False
    collapse: bool | int = False
    layout: str = "dot"
    timeout: float = DEFAULT_TIMEOUT

    def __post_init__(self) -> None:
        check_layout(self.layout)
        object.__setattr__(self, "timeout", check_timeout(self.timeout))
        if self.rankdir not in RANKDIRS:
            raise ValueError(f"rankdir must be one of {', '.join(RANKDIRS)}, got {self.rankdir!r}")
        for name in ("show_data", "show_grad", "show_local_grads", "clusters"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if not _is_int(self.precision) or not 0 <= self.precision <= 17:
            raise ValueError(f"precision must be an int from 0 to 17, got {self.precision!r}")
        object.__setattr__(self, "max_nodes", positive_int("max_nodes", self.max_nodes))
        depth_ok = _is_int(self.collapse) and self.collapse > 0
        if not isinstance(self.collapse, bool) and not depth_ok:
            raise ValueError(
                f"collapse must be True, False or a scope depth >= 1, got {self.collapse!r}"
            )
        object.__setattr__(self, "highlight", _values("highlight", self.highlight))
        object.__setattr__(self, "params", _values("params", self.params))


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _values(name: str, items: Iterable[Value] | Value | None) -> tuple[Value, ...]:
    if items is None:
        return ()
    if isinstance(items, Value):
        items = (items,)
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{name} must be a list of Values, got {type(items).__name__}") from None
    for item in items:
        if not isinstance(item, Value):
            raise TypeError(f"{name} must hold Values, got {type(item).__name__}")
    return items


@dataclass
class FrameState:
    """One moment of the backward pass, for the stepper's frames.

    Attributes:
        grads: the gradient each Value has received so far (absent: none yet).
        current: the node whose backward rule was just applied.
        updated: the operands that rule just updated.
        caption: the arithmetic of the step, one line per operand.
    """

    grads: Mapping[Value, float]
    current: Value | None = None
    updated: tuple[Value, ...] = ()
    caption: str = ""
