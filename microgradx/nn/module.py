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

from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from .._gc import paused
from ..engine import Value, scope
from ..engine import sum as value_sum
from ..ops import OPS
from . import serialize
from .init import Initializer, Seed, get_initializer, make_rng
from .serialize import FORMAT as FORMAT  # re-exported: the file format's home is serialize
from .serialize import FORMAT_VERSION as FORMAT_VERSION
from .serialize import MAX_PARAMETERS as MAX_PARAMETERS
from .serialize import MODEL_CLASSES as MODEL_CLASSES

__all__ = ["ACTIVATIONS", "MLP", "Layer", "Module", "Neuron"]

LEAKY_SLOPE = 0.01

#: Activation name -> the Value method applying it (``None``: linear, no activation).
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "leaky_relu": lambda z: z.leaky_relu(LEAKY_SLOPE),
    "linear": None,
}


def _check_activation(activation: str | None, what: str = "activation") -> str:
    if activation is None:
        return "linear"
    if activation not in ACTIVATIONS:
        names = ", ".join(ACTIVATIONS)
        raise ValueError(f"unknown {what} {activation!r}; choose one of: {names}")
    return activation


def _np_activation(activation: str, z: np.ndarray) -> np.ndarray:
    """The activation on a numpy array, using the op table's numpy forms."""
    if activation == "linear":
        return z
    if activation == "leaky_relu":
        return OPS["leaky_relu"].np_f(z, LEAKY_SLOPE)
    return OPS[activation].np_f(z)


def _check_size(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return int(n)


def _sizes(config: Mapping[str, Any], *names: str) -> list[int]:
    """The positive int sizes ``config[name]`` for each name (``nouts``: a list of them)."""
    sizes = []
    for name in names:
        if name not in config:
            raise ValueError(f"the config has no {name!r}")
        value = config[name]
        if name == "nouts":
            if not isinstance(value, list) or not value:
                raise ValueError(f"nouts must be a non-empty list of sizes, got {value!r:.40}")
            sizes += [_check_size(f"nouts[{i}]", n) for i, n in enumerate(value)]
        else:
            sizes.append(_check_size(name, value))
    return sizes


def _init_name(init: str | Initializer) -> str | None:
    return init if isinstance(init, str) else None


def _param(x: float, label: str) -> Value:
    v = Value(float(x), label)
    v.is_param = True
    return v


def _unwrap(outputs: list[Value]) -> Value | list[Value]:
    """One output as that Value (``loss = (model(x) - y)**2`` works), several as a list."""
    return outputs[0] if len(outputs) == 1 else outputs


class Module:
    """Base class: parameters, gradients, train/eval mode, saving and loading.

    Subclasses implement ``named_parameters``, ``config`` (the constructor arguments,
    for saving), ``__call__`` and ``forward_batch``.
    """

    training: bool = True
    nin: int
    nout: int

    # --- parameters -------------------------------------------------------------------

    def named_parameters(self) -> list[tuple[str, Value]]:
        """Every parameter with a dotted name such as ``"layer0.neuron3.w1"``."""
        raise NotImplementedError

    def parameters(self) -> list[Value]:
        """Every trainable Value (weights and biases), in a fixed order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's gradient to 0 (``backward`` accumulates into them)."""
        for p in self.parameters():
            p.grad = 0.0

    def children(self) -> list[Module]:
        """The modules directly inside this one."""
        return []

    # --- modes --------------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Training mode (dropout active) for this module and those inside; returns self."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode (no dropout); returns self."""
        return self.train(False)

    # --- evaluation ---------------------------------------------------------------------

    def __call__(self, x: Sequence[float | Value]):
        raise NotImplementedError

    def draw(self, x=None, y=None, **options):
        """The network figure; see :func:`microgradx.viz.network.draw_network`."""
        from ..viz.network import draw_network  # drawing sits above nn; imported on use

        return draw_network(self, x, y, **options)

    def forward_batch(self, X: np.ndarray) -> np.ndarray:
        """Outputs for every row of ``X`` (shape ``(n, nin)``) as an ``(n, nout)`` array.

        Plain numpy, no graph and no dropout: for predictions and plots, where
        building thousands of Values would only cost time.
        """
        raise NotImplementedError

    def _check_batch(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim == 1 and self.nin == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.nin:
            raise ValueError(f"expected inputs of shape (n, {self.nin}), got {X.shape}")
        return X

    def _check_input(self, x: object) -> list[Any]:
        row: list[Any]
        if isinstance(x, np.ndarray):
            if x.ndim != 1:
                raise ValueError(f"expected one input row of {self.nin} numbers, got {x.shape}")
            row = x.tolist()
        elif isinstance(x, (Value, Real)):
            row = [x]
        else:
            row = list(x)  # type: ignore[call-overload]
        if len(row) != self.nin:
            raise ValueError(f"{type(self).__name__} expects {self.nin} inputs, got {len(row)}")
        return row

    # --- saving and loading (see :mod:`microgradx.nn.serialize`) ---------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture."""
        raise NotImplementedError

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int | None:
        """How many parameters the module :meth:`from_config` would build has.

        Computed from the config's sizes alone, before anything is allocated, so a
        file can be checked first; ``None`` when the class cannot tell.
        """
        return None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Module:
        """A new module built from :meth:`config` output.

        The weights are initialised afresh, or to zero when the config names no
        initialiser (a function initialiser is saved as ``None``).
        """
        return cls(**serialize.config_kwargs(cls, config))

    def state_dict(self) -> dict[str, float]:
        """Every parameter's value by name, e.g. ``{"layer0.neuron0.w0": 0.31, ...}``."""
        return serialize.state_dict(self)

    def load_state_dict(self, state: Mapping[str, object]) -> None:
        """Set parameters from ``state`` (as made by :meth:`state_dict`).

        Everything is checked first (same names, finite real numbers); on any problem
        a ``ValueError`` says what, and no parameter has changed.
        """
        serialize.load_state_dict(self, state)

    def to_json(self) -> dict[str, Any]:
        """The JSON document :meth:`save` writes: format, class, config and state."""
        return serialize.to_json(self)

    def save(self, path: str | Path) -> Path:
        """Write the architecture and weights to ``path`` as JSON; returns the path."""
        return serialize.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> Module:
        """A new model with the architecture and weights saved in ``path``.

        ``MLP.load`` insists on an MLP file; ``Module.load`` accepts any saved module.
        """
        return serialize.from_json(cls, serialize.read_json(path), source=str(path))

    @classmethod
    def from_json(cls, doc: object, source: str = "document") -> Module:
        """Build a model from the document :meth:`to_json` makes (checked throughout)."""
        return serialize.from_json(cls, doc, source)

    # --- PyTorch ------------------------------------------------------------------------

    def to_torch(self) -> Any:
        """The same network as a float64 ``torch.nn.Sequential`` with the same weights.

        See :func:`microgradx.nn.torch_bridge.to_torch`; needs
        ``pip install "microgradx[torch]"``.
        """
        from .torch_bridge import to_torch

        return to_torch(self)

    def load_weights(self, path: str | Path) -> None:
        """Load weights saved by :meth:`save` into this model (same architecture).

        Raises ``ValueError`` (and changes nothing) if the file is malformed or was
        saved from a different architecture.
        """
        serialize.load_weights(self, path)


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
        self.nin = _check_size("nin", nin)
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

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]

    def _forward(self, x: Sequence[float | Value]) -> Value:
        with scope(self.name):
            # One Σ node over the products wᵢ·xᵢ (weight first) and the bias last.
            z = value_sum([w * xi for w, xi in zip(self.w, x)] + [self.b])
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
    ) -> None:
        self.nin = _check_size("nin", nin)
        self.nout = _check_size("nout", nout)
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

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        """``nout`` neurons of ``nin`` weights and a bias."""
        nin, nout = _sizes(config, "nin", "nout")
        return (nin + 1) * nout

    def children(self) -> list[Module]:
        return list(self.neurons)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"{n.name}.{pname}", p) for n in self.neurons for pname, p in n.named_parameters()
        ]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def _forward(self, x: Sequence[float | Value]) -> list[Value]:
        with scope(self.name):
            return [n._forward(x) for n in self.neurons]

    @paused  # builds the graph of a forward pass: no cycles, no collector (see _gc.py)
    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The layer's outputs: one Value when ``nout == 1``, else a list of ``nout``."""
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
        return _np_activation(self.activation, X @ self.weight.T + self.bias)

    def config(self) -> dict[str, Any]:
        return {
            "nin": self.nin,
            "nout": self.nout,
            "activation": self.activation,
            "init": _init_name(self.init),
            "name": self.name,
        }

    def __repr__(self) -> str:
        n = self.nin * self.nout + self.nout
        return f"Layer({self.nin} → {self.nout}, {self.activation}, {n} parameters)"


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
    ) -> None:
        self.nin = _check_size("nin", nin)
        if isinstance(nouts, (int, np.integer)):
            nouts = [int(nouts)]
        nouts = list(nouts)
        if not nouts:
            raise ValueError("nouts must list at least one layer size, e.g. [16, 1]")
        self.nouts = [_check_size(f"nouts[{i}]", n) for i, n in enumerate(nouts)]
        count = _mlp_count([self.nin, *self.nouts])
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
            )
            for i in range(len(self.nouts))
        ]

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        """Σ over layers of (inputs + 1)·outputs: a weight per input and a bias per neuron."""
        return _mlp_count(_sizes(config, "nin", "nouts"))

    def children(self) -> list[Module]:
        return list(self.layers)

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [
            (f"{layer.name}.{pname}", p)
            for layer in self.layers
            for pname, p in layer.named_parameters()
        ]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    @paused  # builds the graph of a forward pass: no cycles, no collector (see _gc.py)
    def __call__(self, x: Sequence[float | Value]) -> Value | list[Value]:
        """The network's outputs: one Value when the last layer has one neuron, else a list."""
        row: Sequence[float | Value] = self._check_input(x)
        p = self.dropout if self.training else 0.0
        last = len(self.layers) - 1
        out: list[Value] = []
        for i, layer in enumerate(self.layers):
            out = layer._forward(row)
            if p and i < last:
                keep = self._rng.random(len(out)) >= p
                scale = 1.0 / (1.0 - p)
                out = [h * (scale if k else 0.0) for h, k in zip(out, keep)]
            row = out
        return _unwrap(out)

    def forward_batch(self, X: np.ndarray) -> np.ndarray:
        A = self._check_batch(X)
        for layer in self.layers:
            A = _np_activation(layer.activation, A @ layer.weight.T + layer.bias)
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
        }

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """An MLP with the architecture and weights of a ``torch.nn.Sequential``.

        See :func:`microgradx.nn.torch_bridge.from_torch` for the layers it reads;
        needs ``pip install "microgradx[torch]"``.
        """
        from .torch_bridge import from_torch

        return from_torch(module)

    def __repr__(self) -> str:
        head = f"MLP({self.nin} → {' → '.join(map(str, self.nouts))}"
        head += f", {len(self.parameters())} parameters"
        if self.dropout:
            head += f", dropout {self.dropout:g}"
        lines = [head]
        lines += [f"  ({layer.name}): {layer!r}" for layer in self.layers]
        return "\n".join(lines) + "\n)"


def _mlp_count(sizes: list[int]) -> int:
    """Parameters of layers of the given sizes (inputs first): Σ (nᵢ + 1)·nᵢ₊₁."""
    return sum((a + 1) * b for a, b in pairwise(sizes))
