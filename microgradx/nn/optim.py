"""Optimizers: turning gradients into parameter updates (schedules: nn/schedules.py).

Every optimizer reads ``p.grad`` (filled by ``backward``) and changes ``p.data``. The
updates are plain arithmetic on numbers under :func:`microgradx.no_grad`, so they
never become part of a graph. Typical loop::

    opt = SGD(model.parameters(), lr=0.1)
    for epoch in range(100):
        opt.zero_grad()
        loss = ...            # forward
        loss.backward()       # gradients
        opt.step()            # update

With gradient g = ∂L/∂p (plus λ·p when ``weight_decay = λ``), learning rate η, step t:

=========  ==================================================================
SGD        p ← p − η·g
momentum   b ← μ·b + g;  p ← p − η·b   (Nesterov: p ← p − η·(g + μ·b))
AdaGrad    G ← G + g²;  p ← p − η·g / (√G + ε)
RMSProp    v ← α·v + (1 − α)·g²;  p ← p − η·g / (√v + ε)
Adam       m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;
           m̂ = m/(1 − β₁ᵗ);  v̂ = v/(1 − β₂ᵗ);  p ← p − η·m̂ / (√v̂ + ε)
AdamW      Adam, with decoupled weight decay p ← p − η·λ·p (not added to g)
=========  ==================================================================

Each rule is written once, in :meth:`Optimizer.rule`, on numbers that may be floats
or numpy arrays: :meth:`~Optimizer.step` applies it to every parameter Value in turn
(the scalar backend), :meth:`~Optimizer.step_arrays` to whole arrays in one vectorised
call (``fit(backend="tape")``, which keeps the weights in an array). Same operations in
the same order, so both give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real
from typing import Any

import numpy as np

from ..engine import Value, no_grad
from .module import Module

__all__ = [
    "OPTIMIZERS",
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSProp",
]


def _real(name: str, x: object, low: float = 0.0, *, low_open: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if x < low or (low_open and x == low):
        sign = ">" if low_open else ">="
        raise ValueError(f"{name} must be {sign} {low:g}, got {x!r}")
    return float(x)


def _unit(name: str, x: object) -> float:
    """A number in [0, 1)."""
    x = _real(name, x)
    if not x < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {x!r}")
    return x


class Optimizer:
    """Base class: holds the parameters and the learning rate ``lr`` (schedules change it).

    A subclass names its per-parameter state in ``state_names`` (lists of floats, one
    entry per parameter, e.g. ``velocity``) and writes its update once in
    :meth:`rule`.
    """

    state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Value] | Module, lr: float) -> None:
        ps = params.parameters() if isinstance(params, Module) else list(params)
        if set(map(type, ps)) - {Value}:  # one pass in C; the loop below names the culprit
            for i, p in enumerate(ps):
                if not isinstance(p, Value):
                    raise TypeError(f"params[{i}] is a {type(p).__name__}, not a Value")
        if not ps:
            raise ValueError("optimizer got an empty parameter list")
        self.params = ps
        self.lr = _real("lr", lr)
        self.t = 0  # steps taken
        for name in self.state_names:
            setattr(self, name, [0.0] * len(ps))

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 before the next backward pass."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its gradient (one step): :meth:`rule` per Value."""
        self.t += 1
        states = [getattr(self, name) for name in self.state_names]
        rule = self.rule
        with no_grad():
            for i, p in enumerate(self.params):
                new = rule(p.data, p.grad, *[s[i] for s in states])
                p.data = new[0]
                for s, x in zip(states, new[1:]):
                    s[i] = x

    def step_arrays(self, data: np.ndarray, grad: np.ndarray, states: list[np.ndarray]):
        """One step on arrays: ``data`` and ``grad`` hold every parameter, in order.

        ``states`` holds one array per name in ``state_names`` (see :meth:`state_arrays`).
        Returns the new ``data`` and the new states; the Values are not touched.
        """
        self.t += 1
        new = self.rule(data, grad, *states)
        return new[0], list(new[1:])

    def state_arrays(self) -> list[np.ndarray]:
        """The per-parameter state as arrays, for :meth:`step_arrays`."""
        return [np.array(getattr(self, name), dtype=float) for name in self.state_names]

    def load_state_arrays(self, states: list[np.ndarray]) -> None:
        """Take the state back from arrays (after training on arrays)."""
        for name, array in zip(self.state_names, states):
            setattr(self, name, array.tolist())

    def rule(self, p: Any, g: Any, *state: Any) -> tuple:
        """The update of parameter(s) ``p`` with gradient(s) ``g``: ``(new p, *new state)``.

        ``p``, ``g`` and the state are floats (one parameter) or arrays (all of them).
        """
        raise NotImplementedError

    def _hyper(self) -> str:
        return f"lr={self.lr:g}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.params)} parameters, {self._hyper()})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum and weight decay.

    p ← p − η·g with g = ∂L/∂p + λ·p. With momentum μ the step follows a velocity
    b ← μ·b + g (b = g on the first step); Nesterov looks ahead: p ← p − η·(g + μ·b).
    """

    state_names = ("velocity",)

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 0.1,
        momentum: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _unit("momentum", momentum)
        self.weight_decay = _real("weight_decay", weight_decay)
        if nesterov and not self.momentum:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)

    def rule(self, p: Any, g: Any, b: Any) -> tuple:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if wd:
            g = g + wd * p
        if mu:
            b = mu * b + g  # b = g on the first step (b starts at 0)
            g = g + mu * b if self.nesterov else b
        return p - lr * g, b

    def _hyper(self) -> str:
        text = f"lr={self.lr:g}"
        if self.momentum:
            text += f", momentum={self.momentum:g}" + (", nesterov" if self.nesterov else "")
        if self.weight_decay:
            text += f", weight_decay={self.weight_decay:g}"
        return text


class AdaGrad(Optimizer):
    """Per-parameter rates shrinking with the history: G ← G + g²; p ← p − η·g/(√G + ε)."""

    state_names = ("sum_sq",)

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 0.01,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.eps = _real("eps", eps)
        self.weight_decay = _real("weight_decay", weight_decay)

    def rule(self, p: Any, g: Any, G: Any) -> tuple:
        if self.weight_decay:
            g = g + self.weight_decay * p
        G = G + g * g
        return p - self.lr * g / (_sqrt(G) + self.eps), G


class RMSProp(Optimizer):
    """A moving average of g² sets each rate: v ← α·v + (1 − α)·g²; p ← p − η·g/(√v + ε)."""

    state_names = ("mean_sq",)

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        self.alpha = _unit("alpha", alpha)
        self.eps = _real("eps", eps)
        self.weight_decay = _real("weight_decay", weight_decay)

    def rule(self, p: Any, g: Any, v: Any) -> tuple:
        a = self.alpha
        if self.weight_decay:
            g = g + self.weight_decay * p
        v = a * v + (1.0 - a) * g * g
        return p - self.lr * g / (_sqrt(v) + self.eps), v

    def _hyper(self) -> str:
        return f"lr={self.lr:g}, alpha={self.alpha:g}"


class Adam(Optimizer):
    """Adaptive moments: momentum on g and on g², bias-corrected for the early steps.

    m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ),
    p ← p − η·m̂/(√v̂ + ε). ``weight_decay`` λ adds λ·p to g (L2); see :class:`AdamW`.
    """

    state_names = ("m", "v")

    decoupled = False

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (_unit("beta1", b1), _unit("beta2", b2))
        self.eps = _real("eps", eps)
        self.weight_decay = _real("weight_decay", weight_decay)

    def rule(self, p: Any, g: Any, m: Any, v: Any) -> tuple:
        lr, wd = self.lr, self.weight_decay
        b1, b2 = self.betas
        c1, c2 = 1.0 - b1**self.t, 1.0 - b2**self.t
        if wd:
            if self.decoupled:
                p = p - lr * wd * p
            else:
                g = g + wd * p
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * g * g
        return p - lr * (m / c1) / (_sqrt(v / c2) + self.eps), m, v

    def _hyper(self) -> str:
        text = f"lr={self.lr:g}, betas=({self.betas[0]:g}, {self.betas[1]:g})"
        if self.weight_decay:
            text += f", weight_decay={self.weight_decay:g}"
        return text


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p − η·λ·p, then the Adam step on ∂L/∂p alone."""

    decoupled = True

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


def _sqrt(x: Any) -> Any:
    """√x of a float (``math.sqrt``) or of an array (``numpy.sqrt``): both correctly rounded."""
    return np.sqrt(x) if isinstance(x, np.ndarray) else math.sqrt(x)


#: Optimizer names accepted by ``fit`` and the command line.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": AdaGrad,
    "rmsprop": RMSProp,
    "adam": Adam,
    "adamw": AdamW,
}
