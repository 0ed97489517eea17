"""Training: the gradient-descent loop, its history, predictions and accuracy.

One epoch of :func:`fit` visits every sample once, in batches. For each batch of m
samples it computes the average loss and its gradient, the textbook loop

    ΔW = 0
    for each sample k in the batch:     ΔW += ∇W Lₖ      (forward, then backward)
    W ← W − η·(ΔW/m + ∇W penalty)                        (the optimizer's step)

``batch_size=None`` is full-batch gradient descent (one step per epoch), an int is
mini-batch, and ``1`` is stochastic gradient descent.

The "loss and gradients of one batch" computation is a separate, swappable function
(an *engine*, see :data:`ENGINES`); the loop around it does not care how the numbers
are obtained.
"""

from __future__ import annotations

import json
import math
import sys
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..engine import Value, no_grad
from . import losses as L
from .data import batches
from .init import Seed, make_rng
from .module import Module
from .optim import OPTIMIZERS, LRScheduler, Optimizer

__all__ = [
    "ENGINES",
    "EarlyStopping",
    "History",
    "Task",
    "accuracy",
    "fit",
    "make_task",
    "predict",
    "scalar_loss_and_grads",
]

LossFn = Callable[[list[Value], Any], Value]


# --- the task: what the labels mean for a given loss ---------------------------------


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


def _threshold(t: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda out: (out[:, 0] > t).astype(np.int64)


def _argmax(out: np.ndarray) -> np.ndarray:
    return np.argmax(out, axis=1)


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
    return "binary_cross_entropy" if _output_activation(model) == "sigmoid" else "hinge"


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
        return Task(loss, fn, targets, (labels > 0).astype(np.int64), _threshold(0.0))
    if fn in (L.binary_cross_entropy, L.binary_cross_entropy_with_logits):
        one_output()
        if y.ndim != 1 or np.any((y < 0) | (y > 1)):
            raise ValueError(f"{loss} needs labels in [0, 1] of shape (n,), got {_describe(y)}")
        binary = bool(np.all((y == 0) | (y == 1)))
        cut = 0.5 if fn is L.binary_cross_entropy else 0.0
        classes = y.astype(np.int64) if binary else None
        return Task(loss, fn, y.astype(float).tolist(), classes, _threshold(cut))
    if fn is L.cross_entropy:
        if nout < 2:
            raise ValueError("cross_entropy needs a model with 2 or more outputs (one per class)")
        labels = _as_labels(y, "cross_entropy")
        if labels.min() < 0 or labels.max() >= nout:
            raise ValueError(
                f"cross_entropy labels must be classes 0..{nout - 1}, "
                f"got values from {labels.min()} to {labels.max()}"
            )
        return Task(loss, fn, labels.tolist(), labels, _argmax)
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
        return Task(loss, fn, y.astype(float).tolist(), classes, _threshold(0.5))
    labels = _as_labels(y, "mse with several outputs")
    if labels.min() < 0 or labels.max() >= nout:
        raise ValueError(f"mse labels must be classes 0..{nout - 1}, got {_describe(y)}")
    onehot = np.eye(nout)[labels]
    return Task(loss, fn, onehot.tolist(), labels, _argmax)


def _describe(y: np.ndarray) -> str:
    if y.size == 0:
        return f"an empty array of shape {y.shape}"
    return f"shape {y.shape}, values from {y.min()!r} to {y.max()!r}"


# --- engines: the loss and gradients of one batch ------------------------------------------


def scalar_loss_and_grads(
    model: Module,
    X: np.ndarray,
    targets: Sequence,
    loss_fn: LossFn,
    l2: float = 0.0,
) -> tuple[float, np.ndarray]:
    """Loss and gradients of one batch on the scalar engine (a graph per sample).

    With m rows, the objective is J = (1/m)·Σₖ loss(model(xₖ), tₖ) + l2·Σ p². For each
    sample k this builds the graph of Lₖ and calls ``Lₖ.backward(1/m)``, which adds
    (1/m)·∂Lₖ/∂p into every ``p.grad`` (leaf gradients accumulate: ΔW += ∇W); then
    the penalty's gradient 2·l2·p. Call ``zero_grad`` first.

    Returns the mean data loss (1/m)·Σₖ Lₖ (without the penalty) and the model's
    outputs as an ``(m, nout)`` array (for accuracy).
    """
    m = len(X)
    inv = 1.0 / m
    outputs = np.empty((m, model.nout))
    total = 0.0
    for k, (x, t) in enumerate(zip(X.tolist(), targets)):
        out = model(x)
        if isinstance(out, Value):
            out = [out]
        loss = loss_fn(out, t)
        loss.backward(inv)
        total += loss.data
        outputs[k] = [o.data for o in out]
    if l2:
        L.l2(model.parameters(), l2).backward()
    return total * inv, outputs


# Compiled tapes of each model, by (loss function, target): built once, replayed each step.
_TAPES: weakref.WeakKeyDictionary[Module, dict] = weakref.WeakKeyDictionary()


def _target_key(t: Any) -> Any:
    return tuple(_target_key(x) for x in t) if isinstance(t, (list, tuple)) else t


def tape_loss_and_grads(
    model: Module,
    X: np.ndarray,
    targets: Sequence,
    loss_fn: LossFn,
    l2: float = 0.0,
) -> tuple[float, np.ndarray]:
    """The same as :func:`scalar_loss_and_grads`, computed by compiled tapes.

    One sample's loss graph is traced once per distinct target (a class label, a
    ±1 hinge label) with the inputs as tape inputs and the model's parameters as
    tape parameters (see :mod:`microgradx.tape`); each step replays it over the rows
    with that target as numpy arrays. The gradients equal the scalar engine's up to
    rounding. Dropout draws a new graph each step, so it needs the scalar engine.
    """
    from ..tape import compile as compile_tape

    if getattr(model, "dropout", 0.0) and model.training:
        raise ValueError(
            "engine='tape' replays one fixed graph and cannot apply dropout; "
            "use engine='scalar' or dropout=0"
        )
    params = model.parameters()
    cache = _TAPES.setdefault(model, {})
    groups: dict[Any, tuple[Any, Any]] = {}
    flat = np.asarray(targets) if len(targets) else None
    if flat is not None and flat.ndim == 1 and flat.dtype.kind in "fiu":  # numbers: vectorised
        keys, which = np.unique(flat, return_inverse=True)
        for i, key in enumerate(keys.tolist()):
            groups[key] = (key, np.flatnonzero(which == i))
    else:
        for k, t in enumerate(targets):
            groups.setdefault(_target_key(t), (t, []))[1].append(k)
    grads = np.zeros(len(params))
    total = 0.0
    for key, (t, rows) in groups.items():
        tape = cache.get((loss_fn, key))
        if tape is None or tape.params != params:
            xs = [Value(0.0, f"x{j}") for j in range(X.shape[1])]
            out = model(xs)
            loss = loss_fn([out] if isinstance(out, Value) else out, t)
            tape = cache[(loss_fn, key)] = compile_tape(loss, xs, params)
        g = tape.grad_batch(X[rows], reduce="sum")
        grads += g.params
        total += float(g.output.sum())
    # ∂J/∂p = (1/m)·Σₖ ∂Lₖ/∂p + 2·l2·p
    inv = 1.0 / len(X)
    grads *= inv
    if l2:
        grads += 2.0 * l2 * np.array([p.data for p in params])
    for p, grad in zip(params, grads.tolist()):
        p.grad += grad
    return total * inv, model.forward_batch(X).reshape(len(X), -1)


#: Engines by name: ``engine(model, X, targets, loss_fn, l2) -> (mean loss, outputs)``,
#: leaving ∂J/∂p added into every parameter's ``.grad``.
ENGINES: dict[str, Callable[..., tuple[float, np.ndarray]]] = {
    "scalar": scalar_loss_and_grads,
    "tape": tape_loss_and_grads,
}


# --- history ----------------------------------------------------------------------------


class History:
    """What happened in each epoch of :func:`fit`.

    ``history.records`` is a list of dicts, one per epoch, with keys ``epoch``,
    ``loss``, ``accuracy`` (``None`` for regression), ``lr``, ``seconds`` and, with
    validation data, ``val_loss`` and ``val_accuracy``. ``history["loss"]`` (or
    ``history.loss``) lists one key over the epochs. Saves to JSON.
    """

    def __init__(self, records: Iterable[dict] = (), info: dict | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records]
        self.info: dict[str, Any] = dict(info or {})
        self.stopped_early: int | None = self.info.get("stopped_early")

    def append(self, record: dict[str, Any]) -> None:
        self.records.append(dict(record))

    def __getitem__(self, key: str) -> list:
        if self.records and key not in self.records[0]:
            keys = ", ".join(self.records[0])
            raise KeyError(f"no {key!r} in the history; it has: {keys}")
        return [r.get(key) for r in self.records]

    def __len__(self) -> int:
        return len(self.records)

    @property
    def epochs(self) -> list[int]:
        return self["epoch"]

    @property
    def loss(self) -> list[float]:
        return self["loss"]

    @property
    def accuracy(self) -> list[float | None]:
        return self["accuracy"]

    @property
    def val_loss(self) -> list[float]:
        return self["val_loss"]

    @property
    def val_accuracy(self) -> list[float | None]:
        return self["val_accuracy"]

    @property
    def seconds(self) -> list[float]:
        return self["seconds"]

    @property
    def has_validation(self) -> bool:
        return bool(self.records) and "val_loss" in self.records[0]

    def to_dict(self) -> dict[str, Any]:
        info = dict(self.info, stopped_early=self.stopped_early)
        return {"format": "microgradx.history", "info": info, "epochs": self.records}

    def save(self, path: str | Path) -> Path:
        """Write the history as JSON; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(_jsonable(self.to_dict()), indent=1) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> History:
        """Read a history written by :meth:`save`."""
        try:
            doc = json.loads(Path(path).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != "microgradx.history":
            raise ValueError(f"{path}: not a microgradx history file")
        epochs = doc.get("epochs")
        if not isinstance(epochs, list) or not all(isinstance(r, dict) for r in epochs):
            raise ValueError(f"{path}: 'epochs' must be a list of objects")
        return cls(epochs, doc.get("info") or {})

    def summary(self) -> str:
        """One line: epochs, final loss and accuracy (and validation, if any)."""
        if not self.records:
            return "no epochs"
        last = self.records[-1]
        text = f"{len(self)} epochs, loss {last['loss']:.4g}"
        if last.get("accuracy") is not None:
            text += f", accuracy {last['accuracy']:.1%}"
        if "val_loss" in last:
            text += f", val_loss {last['val_loss']:.4g}"
            if last.get("val_accuracy") is not None:
                text += f", val_accuracy {last['val_accuracy']:.1%}"
        if self.stopped_early:
            text += f" (stopped early at epoch {self.stopped_early})"
        return text

    def __repr__(self) -> str:
        return f"History({self.summary()})"


def _jsonable(x: Any) -> Any:
    """Replace non-finite floats by None (strict JSON has no NaN)."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    return x


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
    """A tqdm bar when tqdm is installed, else one printed line per epoch, or nothing."""

    def __init__(self, epochs: int, enabled: bool, desc: str = "training") -> None:
        self.epochs = epochs
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
        parts = [f"loss {record['loss']:.4f}"]
        if record.get("accuracy") is not None:
            parts.append(f"accuracy {record['accuracy']:6.1%}")
        if "val_loss" in record:
            parts.append(f"val_loss {record['val_loss']:.4f}")
            if record.get("val_accuracy") is not None:
                parts.append(f"val_accuracy {record['val_accuracy']:6.1%}")
        if self.bar is not None:
            self.bar.set_postfix_str("  ".join(parts), refresh=False)
            self.bar.update(1)
        else:
            width = len(str(self.epochs))
            head = f"epoch {record['epoch']:>{width}}/{self.epochs}"
            print(f"{head}  " + "  ".join(parts) + f"  ({record['seconds']:.2f} s)")
            sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


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
    return cls(model.parameters()) if lr is None else cls(model.parameters(), lr=lr)


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
    engine: str = "scalar",
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
            (a Value graph per sample, the default for teaching) or ``"tape"``
            (one traced graph replayed over numpy batches: same gradients, much
            faster; no dropout).

    The reported ``loss`` and ``accuracy`` of an epoch are measured on the batches
    during the epoch (each batch before its update). The model trains in training
    mode and is left in evaluation mode (``model.eval()``) when ``fit`` returns.
    """
    if engine not in ENGINES:
        accepted = ", ".join(repr(e) for e in ENGINES)
        raise ValueError(f"unknown engine {engine!r}; accepted: {accepted}")
    step_fn = ENGINES[engine]
    if not isinstance(model, Module):
        raise TypeError(f"model must be a microgradx.nn Module, got {type(model).__name__}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be None (full batch) or a positive int, got {batch_size!r}"
        )
    if isinstance(l2, bool) or not isinstance(l2, (int, float)) or not l2 >= 0:
        raise ValueError(f"l2 must be a number >= 0, got {l2!r}")
    X, y = _check_data(model, X, y)
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
    monitor = None
    if early_stopping is not None:
        monitor = early_stopping.monitor or ("val_loss" if validation is not None else "loss")
        if monitor == "val_loss" and validation is None:
            raise ValueError("early stopping on 'val_loss' needs validation data")
    opt = _make_optimizer(optimizer, model, lr)
    callbacks = list(callbacks)
    rng = make_rng(seed)
    n = len(X)
    index = np.arange(n)
    history = History(
        info={"loss": task.loss_name, "optimizer": repr(opt), "engine": engine,
              "batch_size": batch_size, "l2": l2, "samples": n}
    )  # fmt: skip
    best, best_epoch, best_state = math.inf, 0, None
    bar = _Progress(epochs, progress)
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            model.train()
            loss_sum, correct = 0.0, 0
            lr_used = opt.lr
            for idx, _ in batches(index, index, batch_size, batch_size is not None, rng):
                opt.zero_grad()
                batch_loss, outputs = step_fn(
                    model, X[idx], [task.targets[i] for i in idx], task.loss_fn, l2
                )
                opt.step()
                loss_sum += batch_loss * len(idx)
                if task.classes is not None and task.decide is not None:
                    correct += int(np.sum(task.decide(outputs) == task.classes[idx]))
            record: dict[str, Any] = {
                "epoch": epoch,
                "loss": loss_sum / n,
                "accuracy": correct / n if task.classes is not None else None,
                "lr": lr_used,
            }
            if val_task is not None:
                model.eval()
                record["val_loss"], record["val_accuracy"] = _evaluate(model, Xv, val_task)
            record["seconds"] = time.perf_counter() - start
            history.append(record)
            bar.update(record)
            stop = False
            for cb in callbacks:
                if isinstance(cb, LRScheduler):
                    cb.step()
                elif cb(history) is True:
                    stop = True
            if early_stopping is not None:
                value = record[monitor]
                if value < best - early_stopping.min_delta:
                    best, best_epoch = value, epoch
                    if early_stopping.restore_best:
                        best_state = model.state_dict()
                elif epoch - best_epoch >= early_stopping.patience:
                    history.stopped_early = epoch
                    stop = True
            if stop:
                break
    finally:
        bar.close()
        model.eval()
    if best_state is not None and history.stopped_early:
        model.load_state_dict(best_state)
        history.info["restored_epoch"] = best_epoch
    return history


# --- predictions ----------------------------------------------------------------------------


def _output_activation(model: Module) -> str:
    act = getattr(model, "output_activation", None) or getattr(model, "activation", "linear")
    return act


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
        return _argmax(out)
    if threshold is None:
        threshold = 0.5 if _output_activation(model) == "sigmoid" else 0.0
    return _threshold(threshold)(out)


def accuracy(model: Module, X: np.ndarray, y: np.ndarray, threshold: float | None = None) -> float:
    """Fraction of rows whose predicted class equals the label (−1 labels count as class 0)."""
    y = np.asarray(y)
    pred = predict(model, X, threshold=threshold)
    if len(y) != len(pred):
        raise ValueError(f"X has {len(pred)} rows but y has {len(y)} labels")
    if model.nout == 1:
        y = (y > 0).astype(np.int64)
    return float(np.mean(pred == y))
