"""Weight initialisation: where gradient descent starts.

Every initialiser has the signature ``init(fan_in, fan_out, seed=None)`` and returns a
numpy array of shape ``(fan_out, fan_in)``: row ``j`` holds the weights of neuron ``j``,
one per input. ``seed`` is an int, ``None`` (fresh randomness) or a
``numpy.random.Generator`` (which is advanced), so results are reproducible.

The scale matters. With ``n`` inputs of unit variance, a weighted sum ``Σ wᵢxᵢ`` has
variance ``n·Var(w)``; keeping that near 1 (or 2 for relu, which zeroes half its inputs)
stops activations and gradients from shrinking or exploding layer after layer:

=================  =============================  ==========================
name               distribution                   chosen so that
=================  =============================  ==========================
uniform            U(−1, 1)                       (the simplest start)
xavier_uniform     U(−a, a), a = √(6/(fan_in+fan_out))   Var(w) = 2/(fan_in+fan_out)
xavier_normal      N(0, 2/(fan_in+fan_out))       Var(w) = 2/(fan_in+fan_out)
he_normal          N(0, 2/fan_in)                 Var(w) = 2/fan_in (relu)
he_uniform         U(−a, a), a = √(6/fan_in)      Var(w) = 2/fan_in (relu)
zeros              0                              (biases; symmetric, so weights never differ)
=================  =============================  ==========================

Aliases: ``xavier`` = ``glorot`` = ``glorot_uniform`` = ``xavier_uniform``,
``glorot_normal`` = ``xavier_normal``, ``he`` = ``kaiming`` = ``kaiming_normal`` =
``he_normal``, ``kaiming_uniform`` = ``he_uniform``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .._checks import positive_int

__all__ = [
    "INITIALIZERS",
    "get_initializer",
    "glorot",
    "glorot_normal",
    "glorot_uniform",
    "he",
    "he_normal",
    "he_uniform",
    "kaiming",
    "kaiming_normal",
    "kaiming_uniform",
    "make_rng",
    "uniform",
    "xavier",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Seed = int | np.random.Generator | None
Initializer = Callable[..., np.ndarray]


def make_rng(seed: Seed = None) -> np.random.Generator:
    """A numpy Generator from an int seed, ``None``, or an existing Generator (returned as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int, None or numpy.random.Generator, got {seed!r}")
    if seed is not None and seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed}")
    return np.random.default_rng(seed)


def _check(fan_in: int, fan_out: int) -> None:
    positive_int("fan_in", fan_in)
    positive_int("fan_out", fan_out)


def uniform(fan_in: int, fan_out: int = 1, seed: Seed = None) -> np.ndarray:
    """Weights from U(−1, 1), whatever the layer size."""
    _check(fan_in, fan_out)
    return make_rng(seed).uniform(-1.0, 1.0, size=(fan_out, fan_in))


def xavier_uniform(fan_in: int, fan_out: int = 1, seed: Seed = None) -> np.ndarray:
    """Glorot/Xavier uniform: U(−a, a) with a = √(6/(fan_in + fan_out)), for tanh/sigmoid."""
    _check(fan_in, fan_out)
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return make_rng(seed).uniform(-a, a, size=(fan_out, fan_in))


def xavier_normal(fan_in: int, fan_out: int = 1, seed: Seed = None) -> np.ndarray:
    """Glorot/Xavier normal: N(0, σ²) with σ = √(2/(fan_in + fan_out))."""
    _check(fan_in, fan_out)
    std = math.sqrt(2.0 / (fan_in + fan_out))
    return make_rng(seed).normal(0.0, std, size=(fan_out, fan_in))


def he_normal(fan_in: int, fan_out: int = 1, seed: Seed = None) -> np.ndarray:
    """He/Kaiming normal: N(0, σ²) with σ = √(2/fan_in), for relu layers."""
    _check(fan_in, fan_out)
    return make_rng(seed).normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in))


def he_uniform(fan_in: int, fan_out: int = 1, seed: Seed = None) -> np.ndarray:
    """He/Kaiming uniform: U(−a, a) with a = √(6/fan_in), for relu layers."""
    _check(fan_in, fan_out)
    a = math.sqrt(6.0 / fan_in)
    return make_rng(seed).uniform(-a, a, size=(fan_out, fan_in))


def zeros(fan_in: int, fan_out: int = 1, seed: Seed = None) -> np.ndarray:
    """All zeros (every neuron then computes the same thing: fine for biases only)."""
    _check(fan_in, fan_out)
    return np.zeros((fan_out, fan_in))


xavier = glorot = glorot_uniform = xavier_uniform
glorot_normal = xavier_normal
he = kaiming = kaiming_normal = he_normal
kaiming_uniform = he_uniform

INITIALIZERS: dict[str, Initializer] = {
    "uniform": uniform,
    "xavier": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "glorot": xavier_uniform,
    "glorot_uniform": xavier_uniform,
    "glorot_normal": xavier_normal,
    "he": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "kaiming": he_normal,
    "kaiming_normal": he_normal,
    "kaiming_uniform": he_uniform,
    "zeros": zeros,
}


def get_initializer(init: str | Initializer) -> Initializer:
    """The initialiser called ``init`` (or ``init`` itself if it is callable)."""
    if callable(init):
        return init
    try:
        return INITIALIZERS[init]
    except (KeyError, TypeError):
        names = ", ".join(sorted(INITIALIZERS))
        raise ValueError(f"unknown init {init!r}; choose one of: {names}") from None
