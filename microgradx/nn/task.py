"""The task: what the labels mean for a given loss, and how outputs become classes.

:func:`make_task` checks that labels suit a loss and a model and turns them into
per-sample targets (hinge labels 0/1 become −1/+1, ``mse`` class labels become
one-hot rows); the resulting :class:`Task` also says how to read a class off the
outputs (a threshold on one output, or the argmax of several).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import Value, no_grad
from . import losses as L
from .module import Module

__all__ = [
    "LossFn",
    "Task",
    "by_argmax",
    "by_threshold",
    "default_threshold",
    "make_task",
    "output_activation",
]

LossFn = Callable[[list[Value], Any], Value]


@dataclass
class Task:
    """How labels ``y`` turn into per-sample loss targets, and outputs into classes.

    Attributes:
        loss_name: the loss's name (or the callable's ``__name__``).
        loss_fn: ``loss_fn(outputs, target) -> Value`` for one sample.
        targets: the target of every sample, as ``loss_fn`` wants it.
        classes: class labels 0..k−1 for accuracy, or ``None`` (regression).
        decide: maps an ``(n, nout)`` array of outputs to predicted classes.
    """

    loss_name: str
    loss_fn: LossFn
    targets: list
    classes: np.ndarray | None
    decide: Callable[[np.ndarray], np.ndarray] | None


def by_threshold(t: float) -> Callable[[np.ndarray], np.ndarray]:
    """A decision rule for one output: class 1 where ``out[:, 0] > t``, else class 0."""
    return lambda out: (out[:, 0] > t).astype(np.int64)


def by_argmax(out: np.ndarray) -> np.ndarray:
    """The decision rule for several outputs: the index of the largest, row by row."""
    return np.argmax(out, axis=1)


def output_activation(model: Module) -> str:
    """The activation of ``model``'s output (``"linear"`` when it has none)."""
    act = getattr(model, "output_activation", None) or getattr(model, "activation", "linear")
    return str(act)


def default_threshold(model: Module) -> float:
    """Where one output splits the classes: 0.5 for a sigmoid (a probability), else 0."""
    return 0.5 if output_activation(model) == "sigmoid" else 0.0


def _as_labels(y: np.ndarray, what: str) -> np.ndarray:
    """``y`` as an int array when every value is a whole number, else ValueError."""
    if y.ndim != 1:
        raise ValueError(f"{what} needs one label per sample, shape (n,), got {y.shape}")
    if not np.all(np.equal(np.mod(y, 1), 0)):
        bad = y[np.mod(y, 1) != 0][:3]
        raise ValueError(f"{what} needs integer class labels, got values like {bad.tolist()}")
    return y.astype(np.int64)


def _default_loss(model: Module) -> str:
    if model.nout > 1:
        return "cross_entropy"
    return "binary_cross_entropy" if output_activation(model) == "sigmoid" else "hinge"


def make_task(loss: str | LossFn | None, model: Module, y: np.ndarray) -> Task:
    """Check that labels ``y`` suit ``loss`` and ``model``; say how to score them.

    * ``hinge``: one output (a score); labels 0/1 (used as −1/+1) or −1/+1.
    * ``binary_cross_entropy`` (``bce``): one output, a probability; labels in [0, 1].
    * ``binary_cross_entropy_with_logits`` (``bce_with_logits``): one output, a logit.
    * ``cross_entropy``: k ≥ 2 outputs (logits); labels 0..k−1.
    * ``mse``: one output and numeric targets, k outputs and labels 0..k−1 (one-hot
      targets), or targets of shape ``(n, k)``.
    * a callable ``loss(outputs, target) -> Value``: targets passed through as given.
    """
    nout = model.nout
    y = np.asarray(y)
    if loss is None:
        loss = _default_loss(model)
    if callable(loss):
        name = getattr(loss, "__name__", "loss")
        targets = y.tolist()
        return Task(name, loss, targets, None, None)
    if loss not in L.LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of: {', '.join(L.LOSSES)}")
    fn = L.LOSSES[loss]
    if not np.issubdtype(y.dtype, np.number) or y.dtype == bool:
        raise ValueError(f"labels must be numbers, got dtype {y.dtype}")

    def one_output() -> None:
        if nout != 1:
            raise ValueError(f"loss {loss!r} needs a model with 1 output, this one has {nout}")

    if fn is L.hinge:
        one_output()
        labels = _as_labels(y, "hinge")
        values = set(np.unique(labels).tolist())
        if values <= {0, 1}:
            targets = (2 * labels - 1).astype(float).tolist()
        elif values <= {-1, 1}:
            targets = labels.astype(float).tolist()
        else:
            raise ValueError(f"hinge needs labels 0/1 or -1/+1, got {sorted(values)[:6]}")
        return Task(loss, fn, targets, (labels > 0).astype(np.int64), by_threshold(0.0))
    if fn in (L.binary_cross_entropy, L.binary_cross_entropy_with_logits):
        one_output()
        if y.ndim != 1 or np.any((y < 0) | (y > 1)):
            raise ValueError(f"{loss} needs labels in [0, 1] of shape (n,), got {_describe(y)}")
        binary = bool(np.all((y == 0) | (y == 1)))
        cut = 0.5 if fn is L.binary_cross_entropy else 0.0
        classes = y.astype(np.int64) if binary else None
        return Task(loss, fn, y.astype(float).tolist(), classes, by_threshold(cut))
    if fn is L.cross_entropy:
        if nout < 2:
            raise ValueError("cross_entropy needs a model with 2 or more outputs (one per class)")
        labels = _as_labels(y, "cross_entropy")
        if labels.min() < 0 or labels.max() >= nout:
            raise ValueError(
                f"cross_entropy labels must be classes 0..{nout - 1}, "
                f"got values from {labels.min()} to {labels.max()}"
            )
        return Task(loss, fn, labels.tolist(), labels, by_argmax)
    # mse
    if y.ndim == 2:
        if y.shape[1] != nout:
            raise ValueError(f"mse targets have shape {y.shape}, the model has {nout} outputs")
        return Task(loss, fn, y.astype(float).tolist(), None, None)
    if y.ndim != 1:
        raise ValueError(f"mse targets must have shape (n,) or (n, {nout}), got {y.shape}")
    if nout == 1:
        whole = bool(np.all(np.mod(y, 1) == 0))
        binary = whole and bool(np.all((y == 0) | (y == 1)))
        classes = y.astype(np.int64) if binary else None
        return Task(loss, fn, y.astype(float).tolist(), classes, by_threshold(0.5))
    labels = _as_labels(y, "mse with several outputs")
    if labels.min() < 0 or labels.max() >= nout:
        raise ValueError(f"mse labels must be classes 0..{nout - 1}, got {_describe(y)}")
    onehot = np.eye(nout)[labels]
    return Task(loss, fn, onehot.tolist(), labels, by_argmax)


def _describe(y: np.ndarray) -> str:
    if y.size == 0:
        return f"an empty array of shape {y.shape}"
    return f"shape {y.shape}, values from {y.min()!r} to {y.max()!r}"


def predict(
    model: Module, X: np.ndarray, raw: bool = False, threshold: float | None = None
) -> np.ndarray:
    """Predicted classes for every row of ``X`` (or the raw outputs with ``raw=True``).

    Several outputs: the class with the largest output (argmax). One output: class 1
    when it exceeds ``threshold`` — by default 0.5 for a sigmoid output (a
    probability) and 0 otherwise (a score or logit). Evaluates in evaluation mode,
    without building graphs when the model offers ``forward_batch``.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 1 and model.nin == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[1] != model.nin:
        raise ValueError(f"X has shape {X.shape}; expected (n, {model.nin})")
    was_training = model.training
    model.eval()
    try:
        try:
            out = model.forward_batch(X)
        except NotImplementedError:
            with no_grad():
                rows = [model(x) for x in X.tolist()]
            out = np.array([[v.data for v in (r if isinstance(r, list) else [r])] for r in rows])
    finally:
        model.train(was_training)
    out = out.reshape(len(X), model.nout)
    if raw:
        return out
    if model.nout > 1:
        return by_argmax(out)
    if threshold is None:
        threshold = default_threshold(model)
    return by_threshold(threshold)(out)
