"""Training: the gradient-descent loop, its history, predictions and accuracy.

One epoch of :func:`fit` visits every sample once, in batches. For each batch of m
samples it computes the average loss and its gradient, the textbook loop

    ΔW = 0
    for each sample k in the batch:     ΔW += ∇W Lₖ      (forward, then backward)
    W ← W − η·(ΔW/m + ∇W penalty)                        (the optimizer's step)

``batch_size=None`` is full-batch gradient descent (one step per epoch), an int is
mini-batch, and ``1`` is stochastic gradient descent.

The "loss and gradients of one batch" computation is a separate, swappable function
(an *engine*, see :mod:`microgradx.nn.engines`); what the labels mean for a loss is
:mod:`microgradx.nn.task`; the record of a run is :mod:`microgradx.nn.history`.
This module re-exports their public names.
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._gc import paused
from ..engine import Value, no_grad
from .data import batches
from .engines import ENGINES, scalar_loss_and_grads, tape_loss_and_grads
from .history import History, check_epochs
from .init import Seed, make_rng
from .losses import LOSSES
from .module import Layer, Module
from .optim import OPTIMIZERS, LRScheduler, Optimizer
from .tape_training import TapeTraining, structure_tape
from .task import LossFn, Task, make_task, predict

__all__ = [
    "ENGINES",
    "EarlyStopping",
    "History",
    "Task",
    "accuracy",
    "fit",
    "layer_grad_norms",
    "make_task",
    "predict",
    "scalar_loss_and_grads",
    "tape_applies",
    "tape_loss_and_grads",
]


BATCH_NORM_ON_SCALAR = (
    "fit(engine='tape'): this model has batch normalisation, which mixes the samples "
    "of a batch, and the tape replays one sample's graph: training on the scalar "
    "engine instead (history.info['engine'] says 'scalar')"
)

# --- early stopping and progress ----------------------------------------------------------


@dataclass
class EarlyStopping:
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    ``monitor`` is ``"val_loss"`` (the default when validation data is given) or
    ``"loss"``. With ``restore_best`` the weights of the best epoch are put back.
    """

    patience: int = 10
    min_delta: float = 0.0
    monitor: str | None = None
    restore_best: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.patience, bool) or not isinstance(self.patience, int):
            raise ValueError(f"patience must be a positive int, got {self.patience!r}")
        if self.patience < 1:
            raise ValueError(f"patience must be a positive int, got {self.patience!r}")
        if not self.min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {self.min_delta!r}")
        if self.monitor not in (None, "loss", "val_loss"):
            raise ValueError(f"monitor must be 'loss' or 'val_loss', got {self.monitor!r}")


class _Progress:
    """A tqdm bar when tqdm is installed, else a printed line for the first epoch, every
    tenth of the run and the last epoch (at most about a dozen lines), or nothing."""

    def __init__(self, epochs: int, enabled: bool, desc: str = "training") -> None:
        self.epochs = epochs
        self.every = max(1, math.ceil(epochs / 10))
        self.unprinted: dict[str, Any] | None = None  # the last record, if not printed
        self.bar = None
        self.enabled = enabled
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=epochs, desc=desc, unit="epoch", leave=True)

    def update(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        parts = self._parts(record)
        if self.bar is not None:
            self.bar.set_postfix_str("  ".join(parts), refresh=False)
            self.bar.update(1)
        else:
            epoch = record["epoch"]
            if epoch == 1 or epoch % self.every == 0 or epoch == self.epochs:
                self._print(record, parts)
                self.unprinted = None
            else:
                self.unprinted = record

    @staticmethod
    def _parts(record: dict[str, Any]) -> list[str]:
        parts = [f"loss {record['loss']:.4f}"]
        if record.get("accuracy") is not None:
            parts.append(f"accuracy {record['accuracy']:6.1%}")
        if "val_loss" in record:
            parts.append(f"val_loss {record['val_loss']:.4f}")
            if record.get("val_accuracy") is not None:
                parts.append(f"val_accuracy {record['val_accuracy']:6.1%}")
        return parts

    def _print(self, record: dict[str, Any], parts: list[str]) -> None:
        width = len(str(self.epochs))
        head = f"epoch {record['epoch']:>{width}}/{self.epochs}"
        print(f"{head}  " + "  ".join(parts) + f"  ({record['seconds']:.2f} s)")
        sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.unprinted is not None:  # a run that stopped early: its last epoch
            record, self.unprinted = self.unprinted, None
            self._print(record, self._parts(record))


# --- fitting ------------------------------------------------------------------------------


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


@paused  # training builds graphs in a loop: no collector while it runs (see _gc.py)
def fit(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    loss: str | LossFn | None = None,
    optimizer: str | Optimizer = "sgd",
    epochs: int = 100,
    batch_size: int | None = None,
    l2: float = 0.0,
    lr: float | None = None,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    early_stopping: int | EarlyStopping | None = None,
    progress: bool = True,
    callbacks: Iterable[Callable[[History], bool | None] | LRScheduler] = (),
    seed: Seed = 0,
    engine: str = "auto",
    tol: float | None = None,
    record_every: int | None = None,
    grad_norm_every: int | None = 1,
) -> History:
    """Train ``model`` on ``(X, y)`` by gradient descent; returns the :class:`History`.

    Args:
        model: a Module (e.g. an :class:`~microgradx.nn.MLP`).
        X: inputs, shape ``(n, model.nin)``.
        y: labels or targets; what fits depends on ``loss`` (see :func:`make_task`).
        loss: a loss name (``hinge``, ``cross_entropy``, ``mse``, ``bce``,
            ``bce_with_logits``) or ``loss(outputs, target) -> Value``. ``None``:
            ``cross_entropy`` for several outputs, ``binary_cross_entropy`` for one
            sigmoid output, otherwise ``hinge``.
        optimizer: an :class:`Optimizer`, or a name (``sgd``, ``adagrad``,
            ``rmsprop``, ``adam``, ``adamw``) made with learning rate ``lr``.
        epochs: passes over the data.
        batch_size: ``None`` full batch, ``k`` mini-batches of k (reshuffled each
            epoch), ``1`` stochastic.
        l2: adds l2·Σ p² to the objective (reported losses leave it out).
        validation: ``(X_val, y_val)`` scored after every epoch.
        early_stopping: a patience in epochs, or an :class:`EarlyStopping`.
        progress: a tqdm bar if tqdm is installed, else a line per epoch.
        callbacks: called as ``cb(history)`` after each epoch (return True to stop);
            learning-rate schedules are stepped once per epoch.
        seed: makes the mini-batch order reproducible.
        engine: how one batch's loss and gradients are computed: ``"scalar"``
            (a Value graph per sample, the textbook loop) or ``"tape"`` (the
            model's graph as a program replayed over numpy batches: same numbers,
            much faster; no dropout). ``"auto"`` (the default) picks the fastest
            exact one: the tape for an ``MLP``, ``Layer`` or ``Neuron`` with a
            built-in loss, no dropout, no batch norm and an optimizer over all its
            parameters (see :func:`tape_applies`), the scalar engine otherwise
            (custom loss callables, dropout, batch norm, other Modules); the
            results agree to rounding either way, and ``history.info["engine"]``
            says which one ran. A model with batch normalisation trains on the
            scalar engine (with a warning if ``"tape"`` was asked for): the tape
            cannot express a graph that mixes the samples of a batch.
        tol: stop once the gradient's norm ‖∂J/∂θ‖₂ (over all parameters, at the
            epoch's last step) is below ``tol``: gradient descent "until the
            gradient is about 0". ``None`` (the default) never stops for this.
        record_every: keep the weights after epoch 1 and every k-th epoch in
            ``history.snapshots`` (at most 200, older ones thinned), for
            ``history.replay(X, y)``. ``None`` (the default) keeps none.
        grad_norm_every: how often ``history.grad_norm`` is computed (each layer's
            ‖∂J/∂θ‖₂ at the epoch's last step): ``1`` (the default) every epoch, ``k``
            every k-th epoch plus the first and the last (the other epochs record
            ``None``), ``None`` never. Each computation is one pass over the
            gradient: on the tape a few vector operations on the array ``fit``
            holds (microseconds), on the scalar engine a walk over the parameters'
            ``.grad`` (far less than building an epoch's graphs). ``tol`` checks
            the gradient every epoch whatever this says.

    ``history.stop_reason`` says why training ended: ``"epochs"`` (all of them
    ran), ``"tol"``, ``"early_stopping"`` or ``"callback"``.

    The reported ``loss`` and ``accuracy`` of an epoch are measured on the batches
    during the epoch (each batch before its update). The model trains in training
    mode and is left in evaluation mode (``model.eval()``) when ``fit`` returns.
    """
    if engine != "auto" and engine not in ENGINES:
        accepted = ", ".join(repr(e) for e in ("auto", *ENGINES))
        raise ValueError(f"unknown engine {engine!r}; accepted: {accepted}")
    if not isinstance(model, Module):
        raise TypeError(f"model must be a microgradx.nn Module, got {type(model).__name__}")
    # a model the tape can write from its layers has no batch norm (and needs no walk)
    stack = structure_tape(model)  # the tape written from the layers, if it can be
    couples = stack is None and _couples_samples(model)
    if engine == "tape" and couples:
        warnings.warn(BATCH_NORM_ON_SCALAR, stacklevel=2)
        engine = "scalar"
    check_epochs(epochs)
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be None (full batch) or a positive int, got {batch_size!r}"
        )
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not l2 >= 0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    if tol is not None and (
        isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol >= 0
    ):
        raise ValueError(f"tol must be None or a number >= 0, got {tol!r}")
    if record_every is not None and (
        isinstance(record_every, bool) or not isinstance(record_every, int) or record_every < 1
    ):
        raise ValueError(f"record_every must be None or a positive int, got {record_every!r}")
    if grad_norm_every is not None and (
        isinstance(grad_norm_every, bool)
        or not isinstance(grad_norm_every, int)
        or grad_norm_every < 1
    ):
        raise ValueError(
            f"grad_norm_every must be None or a positive int, got {grad_norm_every!r}"
        )
    X, y = _check_data(model, X, y)
    size = batch_size or len(X)
    if couples and (len(X) == 1 or size == 1 or len(X) % size == 1):
        raise ValueError(
            "batch normalisation needs at least 2 samples in every batch: "
            f"{len(X)} samples in batches of {size} leave a batch of 1"
        )
    task = make_task(loss, model, y)
    val_task = None
    if validation is not None:
        try:
            Xv, yv = validation
        except (TypeError, ValueError):
            raise ValueError("validation must be a pair (X_val, y_val)") from None
        Xv, yv = _check_data(model, Xv, yv, "validation X")
        val_task = make_task(loss, model, yv)
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
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
    on_arrays = engine != "scalar" and (made_here or TapeTraining.accepts(model, opt))
    if engine == "auto":
        engine = "tape" if on_arrays and _tape_fits(model, task.loss_fn, stack) else "scalar"
    step_fn = ENGINES[engine]
    callbacks = list(callbacks)
    # engine="tape": weights, gradients and optimizer state in arrays while training
    # (see nn/tape_training.py); the Values are brought up to date when someone looks
    arrays = None
    if engine == "tape" and on_arrays:
        arrays = TapeTraining(model, opt, task.loss_fn, task.targets, structure=stack)
    looks = (
        val_task is not None
        or early_stopping is not None
        or any(not isinstance(cb, LRScheduler) for cb in callbacks)
    )
    rng = make_rng(seed)
    n = len(X)
    index = np.arange(n)
    history = History(
        info={"loss": task.loss_name, "optimizer": repr(opt), "engine": engine,
              "batch_size": batch_size, "l2": l2, "samples": n, "tol": tol}
    )  # fmt: skip
    history.trained_loss = loss  # as given (a name, a function or None), for history.replay
    best, best_epoch, best_state = math.inf, 0, None
    layer_sizes = [_count(layer) for layer in _layers(model)]
    bar = _Progress(epochs, progress)
    history.stop_reason = "epochs"
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            if arrays is None or not model.training:  # the tape: its modules need no walk
                model.train()
            loss_sum, correct = 0.0, 0
            lr_used = opt.lr
            for idx, _ in batches(index, index, batch_size, batch_size is not None, rng):
                if arrays is not None:
                    batch_loss, outputs = arrays.step(X[idx], idx, l2)
                else:
                    opt.zero_grad()
                    batch_loss, outputs = step_fn(
                        model, X[idx], [task.targets[i] for i in idx], task.loss_fn, l2
                    )
                    opt.step()  # the gradients stay until the next step's zero_grad
                loss_sum += batch_loss * len(idx)
                if task.classes is not None and task.decide is not None:
                    correct += int(np.sum(task.decide(outputs) == task.classes[idx]))
            # the gradient norms of the epoch's last step, at the asked cadence
            grad_norm = None
            if grad_norm_every is not None and (
                epoch % grad_norm_every == 0 or epoch in (1, epochs)
            ):
                grad_norm = (
                    layer_grad_norms(model) if arrays is None else _norms(arrays.grad, layer_sizes)
                )
            record: dict[str, Any] = {
                "epoch": epoch,
                "loss": loss_sum / n,
                "accuracy": correct / n if task.classes is not None else None,
                "lr": lr_used,
                "grad_norm": grad_norm,
            }
            if arrays is not None and looks:
                arrays.sync()
            if val_task is not None:
                model.eval()
                record["val_loss"], record["val_accuracy"] = _evaluate(model, Xv, val_task)
            record["seconds"] = time.perf_counter() - start
            history.append(record)
            if record_every and (epoch == 1 or epoch % record_every == 0):
                if arrays is not None and not looks:
                    arrays.sync()
                history.snapshot(epoch, model)
            bar.update(record)
            stop = False
            for cb in callbacks:
                if isinstance(cb, LRScheduler):
                    cb.step()
                elif cb(history) is True:
                    stop = True
                    history.stop_reason = "callback"
            if early_stopping is not None:
                value = record[monitor]
                if value < best - early_stopping.min_delta:
                    best, best_epoch = value, epoch
                    if early_stopping.restore_best:
                        best_state = model.state_dict()
                elif epoch - best_epoch >= early_stopping.patience:
                    history.stopped_early = epoch
                    stop = True
                    history.stop_reason = "early_stopping"
            if tol is not None and _total_norm(grad_norm, model, arrays) < tol:
                history.stop_reason = "tol"
                stop = True
            if stop:
                break
    except BaseException:
        history.stop_reason = None  # interrupted or failed: no reason to report
        raise
    finally:
        history.info["stop_reason"] = history.stop_reason
        if arrays is not None:
            arrays.sync()
        bar.close()
        model.eval()
    if best_state is not None and history.stopped_early:
        model.load_state_dict(best_state)
        history.info["restored_epoch"] = best_epoch
    return history


def tape_applies(model: Module, loss_fn: LossFn, optimizer: Optimizer) -> bool:
    """Whether ``fit(engine="auto")`` trains on the tape: the model's program can be
    written from its layers (an ``MLP``, ``Layer`` or ``Neuron`` without batch norm),
    the loss is a built-in one, dropout is off and the optimizer updates exactly the
    model's parameters, so the tape computes the scalar engine's numbers, faster."""
    stack = structure_tape(model)
    return _tape_fits(model, loss_fn, stack) and TapeTraining.accepts(model, optimizer)


def _tape_fits(model: Module, loss_fn: LossFn, stack: Any) -> bool:
    built_in = any(loss_fn is f for f in LOSSES.values())  # by identity: any callable
    return built_in and not getattr(model, "dropout", 0.0) and stack is not None


# --- predictions ----------------------------------------------------------------------------


def layer_grad_norms(model: Module, grads: Iterable[float] | None = None) -> list[float]:
    """‖∂J/∂θ‖₂ for each layer's parameters θ (one number for a model without layers).

    The L2 norm √(Σ g²) over the layer's weights and biases, with g each parameter's
    ``.grad`` as the last backward pass left it, or ``grads`` (one per parameter, in
    ``model.parameters()`` order, e.g. the arrays of ``fit(engine="tape")``). Norms
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


def accuracy(model: Module, X: np.ndarray, y: np.ndarray, threshold: float | None = None) -> float:
    """Fraction of rows whose predicted class equals the label (−1 labels count as class 0)."""
    y = np.asarray(y)
    pred = predict(model, X, threshold=threshold)
    if len(y) != len(pred):
        raise ValueError(f"X has {len(pred)} rows but y has {len(y)} labels")
    if model.nout == 1:
        y = (y > 0).astype(np.int64)
    return float(np.mean(pred == y))
