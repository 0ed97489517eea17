"""A ``fit`` call, set up once and run epoch by epoch.

:func:`_set_up` checks the data and decides the task, the optimizer and the backend;
:class:`_Run` then runs one epoch at a time (the batches, each a loss, its gradients
and an optimizer step) and says after each whether training stops.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._checks import is_positive_int
from .._compat import outside_stacklevel
from ..engine import Value, no_grad
from .backends import BACKENDS, check_backend
from .callbacks import EarlyStopping
from .data import batches
from .history import History, check_epochs
from .init import Seed, make_rng
from .losses import LOSSES
from .module import Layer, Module
from .optim import OPTIMIZERS, Optimizer
from .schedules import LRScheduler
from .tape_training import TapeTraining, structure_tape
from .task import LossFn, Task, make_task, predict

__all__ = ["layer_grad_norms", "tape_applies"]

BATCH_NORM_ON_SCALAR = (
    "fit(backend='tape'): this model has batch normalisation, which mixes the samples "
    "of a batch, and the tape replays one sample's graph: training on the scalar "
    "backend instead (history.info['backend'] says 'scalar')"
)


def _check_data(model: Module, X: object, y: object, what: str = "X") -> tuple[np.ndarray, ...]:
    try:
        Xa = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an array of numbers") from None
    if Xa.ndim == 1 and model.nin == 1:
        Xa = Xa[:, None]
    if Xa.ndim != 2 or Xa.shape[1] != model.nin:
        raise ValueError(
            f"{what} has shape {Xa.shape}, but the model takes {model.nin} inputs: "
            f"expected (n, {model.nin})"
        )
    if len(Xa) == 0:
        raise ValueError(f"{what} has no rows")
    bad = ~np.isfinite(Xa)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise ValueError(f"{what} contains {Xa[r, c]} (row {r}, column {c}): clean the data")
    ya = np.asarray(y)
    if ya.ndim == 0 or len(ya) != len(Xa):
        raise ValueError(f"{what} has {len(Xa)} rows but the labels have shape {ya.shape}")
    if np.issubdtype(ya.dtype, np.number) and not np.all(np.isfinite(ya)):
        raise ValueError("labels contain NaN or inf")
    return Xa, ya


def _couples_samples(model: Module) -> bool:
    """Whether ``model`` in training mode needs its batch at once (batch norm)."""
    was = model.training
    try:
        return model.train().couples_samples
    finally:
        model.train(was)


def _make_optimizer(optimizer: str | Optimizer, model: Module, lr: float | None) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            optimizer.lr = lr
        return optimizer
    if optimizer not in OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {optimizer!r}; choose one of: {', '.join(OPTIMIZERS)}"
        )
    cls = OPTIMIZERS[optimizer]
    kwargs = {} if lr is None else {"lr": lr}
    return cls(model.parameters(), **kwargs)


def _evaluate(model: Module, X: np.ndarray, task: Task) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` on ``X`` in evaluation mode (no graph kept)."""
    out = predict(model, X, raw=True)
    with no_grad():
        total = 0.0
        for row, t in zip(out.tolist(), task.targets):
            total += task.loss_fn([Value(o) for o in row], t).data
    acc = None
    if task.classes is not None and task.decide is not None:
        acc = float(np.mean(task.decide(out) == task.classes))
    return total / len(X), acc


def _check_arguments(
    model: Module,
    backend: str,
    epochs: int,
    batch_size: int | None,
    l2: float,
    tol: float | None,
    record_every: int | None,
    grad_norm_every: int | None,
) -> None:
    """``fit``'s plain arguments, each refused with a ``ValueError`` that names it."""
    check_backend(backend)
    if not isinstance(model, Module):
        raise TypeError(f"model must be a microgradx.nn Module, got {type(model).__name__}")
    check_epochs(epochs)
    if batch_size is not None and not is_positive_int(batch_size):
        raise ValueError(
            f"batch_size must be None (full batch) or a positive int, got {batch_size!r}"
        )
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not l2 >= 0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    if tol is not None and (
        isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0
    ):
        raise ValueError(f"tol must be None or a number >= 0, got {tol!r}")
    if record_every is not None and not is_positive_int(record_every):
        raise ValueError(f"record_every must be None or a positive int, got {record_every!r}")
    if grad_norm_every is not None and not is_positive_int(grad_norm_every):
        raise ValueError(
            f"grad_norm_every must be None or a positive int, got {grad_norm_every!r}"
        )


def _set_up(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    loss: str | LossFn | None,
    optimizer: str | Optimizer,
    batch_size: int | None,
    lr: float | None,
    validation: tuple[np.ndarray, np.ndarray] | None,
    early_stopping: int | EarlyStopping | None,
    callbacks: Iterable[Callable[[History], bool | None] | LRScheduler],
    seed: Seed,
    backend: str,
) -> _Run:
    """Everything ``fit`` decides before the first epoch: data, task, optimizer, backend."""
    # a model the tape can write from its layers has no batch norm (and needs no walk)
    stack = structure_tape(model)  # the tape written from the layers, if it can be
    couples = stack is None and _couples_samples(model)
    if backend == "tape" and couples:
        warnings.warn(BATCH_NORM_ON_SCALAR, stacklevel=outside_stacklevel())
        backend = "scalar"
    X, y = _check_data(model, X, y)
    size = batch_size or len(X)
    if couples and (len(X) == 1 or size == 1 or len(X) % size == 1):
        raise ValueError(
            "batch normalisation needs at least 2 samples in every batch: "
            f"{len(X)} samples in batches of {size} leave a batch of 1"
        )
    task = make_task(loss, model, y)
    val = None
    if validation is not None:
        try:
            Xv, yv = validation
        except (TypeError, ValueError):
            raise ValueError("validation must be a pair (X_val, y_val)") from None
        Xv, yv = _check_data(model, Xv, yv, "validation X")
        val = (Xv, make_task(loss, model, yv))
    if isinstance(early_stopping, (int, np.integer)) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=early_stopping)
    elif early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise ValueError(
            f"early_stopping must be a patience (int) or EarlyStopping, got {early_stopping!r}"
        )
    monitor = "loss"
    if early_stopping is not None:
        monitor = early_stopping.monitor or ("val_loss" if validation is not None else "loss")
        if monitor == "val_loss" and validation is None:
            raise ValueError("early stopping on 'val_loss' needs validation data")
    opt = _make_optimizer(optimizer, model, lr)
    # the tape trains on arrays when the optimizer updates exactly the model's parameters
    # (true by construction for an optimizer named here: it was made from them)
    made_here = not isinstance(optimizer, Optimizer)
    on_arrays = backend != "scalar" and (made_here or TapeTraining.accepts(model, opt))
    if backend == "auto":
        backend = "tape" if on_arrays and _tape_fits(model, task.loss_fn, stack) else "scalar"
    # backend="tape": weights, gradients and optimizer state in arrays while training
    # (see nn/tape_training.py); the Values are brought up to date when someone looks
    arrays = None
    if backend == "tape" and on_arrays:
        arrays = TapeTraining(model, opt, task.loss_fn, task.targets, structure=stack)
    return _Run(
        model=model, X=X, task=task, val=val, opt=opt, backend=backend, arrays=arrays,
        batch_size=batch_size, rng=make_rng(seed), callbacks=list(callbacks),
        early_stopping=early_stopping, monitor=monitor,
    )  # fmt: skip


@dataclass
class _Run:
    """One ``fit`` call once it is set up: what an epoch reads, and when to stop."""

    model: Module
    X: np.ndarray
    task: Task
    val: tuple[np.ndarray, Task] | None
    opt: Optimizer
    backend: str
    arrays: TapeTraining | None
    batch_size: int | None
    rng: np.random.Generator
    callbacks: list[Callable[[History], bool | None] | LRScheduler]
    early_stopping: EarlyStopping | None
    monitor: str
    best: float = math.inf
    best_epoch: int = 0
    best_state: dict[str, float] | None = None
    stale: bool = False  # the tape's arrays hold newer weights than the model's Values

    def __post_init__(self) -> None:
        self.layer_sizes = [_count(layer) for layer in _layers(self.model)]
        # someone looks at the model after each epoch: its Values must be up to date
        self.looks = (
            self.val is not None
            or self.early_stopping is not None
            or any(not isinstance(cb, LRScheduler) for cb in self.callbacks)
        )

    def sync(self) -> None:
        """Bring the model's Values up to date (the tape trains on arrays), once per
        change: a second call before the next step writes nothing."""
        if self.arrays is not None and self.stale:
            self.arrays.sync()
            self.stale = False

    def epoch(self, epoch: int, l2: float, norms: bool) -> dict[str, Any]:
        """One pass over the data in batches; the epoch's record for the history."""
        start = time.perf_counter()
        model, task, arrays, X = self.model, self.task, self.arrays, self.X
        if arrays is None or not model.training:  # the tape: its modules need no walk
            model.train()
        loss_sum, correct = 0.0, 0
        lr_used = self.opt.lr
        index = np.arange(len(X))
        shuffle = self.batch_size is not None
        for idx, _ in batches(index, index, self.batch_size, shuffle, self.rng):
            if arrays is not None:
                batch_loss, outputs = arrays.step(X[idx], idx, l2)
                self.stale = True  # the arrays moved on; the Values have not
            else:
                self.opt.zero_grad()
                step = BACKENDS[self.backend]
                batch_loss, outputs = step(
                    model, X[idx], [task.targets[i] for i in idx], task.loss_fn, l2
                )
                self.opt.step()  # the gradients stay until the next step's zero_grad
            loss_sum += batch_loss * len(idx)
            if task.classes is not None and task.decide is not None:
                correct += int(np.sum(task.decide(outputs) == task.classes[idx]))
        grad_norm = None  # the gradient norms of the epoch's last step, when asked for
        if norms:
            grad_norm = (
                layer_grad_norms(model)
                if arrays is None
                else _norms(arrays.grad, self.layer_sizes)
            )
        n = len(X)
        record: dict[str, Any] = {
            "epoch": epoch,
            "loss": loss_sum / n,
            "accuracy": correct / n if task.classes is not None else None,
            "lr": lr_used,
            "grad_norm": grad_norm,
        }
        if self.looks:
            self.sync()
        if self.val is not None:
            model.eval()
            record["val_loss"], record["val_accuracy"] = _evaluate(model, *self.val)
        record["seconds"] = time.perf_counter() - start
        return record

    def stop_reason(
        self, history: History, record: dict[str, Any], tol: float | None
    ) -> str | None:
        """After an epoch: step the schedules, ask the callbacks, early stopping, ``tol``.

        Returns why training stops now (``"callback"``, ``"early_stopping"``,
        ``"tol"``), or ``None`` to go on.
        """
        reason = None
        for cb in self.callbacks:
            if isinstance(cb, LRScheduler):
                cb.step()
            elif cb(history) is True:
                reason = "callback"
        stopping, epoch = self.early_stopping, record["epoch"]
        if stopping is not None:
            value = record[self.monitor]
            if value < self.best - stopping.min_delta:
                self.best, self.best_epoch = value, epoch
                if stopping.restore_best:
                    self.best_state = self.model.state_dict()
            elif epoch - self.best_epoch >= stopping.patience:
                history.stopped_early = epoch
                reason = "early_stopping"
        if tol is not None and _total_norm(record["grad_norm"], self.model, self.arrays) < tol:
            reason = "tol"
        return reason


def tape_applies(model: Module, loss_fn: LossFn, optimizer: Optimizer) -> bool:
    """Whether ``fit(backend="auto")`` trains on the tape: the model's program can be
    written from its layers (an ``MLP``, ``Layer`` or ``Neuron`` without batch norm),
    the loss is a built-in one, dropout is off and the optimizer updates exactly the
    model's parameters, so the tape computes the scalar backend's numbers, faster."""
    stack = structure_tape(model)
    return _tape_fits(model, loss_fn, stack) and TapeTraining.accepts(model, optimizer)


def _tape_fits(model: Module, loss_fn: LossFn, stack: Any) -> bool:
    built_in = any(loss_fn is f for f in LOSSES.values())  # by identity: any callable
    return built_in and not getattr(model, "dropout", 0.0) and stack is not None


def layer_grad_norms(model: Module, grads: Iterable[float] | None = None) -> list[float]:
    """‖∂J/∂θ‖₂ for each layer's parameters θ (one number for a model without layers).

    The L2 norm √(Σ g²) over the layer's weights and biases, with g each parameter's
    ``.grad`` as the last backward pass left it, or ``grads`` (one per parameter, in
    ``model.parameters()`` order, e.g. the arrays of ``fit(backend="tape")``). Norms
    that shrink from the output layer towards the input show vanishing gradients; a
    norm of exactly 0, a layer whose units are all dead.
    """
    per_layer = [layer.parameters() for layer in _layers(model)]
    if grads is None:
        flat = np.array([p.grad for params in per_layer for p in params], dtype=float)
    else:
        flat = np.asarray(grads if isinstance(grads, np.ndarray) else list(grads), dtype=float)
    return _norms(flat.ravel(), [len(params) for params in per_layer])


def _total_norm(
    per_layer: list[float] | None, model: Module, arrays: TapeTraining | None
) -> float:
    """‖∂J/∂θ‖₂ over all parameters: from the layers' norms when this epoch has them."""
    if per_layer is not None:
        return math.hypot(*per_layer)
    if arrays is not None:
        return float(np.sqrt(np.dot(arrays.grad, arrays.grad)))
    return math.hypot(*layer_grad_norms(model))


def _layers(model: Module) -> list[Module]:
    return getattr(model, "layers", None) or [model]


def _count(layer: Module) -> int:
    """How many parameters ``layer`` has (without listing them for a plain Layer)."""
    if type(layer) is Layer and layer.norm is None:  # type: ignore[attr-defined]
        return (layer.nin + 1) * layer.nout
    return len(layer.parameters())


def _norms(flat: np.ndarray, sizes: list[int]) -> list[float]:
    """The L2 norm of each run of ``sizes[i]`` numbers in ``flat``."""
    if len(flat) != sum(sizes):
        raise ValueError(f"{len(flat)} gradients for {sum(sizes)} parameters")
    norms, start = [], 0
    for size in sizes:
        g = flat[start : start + size]
        norms.append(float(np.sqrt(np.dot(g, g))))
        start += size
    return norms
