"""The engine's switches: ``no_grad``, ``detect_anomaly`` and ``scope``.

Each is a block (``with no_grad(): ...``) that changes how the engine records Values in
the current thread only: whether results keep their operands, whether a non-finite
number raises, which scope new Values are tagged with. The current thread's switches
are one immutable :class:`_Mode`; the engine reads them once per operation, and only
while some block is open at all.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .ops import OPS, Op

if TYPE_CHECKING:
    from .engine import Value

__all__ = ["detect_anomaly", "is_grad_enabled", "no_grad", "scope"]


class _Mode:
    """The engine's switches, as one immutable object (a new one per change).

    Attributes:
        grad_enabled: False inside :func:`no_grad`: results record no operands.
        anomaly: True inside :func:`detect_anomaly`: non-finite numbers raise.
        scope: ``"layer0/neuron3"`` inside ``scope("layer0")``, ``scope("neuron3")``;
            ``""`` outside every scope.
    """

    __slots__ = ("anomaly", "grad_enabled", "scope")

    def __init__(self, grad_enabled: bool = True, anomaly: bool = False, scope: str = "") -> None:
        self.grad_enabled = grad_enabled
        self.anomaly = anomaly
        self.scope = scope

    def replaced(self, **changes: bool | str) -> _Mode:
        """A copy of this mode with ``changes`` applied."""
        fields = {"grad_enabled": self.grad_enabled, "anomaly": self.anomaly, "scope": self.scope}
        return _Mode(**{**fields, **changes})  # type: ignore[arg-type]


_DEFAULT = _Mode()


class _Switches(threading.local):
    """The switches of the current thread: each thread starts with the defaults.

    ``no_grad()``, ``detect_anomaly()`` and ``scope()`` change only the thread that
    enters them. The engine's hot path reads ``_blocks.open`` (one attribute); only
    while some block is open, in any thread, does it read ``_switches.mode`` (one
    thread-local lookup).
    """

    mode = _DEFAULT


class _Blocks:
    """How many switch blocks are open in all threads (> 0 whenever any thread's mode
    differs from the defaults)."""

    __slots__ = ("open",)

    def __init__(self) -> None:
        self.open = 0


_switches = _Switches()
_blocks = _Blocks()
_open_lock = threading.Lock()


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside this block, operations record no operands: results are constants.

    Use it for optimizer updates and for evaluation, where no backward follows.
    It applies to the current thread only (other threads keep recording).
    """
    with _switched(grad_enabled=False):
        yield


@contextmanager
def _switched(**changes: bool | str) -> Iterator[_Mode]:
    """Change this thread's mode for the length of a block; yields the new mode."""
    previous = _switches.mode
    with _open_lock:  # counted before the mode changes and after it is restored
        _blocks.open += 1
    try:
        _switches.mode = mode = previous.replaced(**changes)
        yield mode
    finally:
        _switches.mode = previous
        with _open_lock:
            _blocks.open -= 1


def is_grad_enabled() -> bool:
    """False inside :func:`no_grad` (in the current thread)."""
    return _switches.mode.grad_enabled


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Inside this block, the first inf or nan raises ``FloatingPointError``.

    The error names the operation, its inputs and their labels, both for forward
    values and for gradients computed by ``backward``. It applies to the current
    thread only.
    """
    with _switched(anomaly=True):
        yield


@contextmanager
def scope(name: str) -> Iterator[str]:
    """Tag every Value created inside with ``name`` (nested scopes join with ``/``).

    Drawings can cluster or collapse each scope, e.g. one box per neuron.
    Yields the full scope path. It applies to the current thread only.
    """
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"scope name must be a non-empty str without '/', got {name!r}")
    outer = _switches.mode.scope
    with _switched(scope=f"{outer}/{name}" if outer else name) as mode:
        yield mode.scope


def _describe(v: Value) -> str:
    name = f"{v.label!r}=" if v.label else ""
    return f"{name}{v.data!r}"


def _report_anomaly(what: str, op: Op, children: tuple[Value, ...], arg: Any) -> None:
    inputs = ", ".join(_describe(c) for c in children)
    extra = f", {op.arg_name or 'argument'} {arg!r}" if arg is not None else ""
    raise FloatingPointError(f"{what}; {op.name}({inputs}{extra})")


def _check_grads(node: Value) -> None:
    for child in node.children:
        if not math.isfinite(child.grad):
            who = f" of {child.label!r}" if child.label else ""
            _report_anomaly(
                f"backward of {node.op!r} gave gradient {child.grad}{who} "
                f"(upstream gradient {node.grad!r})",
                OPS[node.op],
                node.children,
                node.arg,
            )
