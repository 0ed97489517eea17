"""Neural networks on scalar Values: modules, initialisers, losses, optimizers, data, training.

>>> from microgradx.nn import MLP, fit, make_moons
>>> X, y = make_moons(100, noise=0.1, seed=0)
>>> model = MLP(2, [16, 16, 1], seed=0)
>>> history = fit(model, X, y, loss="hinge", l2=1e-4, epochs=5, progress=False)
>>> len(history)
5
"""

from .._compat import renamed_names
from . import init
from .backends import BACKENDS, scalar_loss_and_grads, tape_loss_and_grads
from .data import (
    DATASETS,
    augment,
    batches,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
)
from .history import History
from .losses import (
    LOSSES,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    l2,
    log_softmax,
    mean,
    mse,
    softmax,
)
from .module import ACTIVATIONS, MLP, BatchNorm, Layer, Module, Neuron
from .optim import OPTIMIZERS, SGD, AdaGrad, Adam, AdamW, Optimizer, RMSProp
from .schedules import ExponentialLR, LinearLR, LRScheduler, StepLR
from .task import Task, make_task
from .train import EarlyStopping, accuracy, fit, layer_grad_norms, predict

__all__ = [
    "ACTIVATIONS",
    "BACKENDS",
    "DATASETS",
    "LOSSES",
    "MLP",
    "OPTIMIZERS",
    "SGD",
    "AdaGrad",
    "Adam",
    "AdamW",
    "BatchNorm",
    "EarlyStopping",
    "ExponentialLR",
    "History",
    "LRScheduler",
    "Layer",
    "LinearLR",
    "Module",
    "Neuron",
    "Optimizer",
    "RMSProp",
    "StepLR",
    "Task",
    "accuracy",
    "augment",
    "batches",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "fit",
    "hinge",
    "init",
    "l2",
    "layer_grad_norms",
    "log_softmax",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_task",
    "make_xor",
    "mean",
    "mse",
    "predict",
    "scalar_loss_and_grads",
    "softmax",
    "tape_loss_and_grads",
]


_renamed = renamed_names(__name__, {"ENGINES": ("BACKENDS", BACKENDS)})


def __getattr__(name: str) -> object:
    """The training back-ends' old names, with a ``DeprecationWarning``: ``nn.ENGINES`` is
    ``nn.BACKENDS``; ``nn.engines`` is the module ``nn.backends`` (under its old name)."""
    if name == "engines":
        import importlib

        return importlib.import_module(".engines", __name__)  # it warns as it loads
    return _renamed(name)
