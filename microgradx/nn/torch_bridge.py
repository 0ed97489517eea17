"""Moving models between microgradx and PyTorch, weight for weight.

An `microgradx.nn.MLP` is a stack of fully connected layers, so PyTorch
writes the same network as a ``torch.nn.Sequential`` of ``Linear`` layers and
activation modules. Neuron ``j`` of a layer holds row ``j`` of the layer's weight
matrix ``W`` (shape ``(nout, nin)``) and entry ``j`` of its bias ``b``, exactly the
layout of ``torch.nn.Linear.weight`` and ``.bias``, so a layer computes
``f(W·x + b)`` in both. The PyTorch copy uses float64, the precision of a
microgradx ``Value``, so both give the same numbers to rounding.

PyTorch is imported only here and only when called; without it the functions raise
``ImportError`` saying ``pip install "microgradx[torch]"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._torch import require_torch
from ..compare import torch_functions
from ..ops import OPS
from .module import LEAKY_SLOPE, MLP, BatchNorm, Layer, Module, Neuron

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["SUPPORTED_LAYERS", "from_torch", "to_torch"]

#: The ``torch.nn`` layer types `from_torch` reads.
SUPPORTED_LAYERS = ("Linear", "ReLU", "Tanh", "Sigmoid", "LeakyReLU", "Identity", "Dropout")

_TORCH_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "Identity": "linear"}


def _activation_module(torch_nn: Any, activation: str) -> Any | None:
    """The ``torch.nn`` module for a microgradx activation name (``None``: linear)."""
    if activation == "linear":
        return None
    if activation == "leaky_relu":
        return torch_nn.LeakyReLU(LEAKY_SLOPE)
    layers = {"relu": torch_nn.ReLU, "tanh": torch_nn.Tanh, "sigmoid": torch_nn.Sigmoid}
    if activation in layers:
        return layers[activation]()
    # another activation from the op table: its PyTorch function (Op.torch) in a module
    found = torch_functions(require_torch("to_torch()")).get(activation)
    if found is None:
        raise ValueError(
            f"no PyTorch form for the activation {activation!r}: register its op with "
            "torch='<function under torch>'"
        )
    arg, function = OPS[activation].arg_default, found

    class OpActivation(torch_nn.Module):
        def forward(self, x: Any) -> Any:
            return function(x) if arg is None else function(x, arg)

        def extra_repr(self) -> str:
            return activation

    return OpActivation()


def _linear(torch: Any, weight: np.ndarray, bias: np.ndarray) -> Any:
    nout, nin = weight.shape
    linear = torch.nn.Linear(nin, nout, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(np.array(weight, dtype=np.float64)))
        linear.bias.copy_(torch.from_numpy(np.array(bias, dtype=np.float64)))
    return linear


def to_torch(model: Module) -> torch.nn.Sequential:
    """A ``torch.nn.Sequential`` (float64) computing what ``model`` computes.

    Each layer becomes ``Linear(nin, nout)`` with the same weights and biases,
    followed by its activation (``ReLU``, ``Tanh``, ``Sigmoid``,
    ``LeakyReLU(0.01)``; none for a linear layer). An MLP with dropout gets
    ``Dropout(p)`` after each hidden layer, as microgradx applies it, and a layer
    with batch norm a ``BatchNorm1d`` (same γ, β, running statistics) after its
    ``Linear``. The copy is
    independent (changing one model leaves the other alone) and is in the same
    training or evaluation mode as ``model``.

    Examples:
        >>> from microgradx.nn import MLP
        >>> MLP(2, [3, 1], activation="tanh", seed=0).to_torch()  # doctest: +SKIP
        Sequential(
          (0): Linear(in_features=2, out_features=3, bias=True)
          (1): Tanh()
          (2): Linear(in_features=3, out_features=1, bias=True)
        )
    """
    torch = require_torch("to_torch()")
    layers: list[Any] = []
    if isinstance(model, MLP):
        last = len(model.layers) - 1
        for i, layer in enumerate(model.layers):
            layers.append(_linear(torch, layer.weight, layer.bias))
            if layer.norm is not None:
                layers.append(_batch_norm(torch, layer.norm))
            act = _activation_module(torch.nn, layer.activation)
            if act is not None:
                layers.append(act)
            if model.dropout and i < last:
                layers.append(torch.nn.Dropout(model.dropout))
    elif isinstance(model, Layer):
        layers.append(_linear(torch, model.weight, model.bias))
        if model.norm is not None:
            layers.append(_batch_norm(torch, model.norm))
        act = _activation_module(torch.nn, model.activation)
        if act is not None:
            layers.append(act)
    elif isinstance(model, Neuron):
        weight = np.array([[w.data for w in model.w]])
        layers.append(_linear(torch, weight, np.array([model.b.data])))
        act = _activation_module(torch.nn, model.activation)
        if act is not None:
            layers.append(act)
    else:
        raise TypeError(f"to_torch() converts an MLP, Layer or Neuron, not {type(model).__name__}")
    sequential = torch.nn.Sequential(*layers)
    sequential.train(model.training)
    return sequential


def _batch_norm(torch: Any, norm: BatchNorm) -> Any:
    """``torch.nn.BatchNorm1d`` (float64) with the same γ, β, running statistics, ε, momentum."""
    bn = torch.nn.BatchNorm1d(norm.nin, eps=norm.eps, momentum=norm.momentum, dtype=torch.float64)
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([g.data for g in norm.gamma], dtype=torch.float64))
        bn.bias.copy_(torch.tensor([b.data for b in norm.beta], dtype=torch.float64))
        bn.running_mean.copy_(torch.from_numpy(np.array(norm.running_mean, dtype=np.float64)))
        bn.running_var.copy_(torch.from_numpy(np.array(norm.running_var, dtype=np.float64)))
    return bn


def _flatten(torch: Any, module: Any) -> list[Any]:
    """The layers of ``module`` in order, with nested ``Sequential`` containers opened."""
    if isinstance(module, torch.nn.Sequential):
        return [leaf for child in module for leaf in _flatten(torch, child)]
    if isinstance(module, torch.nn.Module):
        return [module]
    raise TypeError(f"from_torch() needs a torch.nn.Module, not {type(module).__name__}")


def _unsupported(position: int, layer: Any) -> ValueError:
    supported = ", ".join(SUPPORTED_LAYERS)
    return ValueError(
        f"layer {position} ({layer!r}) has no microgradx equivalent; "
        f"an MLP is built from these torch.nn layers: {supported}"
    )


def from_torch(module: Any) -> MLP:
    """An `MLP` with the architecture and weights of a PyTorch network.

    ``module`` is a ``torch.nn.Sequential`` (nested ones are opened) or a single
    ``Linear``: ``Linear`` layers, each followed by at most one activation
    (``ReLU``, ``Tanh``, ``Sigmoid``, ``LeakyReLU`` with slope 0.01, ``Identity``)
    and optionally ``Dropout``. Every hidden layer must use the same activation and
    the same dropout probability, as in an MLP; the last layer's activation becomes
    ``output_activation``. Weights are copied as float64 numbers.

    Raises:
        ValueError: for a layer type microgradx has no equivalent of (naming it and
            its position), a ``Linear`` without bias, mismatched sizes, or hidden
            layers that differ in activation or dropout.
    """
    torch = require_torch("from_torch()")
    flat = _flatten(torch, module)
    linears: list[Any] = []
    activations: list[str] = []
    dropouts: list[float] = []
    for position, layer in enumerate(flat):
        kind = type(layer).__name__
        if isinstance(layer, torch.nn.Linear):
            if layer.bias is None:
                raise ValueError(
                    f"layer {position} ({layer!r}) has no bias; every microgradx neuron has one"
                )
            if linears and layer.in_features != linears[-1].out_features:
                raise ValueError(
                    f"layer {position} ({layer!r}) reads {layer.in_features} inputs but "
                    f"the layer before gives {linears[-1].out_features}"
                )
            linears.append(layer)
            activations.append("")
            dropouts.append(0.0)
            continue
        if not linears:
            raise ValueError(
                f"layer {position} ({layer!r}) comes before any Linear layer; "
                "an MLP starts with Linear"
            )
        if isinstance(layer, torch.nn.Dropout):
            if dropouts[-1]:
                raise ValueError(f"layer {position}: two Dropout layers after one Linear")
            dropouts[-1] = float(layer.p)
            continue
        if isinstance(layer, torch.nn.LeakyReLU):
            if layer.negative_slope != LEAKY_SLOPE:
                raise ValueError(
                    f"layer {position} ({layer!r}): microgradx's leaky_relu has slope "
                    f"{LEAKY_SLOPE}, not {layer.negative_slope}"
                )
            name = "leaky_relu"
        elif kind in _TORCH_ACTIVATIONS and type(layer) is getattr(torch.nn, kind):
            name = _TORCH_ACTIVATIONS[kind]
        else:
            raise _unsupported(position, layer)
        if activations[-1]:
            raise ValueError(
                f"layer {position} ({layer!r}): two activations after one Linear layer"
            )
        if dropouts[-1]:
            raise ValueError(f"layer {position} ({layer!r}): an activation after Dropout")
        activations[-1] = name
    if not linears:
        raise ValueError("from_torch() found no Linear layer in the module")
    activations = [a or "linear" for a in activations]
    hidden, output = activations[:-1], activations[-1]
    if len(set(hidden)) > 1:
        raise ValueError(
            f"hidden layers use different activations {hidden}; an MLP uses one for all"
        )
    if dropouts[-1]:
        raise ValueError("Dropout after the output layer has no microgradx equivalent")
    if len(set(dropouts[:-1])) > 1:
        raise ValueError(
            f"hidden layers use different dropout probabilities {dropouts[:-1]}; "
            "an MLP uses one for all"
        )
    model = MLP(
        linears[0].in_features,
        [linear.out_features for linear in linears],
        activation=hidden[0] if hidden else "relu",
        output_activation=output,
        init="zeros",
        dropout=dropouts[0] if len(dropouts) > 1 else 0.0,
    )
    for layer, linear in zip(model.layers, linears):
        weight = linear.weight.detach().to(torch.float64).cpu().numpy()
        bias = linear.bias.detach().to(torch.float64).cpu().numpy()
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.data = float(weight[j, i])
            neuron.b.data = float(bias[j])
    if isinstance(module, torch.nn.Module):
        model.train(module.training)
    return model
