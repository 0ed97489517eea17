"""micrograd's ``nn``: ``Module``, ``Neuron``, ``Layer``, ``MLP``, with its defaults.

A neuron computes ``relu(b + Σ wᵢ·xᵢ)`` (or no relu with ``nonlin=False``); its
weights are drawn with Python's ``random.uniform(-1, 1)``, one neuron after another,
and its bias starts at 0, so ``random.seed(1337)`` gives micrograd's weights exactly.
An ``MLP`` has ReLU hidden layers and a linear output layer; a layer of one neuron
returns a Value, a wider one a list.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .. import engine
from .engine import Value

__all__ = ["MLP", "Layer", "Module", "Neuron"]

Inputs = Sequence[float | engine.Value]


class Module:
    """What every part has: its parameters, and a way to zero their gradients."""

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to 0."""
        for p in self.parameters():
            p.grad = 0.0

    def parameters(self) -> list[Value]:
        """The trainable Values, in a fixed order (weights, then bias, per neuron)."""
        return []


class Neuron(Module):
    """``relu(b + w·x)`` over ``nin`` inputs; ``nonlin=False`` leaves out the relu."""

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0)
        self.nonlin = nonlin
        for p in self.parameters():
            p.is_param = True  # drawings colour them as parameters

    def __call__(self, x: Inputs) -> Value:
        # one Σ node over b, w₀x₀, w₁x₁, …: the same sum, in the same order, as
        # b + w₀x₀ + w₁x₁ + … (zip stops at the shorter list, as micrograd's does)
        act = engine.sum([self.b, *(w * xi for w, xi in zip(self.w, x))])
        act.__class__ = Value  # the face, as for every result of a face Value
        return act.relu() if self.nonlin else act  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; ``kwargs`` go to each :class:`Neuron`."""

    def __init__(self, nin: int, nout: int, **kwargs: bool) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` after ``nin`` inputs: ReLU hidden layers, linear output."""

    def __init__(self, nin: int, nouts: Sequence[int]) -> None:
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i != last) for i in range(len(nouts))]

    def __call__(self, x: Inputs) -> Value | list[Value]:
        out: Value | list[Value] | Inputs = x
        for layer in self.layers:
            out = layer([out] if isinstance(out, Value) else out)
        return out  # type: ignore[return-value]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
