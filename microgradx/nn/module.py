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

from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import pairwise
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from .._gc import paused
from ..engine import Value, scope
from ..engine import sum as value_sum
from ..ops import OPS, Op
from . import serialize
from .init import Initializer, Seed, get_initializer, make_rng
from .serialize import FORMAT as FORMAT  # re-exported: the file format's home is serialize
from .serialize import FORMAT_VERSION as FORMAT_VERSION
from .serialize import MAX_PARAMETERS as MAX_PARAMETERS
from .serialize import MODEL_CLASSES as MODEL_CLASSES

__all__ = ["ACTIVATIONS", "MLP", "BatchNorm", "Layer", "Module", "Neuron"]

LEAKY_SLOPE = OPS["leaky_relu"].arg_default  # leaky_relu's slope in a network: 0.01


class _Activations(Mapping[str, "Callable[[Value], Value] | None"]):
    """Activation name -> the function applying it to a Value (``None``: linear).

    Read from the op table: every row with ``activation=True`` (relu, tanh, sigmoid,
    leaky_relu with slope 0.01, and any op registered at run time as an activation),
    plus ``"linear"``. A live view: it follows :func:`microgradx.ops.register`.
    """

    def __init__(self) -> None:
        self._made: dict[Op, Callable[[Value], Value]] = {}  # one function per row

    def __getitem__(self, name: str) -> Callable[[Value], Value] | None:
        if name == "linear":
            return None
        op = OPS.get(name)
        if op is None or not op.activation:
            raise KeyError(name)
        if op not in self._made:  # the same function every time (neurons compare them)
            self._made[op] = lambda z: Value.apply(op, z, arg=op.arg_default)
        return self._made[op]

    def __iter__(self) -> Iterator[str]:
        return iter([*(name for name, op in OPS.items() if op.activation), "linear"])

    def __len__(self) -> int:
        return sum(1 for _ in self)


ACTIVATIONS = _Activations()


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
    op = OPS[activation]
    return op.np_f(z) if op.arg_default is None else op.np_f(z, op.arg_default)


def _bridge() -> Any:
    """The PyTorch bridge, which builds on this module: the one place it is reached from
    here (``to_torch``, ``from_torch``), imported on first use."""
    from . import torch_bridge

    return torch_bridge


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

    def named_buffers(self) -> list[tuple[str, float]]:
        """Numbers that are state but not trained (batch norm's running statistics)."""
        return []

    def load_buffers(self, values: Mapping[str, float]) -> None:
        """Set the numbers :meth:`named_buffers` names (``values`` holds every one)."""

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

    @property
    def couples_samples(self) -> bool:
        """Whether a forward pass needs the whole batch at once (batch norm in training).

        Such a model is run on a batch by :meth:`forward_rows`, never one sample at a
        time, and ``fit(engine="tape")`` trains it on the scalar engine.
        """
        return any(child.couples_samples for child in self.children())

    def forward_rows(self, rows: Sequence[Sequence[float | Value]]) -> list:
        """The model's output (as ``model(x)`` gives it) for each row of a batch.

        Samples pass independently unless the model :attr:`couples_samples`; then the
        batch goes through together (e.g. batch normalisation over its rows).
        """
        return [self(x) for x in rows]

    def draw(self, x=None, y=None, **options):
        """The network figure; see :func:`microgradx.viz.network.draw_network`."""
        from ..viz.network import draw_network  # the drawing package, imported on first use

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
        to_torch = _bridge().to_torch

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
class BatchNorm(Module):
    """Batch normalisation of ``num_features`` features over the samples of a batch.

    In training mode, for a batch of m rows and each feature j:

        μⱼ = (1/m)·Σₖ xₖⱼ                σⱼ² = (1/m)·Σₖ (xₖⱼ − μⱼ)²
        x̂ₖⱼ = (xₖⱼ − μⱼ)·(σⱼ² + ε)^(−½)   yₖⱼ = γⱼ·x̂ₖⱼ + βⱼ

    all built from Values, so the gradient also flows through μ and σ²: every output
    of a feature depends on every sample's input in that feature. Each training pass
    also moves the running statistics, as ``torch.nn.BatchNorm1d`` does:

        r_μ ← (1 − momentum)·r_μ + momentum·μ
        r_σ² ← (1 − momentum)·r_σ² + momentum·σ²·m/(m − 1)   (the unbiased variance)

    In evaluation mode a sample is normalised alone with them:
    yⱼ = γⱼ·(xⱼ − r_μⱼ)/√(r_σ²ⱼ + ε) + βⱼ.

    A batch goes through :meth:`forward_rows` (rows of numbers or Values, returns
    rows of Values); calling the module on one sample works in evaluation mode only.
    γ starts at 1 and β at 0 (learnable parameters ``gamma{j}``, ``beta{j}``); the
    running statistics start at 0 and 1 and are saved with the model.
    """

    def __init__(
        self,
        num_features: int,
        momentum: float = 0.1,
        eps: float = 1e-5,
        *,
        name: str = "bn",
    ) -> None:
        self.nin = self.nout = self.num_features = _check_size("num_features", num_features)
        serialize.check_parameter_count(f"BatchNorm({self.nin})", 2 * self.nin)
        for what, x in (("momentum", momentum), ("eps", eps)):
            if isinstance(x, bool) or not isinstance(x, Real) or not 0 <= float(x) <= 1:
                raise ValueError(f"{what} must be a number in [0, 1], got {x!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0 (it keeps 1/√(σ² + ε) finite), got {eps!r}")
        self.momentum, self.eps, self.name = float(momentum), float(eps), name
        with scope(name):
            self.gamma = [_param(1.0, f"γ{j}") for j in range(self.nin)]
            self.beta = [_param(0.0, f"β{j}") for j in range(self.nin)]
        self.running_mean = np.zeros(self.nin)
        self.running_var = np.ones(self.nin)

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        """γ and β per feature, and the two running statistics (saved in the state)."""
        [n] = _sizes(config, "num_features")
        return 4 * n

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"gamma{j}", g) for j, g in enumerate(self.gamma)] + [
            (f"beta{j}", b) for j, b in enumerate(self.beta)
        ]

    def named_buffers(self) -> list[tuple[str, float]]:
        return [(f"running_mean{j}", float(x)) for j, x in enumerate(self.running_mean)] + [
            (f"running_var{j}", float(x)) for j, x in enumerate(self.running_var)
        ]

    def load_buffers(self, values: Mapping[str, float]) -> None:
        for j in range(self.nin):
            self.running_mean[j] = values[f"running_mean{j}"]
            self.running_var[j] = values[f"running_var{j}"]

    @property
    def couples_samples(self) -> bool:
        return self.training

    def _check_rows(self, rows: Sequence[Sequence[float | Value]]) -> list[list[Any]]:
        checked = [self._check_input(r) for r in rows]
        if not checked:
            raise ValueError("BatchNorm needs a batch with at least one row")
        return checked

    @paused  # builds the graph of a forward pass: no cycles, no collector (see _gc.py)
    def forward_rows(self, rows: Sequence[Sequence[float | Value]]) -> list[list[Value]]:
        """``y = γ·x̂ + β`` for every row of the batch (training: batch statistics)."""
        checked = self._check_rows(rows)
        if not self.training:
            return [self._eval_row(r) for r in checked]
        m = len(checked)
        if m < 2:
            raise ValueError(
                "BatchNorm in training mode needs at least 2 samples per batch (the "
                "variance of one sample is 0); use a batch_size that leaves no batch of "
                "1, or model.eval() for single samples"
            )
        out: list[list[Value]] = [[] for _ in range(m)]
        means, variances = [], []
        with scope(self.name):
            for j in range(self.nin):
                col = [r[j] if isinstance(r[j], Value) else Value(float(r[j])) for r in checked]
                mu = value_sum(col) * (1.0 / m)
                diffs = [x - mu for x in col]
                var = value_sum([d**2 for d in diffs]) * (1.0 / m)
                inv_std = (var + self.eps) ** -0.5
                for k, d in enumerate(diffs):
                    out[k].append(self.gamma[j] * (d * inv_std) + self.beta[j])
                means.append(mu.data)
                variances.append(var.data)
        mom = self.momentum
        self.running_mean = (1 - mom) * self.running_mean + mom * np.array(means)
        unbiased = np.array(variances) * (m / (m - 1))
        self.running_var = (1 - mom) * self.running_var + mom * unbiased
        return out

    def _eval_row(self, row: Sequence[float | Value]) -> list[Value]:
        scale = 1.0 / np.sqrt(self.running_var + self.eps)
        with scope(self.name):
            return [
                self.gamma[j] * ((x - float(self.running_mean[j])) * float(scale[j]))
                + self.beta[j]
                for j, x in enumerate(row)
            ]

    @paused
    def __call__(self, x: Sequence[float | Value]) -> list[Value]:
        """One sample, normalised with the running statistics (evaluation mode only)."""
        if self.training:
            raise ValueError(
                "BatchNorm in training mode normalises over a batch: call "
                "forward_rows(rows) with the whole batch, or eval() first for one sample"
            )
        return self._eval_row(self._check_input(x))

    def forward_batch(self, X: np.ndarray) -> np.ndarray:
        """numpy, no graph: batch statistics in training mode (the running ones are not
        moved), running statistics in evaluation mode."""
        X = self._check_batch(X)
        if self.training:
            mean, var = X.mean(axis=0), X.var(axis=0)
        else:
            mean, var = self.running_mean, self.running_var
        gamma = np.array([g.data for g in self.gamma])
        beta = np.array([b.data for b in self.beta])
        return gamma * (X - mean) / np.sqrt(var + self.eps) + beta

    def config(self) -> dict[str, Any]:
        return {
            "num_features": self.nin,
            "momentum": self.momentum,
            "eps": self.eps,
            "name": self.name,
        }

    def __repr__(self) -> str:
        return f"BatchNorm({self.nin}, momentum={self.momentum:g}, eps={self.eps:g})"


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
        params = [p for n in self.neurons for p in n.parameters()]
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
        self.nin = _check_size("nin", nin)
        if isinstance(nouts, (int, np.integer)):
            nouts = [int(nouts)]
        nouts = list(nouts)
        if not nouts:
            raise ValueError("nouts must list at least one layer size, e.g. [16, 1]")
        self.nouts = [_check_size(f"nouts[{i}]", n) for i, n in enumerate(nouts)]
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
        return [p for layer in self.layers for p in layer.parameters()]

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


def _one_sample_check(model: Module) -> None:
    if model.couples_samples:
        raise ValueError(
            f"this {type(model).__name__} has batch normalisation: in training mode a batch "
            "passes through together, model.forward_rows(rows) (as fit does); call "
            "model.eval() to run one sample with the running statistics"
        )
