"""Learning-rate schedules: how an optimizer's ``lr`` changes from epoch to epoch.

Each schedule keeps the optimizer's starting rate and sets ``optimizer.lr`` to
``lr_at(t)`` after ``t`` calls of :meth:`LRScheduler.step` (``fit`` steps every schedule
among its callbacks once per epoch).
"""

from __future__ import annotations

from .._checks import positive_int
from .optim import Optimizer, _real

__all__ = ["ExponentialLR", "LRScheduler", "LinearLR", "StepLR"]


class LRScheduler:
    """Changes ``optimizer.lr`` each time :meth:`step` is called (usually once per epoch).

    ``lr_at(t)`` gives the rate after ``t`` calls; the optimizer's rate when the
    schedule is made is the base rate η₀.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"expected an Optimizer, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.t = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, t: int) -> float:
        raise NotImplementedError

    @property
    def lr(self) -> float:
        """The current learning rate."""
        return self.optimizer.lr

    def step(self) -> float:
        """Advance one step; returns the new learning rate."""
        self.t += 1
        self.optimizer.lr = self.lr_at(self.t)
        return self.optimizer.lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr:g} after {self.t} steps)"


class StepLR(LRScheduler):
    """η = η₀·γ^⌊t / step_size⌋: multiply the rate by γ every ``step_size`` steps."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        self.step_size = positive_int("step_size", step_size)
        self.gamma = _real("gamma", gamma, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


class ExponentialLR(LRScheduler):
    """η = η₀·γᵗ: multiply the rate by γ every step."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        self.gamma = _real("gamma", gamma, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        return self.base_lr * self.gamma**t


class LinearLR(LRScheduler):
    """The factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters``.

    η = η₀·(s + (e − s)·min(t, T)/T); constant at η₀·e after T steps (a warm-up when
    s < e, a linear decay when s > e).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3.0,
        end_factor: float = 1.0,
        total_iters: int = 5,
    ) -> None:
        self.start_factor = _real("start_factor", start_factor)
        self.end_factor = _real("end_factor", end_factor)
        self.total_iters = positive_int("total_iters", total_iters)
        super().__init__(optimizer)

    def lr_at(self, t: int) -> float:
        s, e, T = self.start_factor, self.end_factor, self.total_iters
        return self.base_lr * (s + (e - s) * min(t, T) / T)
