"""Training: the gradient-descent loop, its history, predictions and accuracy.

One epoch of :func:`fit` visits every sample once, in batches. For each batch of m
samples it computes the average loss and its gradient, the textbook loop

    ΔW = 0
    for each sample k in the batch:     ΔW += ∇W Lₖ      (forward, then backward)
    W ← W − η·(ΔW/m + ∇W penalty)                        (the optimizer's step)

``batch_size=None`` is full-batch gradient descent (one step per epoch), an int is
mini-batch, and ``1`` is stochastic gradient descent.

The "loss and gradients of one batch" computation is a separate, swappable function
(a *backend*, see :mod:`microgradx.nn.backends`); what the labels mean for a loss is
:mod:`microgradx.nn.task`; the record of a run is :mod:`microgradx.nn.history`.
This module re-exports their public names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from .._compat import renamed_keywords
from .._gc import paused
from .backends import BACKENDS, scalar_loss_and_grads, tape_loss_and_grads
from .callbacks import EarlyStopping as EarlyStopping  # re-exported: fit's names, one place
from .callbacks import _Progress
from .history import History
from .init import Seed
from .module import Module
from .optim import Optimizer
from .run import BATCH_NORM_ON_SCALAR as BATCH_NORM_ON_SCALAR
from .run import _check_arguments, _set_up
from .run import layer_grad_norms as layer_grad_norms
from .run import tape_applies as tape_applies
from .schedules import LRScheduler
from .task import LossFn, Task, make_task, predict

__all__ = [
    "BACKENDS",
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


@renamed_keywords(engine="backend")  # the old name still works, with a DeprecationWarning
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
    backend: str = "auto",
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
        backend: how one batch's loss and gradients are computed: ``"scalar"``
            (a Value graph per sample, the textbook loop) or ``"tape"`` (the
            model's graph as a program replayed over numpy batches: same numbers,
            much faster; no dropout). ``"auto"`` (the default) picks the fastest
            exact one: the tape for an ``MLP``, ``Layer`` or ``Neuron`` with a
            built-in loss, no dropout, no batch norm and an optimizer over all its
            parameters (see :func:`tape_applies`), the scalar backend otherwise
            (custom loss callables, dropout, batch norm, other Modules); the
            results agree to rounding either way, and ``history.info["backend"]``
            says which one ran. A model with batch normalisation trains on the
            scalar backend (with a warning if ``"tape"`` was asked for): the tape
            cannot express a graph that mixes the samples of a batch. The old
            name of this argument, ``engine=``, still works, with a
            ``DeprecationWarning``.
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
            holds (microseconds), on the scalar backend a walk over the parameters'
            ``.grad`` (far less than building an epoch's graphs). ``tol`` checks
            the gradient every epoch whatever this says.

    ``history.stop_reason`` says why training ended: ``"epochs"`` (all of them
    ran), ``"tol"``, ``"early_stopping"`` or ``"callback"``.

    The reported ``loss`` and ``accuracy`` of an epoch are measured on the batches
    during the epoch (each batch before its update). The model trains in training
    mode and is left in evaluation mode (``model.eval()``) when ``fit`` returns.
    """
    _check_arguments(model, backend, epochs, batch_size, l2, tol, record_every, grad_norm_every)
    epochs = int(epochs)  # a numpy int is accepted, and kept as a Python int (history files)
    batch_size = None if batch_size is None else int(batch_size)
    run = _set_up(model, X, y, loss, optimizer, batch_size, lr, validation, early_stopping,
                  callbacks, seed, backend)  # fmt: skip
    history = History(
        info={"loss": run.task.loss_name, "optimizer": repr(run.opt), "backend": run.backend,
              "batch_size": batch_size, "l2": l2, "samples": len(run.X), "tol": tol}
    )  # fmt: skip
    history.trained_loss = loss  # as given (a name, a function or None), for history.replay
    bar = _Progress(epochs, progress)
    history.stop_reason = "epochs"
    try:
        for epoch in range(1, epochs + 1):
            norms = grad_norm_every is not None and (
                epoch % grad_norm_every == 0 or epoch in (1, epochs)
            )
            record = run.epoch(epoch, l2, norms)
            history.append(record)
            if record_every and (epoch == 1 or epoch % record_every == 0):
                run.sync()
                history.snapshot(epoch, run.model)
            bar.update(record)
            reason = run.stop_reason(history, record, tol)
            if reason is not None:
                history.stop_reason = reason
                break
    except BaseException:
        history.stop_reason = None  # interrupted or failed: no reason to report
        raise
    finally:
        history.info["stop_reason"] = history.stop_reason
        run.sync()
        bar.close()
        model.eval()
    if run.best_state is not None and history.stopped_early:
        model.load_state_dict(run.best_state)
        history.info["restored_epoch"] = run.best_epoch
    return history


def accuracy(model: Module, X: np.ndarray, y: np.ndarray, threshold: float | None = None) -> float:
    """Fraction of rows whose predicted class equals the label (−1 labels count as class 0)."""
    y = np.asarray(y)
    pred = predict(model, X, threshold=threshold)
    if len(y) != len(pred):
        raise ValueError(f"X has {len(pred)} rows but y has {len(y)} labels")
    if model.nout == 1:
        y = (y > 0).astype(np.int64)
    return float(np.mean(pred == y))
