"""What every model shares: the ``Module`` base class, activations by name, checks.

``Module`` gives a model its parameters, modes, files (JSON, through
:mod:`microgradx.nn.serialize`), batch evaluation and conveniences (``draw``,
``to_torch``); :mod:`microgradx.nn.layers` and :mod:`microgradx.nn.module` build the
neurons, layers and MLPs on it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import positive_int
from ..engine import Value
from ..ops import OPS, Op
from . import serialize
from .init import Initializer
from .serialize import FORMAT as FORMAT  # re-exported: the file format's home is serialize
from .serialize import FORMAT_VERSION as FORMAT_VERSION
from .serialize import MAX_PARAMETERS as MAX_PARAMETERS
from .serialize import MODEL_CLASSES as MODEL_CLASSES

__all__ = ["ACTIVATIONS", "LEAKY_SLOPE", "Module"]

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
            sizes += [positive_int(f"nouts[{i}]", n) for i, n in enumerate(value)]
        else:
            sizes.append(positive_int(name, value))
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


def _one_sample_check(model: Module) -> None:
    if model.couples_samples:
        raise ValueError(
            f"this {type(model).__name__} has batch normalisation: in training mode a batch "
            "passes through together, model.forward_rows(rows) (as fit does); call "
            "model.eval() to run one sample with the running statistics"
        )


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
        time, and ``fit(backend="tape")`` trains it on the scalar backend.
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
