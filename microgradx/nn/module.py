"""Neurons, layers and multi-layer perceptrons built from scalar Values.

A neuron with weights ``w``, bias ``b`` and activation ``f`` computes

    z = Σᵢ wᵢ·xᵢ + b        (the pre-activation: one ``Σ`` node over the products)
    a = f(z)                 (relu, tanh, sigmoid, leaky_relu or linear)

A layer is ``nout`` neurons reading the same inputs; an MLP feeds each layer's outputs
to the next. Every weight and bias is a leaf ``Value`` with ``is_param = True``; every
Value a neuron makes is tagged with the scope ``layer{l}/neuron{j}``, so drawings can
group or collapse neurons.

Models save to JSON (never pickle): ``model.save("model.json")`` and
``MLP.load("model.json")``; the format lives in :mod:`microgradx.nn.serialize`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import pairwise
from numbers import Real
from typing import Any

import numpy as np

from .._checks import positive_int
from .._gc import paused
from ..engine import Value
from . import serialize
from .base import (
    ACTIVATIONS as ACTIVATIONS,  # re-exported: a model's pieces, from one place
)
from .base import LEAKY_SLOPE as LEAKY_SLOPE
from .base import (
    Module,
    _bridge,
    _check_activation,
    _init_name,
    _one_sample_check,
    _sizes,
    _unwrap,
)
from .batchnorm import BatchNorm as BatchNorm
from .init import Initializer, Seed, make_rng
from .layers import Layer, Neuron
from .serialize import FORMAT as FORMAT  # re-exported: the file format's home is serialize
from .serialize import FORMAT_VERSION as FORMAT_VERSION
from .serialize import MAX_PARAMETERS as MAX_PARAMETERS
from .serialize import MODEL_CLASSES as MODEL_CLASSES

__all__ = ["ACTIVATIONS", "MLP", "BatchNorm", "Layer", "Module", "Neuron"]


@serialize.register_model
class MLP(Module):
    """A multi-layer perceptron: layers of neurons, each feeding the next.

    ``MLP(2, [16, 16, 1])`` has two hidden layers of 16 neurons (``activation``) and
    one output (``output_activation``; ``None`` is linear, e.g. a score for hinge
    loss or a logit). Calling it on ``nin`` numbers returns one Value when the last
    layer has one neuron (as the peer engine micrograd does), else a list of Values.

    Args:
        nin: number of inputs.
        nouts: size of each layer, the last being the output size.
        activation: hidden-layer activation.
        output_activation: output-layer activation (``None``: linear).
        init: weight initialiser. The defaults, tanh with He-uniform weights
            U(−√(6/n_in), √(6/n_in)), learn in every short run we measured: tanh
            never has a zero gradient (relu units can all die: a dead network's
            gradient is exactly 0), and He's larger scale keeps small tanh networks
            out of the flat start that Xavier gives them.
        dropout: probability of zeroing each hidden output in training mode; kept
            outputs are scaled by 1/(1 − p) so evaluation needs no change.
        seed: makes initial weights and dropout masks reproducible.
        batch_norm: put a :class:`BatchNorm` in every hidden layer, between the
            sums and the activation. In training mode a batch then passes through
            together (:meth:`forward_rows`; ``fit`` does this), and evaluation
            mode uses the running statistics, one sample at a time as usual.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | None = "tanh",
        output_activation: str | None = None,
        init: str | Initializer = "he_uniform",
        dropout: float = 0.0,
        seed: Seed = None,
        batch_norm: bool = False,
    ) -> None:
        self.nin = positive_int("nin", nin)
        if isinstance(nouts, (int, np.integer)):
            nouts = [int(nouts)]
        nouts = list(nouts)
        if not nouts:
            raise ValueError("nouts must list at least one layer size, e.g. [16, 1]")
        self.nouts = [positive_int(f"nouts[{i}]", n) for i, n in enumerate(nouts)]
        if not isinstance(batch_norm, bool):
            raise ValueError(f"batch_norm must be True or False, got {batch_norm!r}")
        self.batch_norm = batch_norm
        count = _mlp_count([self.nin, *self.nouts], batch_norm)
        serialize.check_parameter_count(f"MLP({self.nin}, {self.nouts!r:.60})", count)
        self.nout = self.nouts[-1]
        self.activation = _check_activation(activation)
        self.output_activation = _check_activation(output_activation, "output_activation")
        real = isinstance(dropout, (int, float, Real)) and not isinstance(dropout, bool)
        if not real or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a probability in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.init = init
        self.seed = seed if isinstance(seed, int) else None
        self._rng = make_rng(seed)
        sizes = [self.nin, *self.nouts]
        last = len(self.nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                self.output_activation if i == last else self.activation,
                init,
                seed=self._rng,
                name=f"layer{i}",
                batch_norm=batch_norm and i < last,
            )
            for i in range(len(self.nouts))
        ]

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        """Σ over layers of (inputs + 1)·outputs: a weight per input and a bias per neuron."""
        return _mlp_count(_sizes(config, "nin", "nouts"), bool(config.get("batch_norm")))

    def children(self) -> list[Module]:
        return list(self.layers)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"{layer.name}.{pname}", p)
            for layer in self.layers
            for pname, p in layer.named_parameters()
        ]

    def neuron_layers(self) -> list[list[Neuron]]:
        """The neurons, layer by layer (what the network figure draws)."""
        return [layer.neurons for layer in self.layers]

    def parameters(self) -> list[Value]:
        params: list[Value] = []
        for layer in self.layers:
            params += layer.parameters()
        return params

    def named_buffers(self) -> list[tuple[str, float]]:
        return [
            (f"{layer.name}.{k}", x) for layer in self.layers for k, x in layer.named_buffers()
        ]

    def load_buffers(self, values: Mapping[str, float]) -> None:
        for layer in self.layers:
            prefix = f"{layer.name}."
            layer.load_buffers(
                {k[len(prefix) :]: x for k, x in values.items() if k.startswith(prefix)}
            )

    @property
    def couples_samples(self) -> bool:
        return self.batch_norm and any(layer.couples_samples for layer in self.layers)

    @paused  # builds the graph of a forward pass: no cycles, no collector (see _gc.py)
    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The network's outputs: one Value when the last layer has one neuron, else a list."""
        _one_sample_check(self)
        return self._forward_rows([self._check_input(x)])[0]

    @paused
    def forward_rows(self, rows: Sequence[Sequence[float | Value]]) -> list:
        """Each row's outputs, as ``model(x)`` gives them; with batch norm in training
        mode the rows are normalised together (this is how ``fit`` runs such a model)."""
        return self._forward_rows([self._check_input(x) for x in rows])

    def _forward_rows(self, rows: list[list[Any]]) -> list:
        p = self.dropout if self.training else 0.0
        last = len(self.layers) - 1
        out: list[list[Value]] = rows
        for i, layer in enumerate(self.layers):
            if layer.norm is None:
                out = [layer._forward(r) for r in out]
            else:
                out = layer._forward_rows(out)
            if p and i < last:
                scale = 1.0 / (1.0 - p)
                dropped = []
                for r in out:
                    keep = self._rng.random(len(r)) >= p
                    dropped.append([h * (scale if k else 0.0) for h, k in zip(r, keep)])
                out = dropped
        return [_unwrap(r) for r in out]

    def forward_batch(self, X: np.ndarray) -> np.ndarray:
        A = self._check_batch(X)
        for layer in self.layers:
            A = layer.forward_batch(A)
        return A

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nouts": list(self.nouts),
            "activation": self.activation,
            "output_activation": None
            if self.output_activation == "linear"
            else self.output_activation,
            "init": _init_name(self.init),
            "dropout": self.dropout,
            "seed": self.seed,
            **({"batch_norm": True} if self.batch_norm else {}),
        }

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """An MLP with the architecture and weights of a ``torch.nn.Sequential``.

        See :func:`microgradx.nn.torch_bridge.from_torch` for the layers it reads;
        needs ``pip install "microgradx[torch]"``.
        """
        from_torch = _bridge().from_torch

        return from_torch(module)

    def __repr__(self) -> str:
        head = f"MLP({self.nin} → {' → '.join(map(str, self.nouts))}"
        head += f", {len(self.parameters())} parameters"
        if self.dropout:
            head += f", dropout {self.dropout:g}"
        if self.batch_norm:
            head += ", batch norm"
        lines = [head]
        lines += [f"  ({layer.name}): {layer!r}" for layer in self.layers]
        return "\n".join(lines) + "\n)"


def _mlp_count(sizes: list[int], batch_norm: bool = False) -> int:
    """Parameters of layers of the given sizes (inputs first): Σ (nᵢ + 1)·nᵢ₊₁.

    With batch norm, each hidden unit adds γ, β and two running statistics.
    """
    norms = 4 * sum(sizes[1:-1]) if batch_norm else 0
    return sum((a + 1) * b for a, b in pairwise(sizes)) + norms
