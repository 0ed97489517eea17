"""A neuron, ``a = f(Σᵢ wᵢ·xᵢ + b)``, and a layer of neurons reading the same inputs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._checks import positive_int
from .._gc import paused
from ..engine import Value, scope
from ..engine import sum as value_sum
from . import serialize
from .base import (
    ACTIVATIONS,
    Module,
    _check_activation,
    _init_name,
    _np_activation,
    _one_sample_check,
    _param,
    _sizes,
    _unwrap,
)
from .batchnorm import BatchNorm
from .init import Initializer, Seed, get_initializer, make_rng
from .serialize import FORMAT as FORMAT  # re-exported: the file format's home is serialize
from .serialize import FORMAT_VERSION as FORMAT_VERSION
from .serialize import MAX_PARAMETERS as MAX_PARAMETERS
from .serialize import MODEL_CLASSES as MODEL_CLASSES

__all__ = ["Layer", "Neuron"]


@serialize.register_model
class Neuron(Module):
    """One neuron: ``a = f(Σᵢ wᵢ·xᵢ + b)``.

    Args:
        nin: number of inputs (and of weights).
        activation: ``relu``, ``tanh``, ``sigmoid``, ``leaky_relu`` (slope 0.01) or
            ``linear`` (``None`` means linear).
        init: weight initialiser name or function (see :mod:`microgradx.nn.init`);
            the bias starts at 0.
        weights, bias: explicit starting values instead (``weights`` overrides ``init``).
        seed: int, ``None`` or numpy Generator for the initialiser.
        name: the scope its Values are tagged with.

    Calling a neuron on ``nin`` numbers or Values returns one Value.
    """

    def __init__(
        self,
        nin: int,
        activation: str | None = "tanh",
        init: str | Initializer = "he_uniform",
        *,
        weights: Sequence[float] | None = None,
        bias: float = 0.0,
        seed: Seed = None,
        name: str = "neuron",
    ) -> None:
        self.nin = positive_int("nin", nin)
        serialize.check_parameter_count(f"Neuron({self.nin})", self.nin + 1)
        self.nout = 1
        self.activation = _check_activation(activation)
        self.init = init
        self.name = name
        if weights is None:
            weights = get_initializer(init)(self.nin, 1, make_rng(seed))[0]
        weights = [float(w) for w in weights]
        if len(weights) != self.nin:
            raise ValueError(f"Neuron({nin}) needs {nin} weights, got {len(weights)}")
        self._act = ACTIVATIONS[self.activation]
        with scope(name):
            self.w = [_param(w, f"w{i}") for i, w in enumerate(weights)]
            self.b = _param(bias, "b")

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        """``nin`` weights and a bias."""
        [nin] = _sizes(config, "nin")
        return nin + 1

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"w{i}", w) for i, w in enumerate(self.w)] + [("b", self.b)]

    def neuron_layers(self) -> list[list[Neuron]]:
        """This neuron as a layer of one (what the network figure draws)."""
        return [[self]]

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def _forward(self, x: Sequence[float | Value]) -> Value:
        with scope(self.name):
            # One Σ node over the products wᵢ·xᵢ (weight first) and the bias last.
            z = value_sum([w * xi for w, xi in zip(self.w, x)] + [self.b])
            act = self._act
            return z if act is None else act(z)

    # the same two steps apart, for a batch norm between them (see Layer._forward_rows)

    def _preactivation(self, x: Sequence[float | Value]) -> Value:
        with scope(self.name):
            # One Σ node over the products wᵢ·xᵢ (weight first) and the bias last.
            return value_sum([w * xi for w, xi in zip(self.w, x)] + [self.b])

    def _activate(self, z: Value) -> Value:
        with scope(self.name):
            act = self._act
            return z if act is None else act(z)

    @paused  # builds the graph of a forward pass: no cycles, no collector (see _gc.py)
    def __call__(self, x: Sequence[float | Value]) -> Value:
        return self._forward(self._check_input(x))

    def forward_batch(self, X: np.ndarray) -> np.ndarray:
        X = self._check_batch(X)
        w = np.array([p.data for p in self.w])
        return _np_activation(self.activation, X @ w + self.b.data)[:, None]

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "activation": self.activation,
            "init": _init_name(self.init),
            "name": self.name,
        }

    def __repr__(self) -> str:
        return f"Neuron({self.nin} inputs, {self.activation})"


@serialize.register_model
class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs: ``a = f(W·x + b)``.

    Calling a layer returns one Value when ``nout == 1``, else a list of ``nout`` Values.
    With ``batch_norm=True`` a :class:`BatchNorm` sits between the sums and the
    activation, ``a = f(BN(W·x + b))``, and a batch must pass through together
    (:meth:`forward_rows`) in training mode.
    Weights are drawn as one ``(nout, nin)`` matrix by ``init`` (so Xavier sees both
    fan-in and fan-out); biases start at 0.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = "tanh",
        init: str | Initializer = "he_uniform",
        *,
        seed: Seed = None,
        name: str = "layer",
        batch_norm: bool = False,
    ) -> None:
        self.nin = positive_int("nin", nin)
        self.nout = positive_int("nout", nout)
        count = (self.nin + 1) * self.nout
        serialize.check_parameter_count(f"Layer({self.nin}, {self.nout})", count)
        self.activation = _check_activation(activation)
        self.init = init
        self.name = name
        W = get_initializer(init)(self.nin, self.nout, make_rng(seed))
        W = np.asarray(W, dtype=float)
        if W.shape != (self.nout, self.nin):
            raise ValueError(f"init returned shape {W.shape}, expected {(self.nout, self.nin)}")
        with scope(name):
            self.neurons = [
                Neuron(nin, self.activation, weights=W[j], name=f"neuron{j}")
                for j in range(self.nout)
            ]
            self.norm = BatchNorm(self.nout) if batch_norm else None

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        """``nout`` neurons of ``nin`` weights and a bias (and a batch norm's 4 per unit)."""
        nin, nout = _sizes(config, "nin", "nout")
        return (nin + 1) * nout + (4 * nout if config.get("batch_norm") else 0)

    def children(self) -> list[Module]:
        return [*self.neurons, *([self.norm] if self.norm is not None else [])]

    def named_parameters(self) -> list[tuple[str, Value]]:
        named = [
            (f"{n.name}.{pname}", p) for n in self.neurons for pname, p in n.named_parameters()
        ]
        if self.norm is not None:
            named += [(f"{self.norm.name}.{k}", p) for k, p in self.norm.named_parameters()]
        return named

    def neuron_layers(self) -> list[list[Neuron]]:
        """This layer's neurons, as the one layer of the network figure."""
        return [self.neurons]

    def parameters(self) -> list[Value]:
        params: list[Value] = []
        for n in self.neurons:  # += copies in C: 10x the comprehension on wide layers
            params += n.parameters()
        return params + (self.norm.parameters() if self.norm is not None else [])

    def named_buffers(self) -> list[tuple[str, float]]:
        if self.norm is None:
            return []
        return [(f"{self.norm.name}.{k}", x) for k, x in self.norm.named_buffers()]

    def load_buffers(self, values: Mapping[str, float]) -> None:
        if self.norm is not None:
            prefix = f"{self.norm.name}."
            self.norm.load_buffers(
                {k[len(prefix) :]: x for k, x in values.items() if k.startswith(prefix)}
            )

    def _forward(self, x: Sequence[float | Value]) -> list[Value]:
        if self.norm is None:
            with scope(self.name):
                return [n._forward(x) for n in self.neurons]
        return self._forward_rows([x])[0]

    def _forward_rows(self, rows: Sequence[Sequence[float | Value]]) -> list[list[Value]]:
        """Each row's outputs; with batch norm the rows are normalised together."""
        if self.norm is None:
            return [self._forward(x) for x in rows]
        with scope(self.name):
            Z = [[n._preactivation(x) for n in self.neurons] for x in rows]
            if self.norm.training:
                Z = self.norm.forward_rows(Z)
            else:
                Z = [self.norm(z) for z in Z]
            return [[n._activate(z) for n, z in zip(self.neurons, row)] for row in Z]

    @paused
    def forward_rows(self, rows: Sequence[Sequence[float | Value]]) -> list:
        return [_unwrap(r) for r in self._forward_rows([self._check_input(x) for x in rows])]

    @property
    def couples_samples(self) -> bool:
        return self.norm is not None and self.norm.training

    @paused  # builds the graph of a forward pass: no cycles, no collector (see _gc.py)
    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The layer's outputs: one Value when ``nout == 1``, else a list of ``nout``."""
        _one_sample_check(self)
        return _unwrap(self._forward(self._check_input(x)))

    @property
    def weight(self) -> np.ndarray:
        """The weights as an ``(nout, nin)`` array (a copy)."""
        return np.array([[w.data for w in n.w] for n in self.neurons])

    @property
    def bias(self) -> np.ndarray:
        """The biases as an ``(nout,)`` array (a copy)."""
        return np.array([n.b.data for n in self.neurons])

    def forward_batch(self, X: np.ndarray) -> np.ndarray:
        X = self._check_batch(X)
        Z = X @ self.weight.T + self.bias
        if self.norm is not None:
            Z = self.norm.forward_batch(Z)
        return _np_activation(self.activation, Z)

    def config(self) -> dict[str, Any]:
        config = {
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "init": _init_name(self.init),
            "name": self.name,
        }
        if self.norm is not None:
            config["batch_norm"] = True
        return config

    def __repr__(self) -> str:
        n = self.nin * self.nout + self.nout
        return f"Layer({self.nin} → {self.nout}, {self.activation}, {n} parameters)"
