"""The history of a training run: one record per epoch, saved as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write
from .._checks import positive_int
from .serialize import read_json

__all__ = ["MAX_EPOCHS", "MAX_HISTORY_ITEMS", "MAX_SNAPSHOTS", "History", "check_epochs"]

MAX_EPOCHS = 100_000
"""The most epochs one training run may ask for: each adds a record to the history,
kept in memory and saved (and a scalar engine takes hours for far fewer)."""


def check_epochs(epochs: object) -> int:
    """``epochs`` if it is an int from 1 to :data:`MAX_EPOCHS`, else a ``ValueError``."""
    epochs = positive_int("epochs", epochs)
    if epochs > MAX_EPOCHS:
        raise ValueError(
            f"epochs must be at most {MAX_EPOCHS:,}, got {epochs:,}: each epoch adds a "
            "record to the history, kept in memory and saved"
        )
    return epochs


MAX_HISTORY_ITEMS = 20 * MAX_EPOCHS
"""The most JSON values a history file may hold (about 20 per epoch of a deep network);
counted before parsing, so a hostile file cannot fill memory."""

MAX_SNAPSHOTS = 200
"""The most weight snapshots a history keeps (``fit(..., record_every=k)``); past it the
older ones are thinned (every second one dropped), the newest kept."""


class History:
    """What happened in each epoch of :func:`~microgradx.nn.fit`.

    ``history.records`` is a list of dicts, one per epoch, with keys ``epoch``,
    ``loss``, ``accuracy`` (``None`` for regression), ``lr``, ``grad_norm`` (one L2
    norm per layer of that layer's parameter gradients ∂J/∂θ at the epoch's last
    step, input layer first; ``None`` in epochs ``fit(grad_norm_every=k)`` skips),
    ``seconds`` and, with validation data, ``val_loss``
    and ``val_accuracy``. ``stop_reason`` says why the run ended (``"epochs"``,
    ``"tol"``, ``"early_stopping"`` or ``"callback"``). ``history["loss"]`` (or
    ``history.loss``) lists one key over the epochs. Saves to JSON.
    """

    def __init__(self, records: Iterable[dict] = (), info: dict | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records]
        self.info: dict[str, Any] = dict(info or {})
        self.stopped_early: int | None = self.info.get("stopped_early")
        #: why training ended: "epochs", "tol", "early_stopping" or "callback"
        self.stop_reason: str | None = self.info.get("stop_reason")
        #: ``{"epoch", "weights"}`` (a numpy array, in ``model.parameters()`` order) every
        #: ``record_every`` epochs; kept in memory, not saved
        self.snapshots: list[dict[str, Any]] = []
        #: the model the snapshots are of, and the loss ``fit`` trained it with
        self.model: Any = None
        self.trained_loss: Any = None

    def snapshot(self, epoch: int, model: Any) -> None:
        """Keep ``model``'s weights after ``epoch``; at most :data:`MAX_SNAPSHOTS`.

        Past the limit every second older snapshot is dropped (the newest is kept), so
        a long run keeps its whole span, more sparsely the further back it goes.
        """
        self.model = model
        params = model.parameters()
        weights = np.fromiter((p.data for p in params), dtype=float, count=len(params))
        self.snapshots.append({"epoch": epoch, "weights": weights})
        if len(self.snapshots) > MAX_SNAPSHOTS:
            self.snapshots = [*self.snapshots[:-1][::2], self.snapshots[-1]]

    def replay(self, X: Any, y: Any, sample: int = 0, **options: Any) -> Any:
        """A page replaying the recorded epochs (see :func:`microgradx.viz.replay.replay`)."""
        from ..viz.replay import replay  # the pages, imported on first use
        from .task import make_task, predict

        def task_for(labels: Any) -> Any:  # the loss fit trained with, for these labels
            return make_task(self.trained_loss, self.model, labels)

        return replay(self, X, y, classify=predict, task_for=task_for, sample=sample, **options)

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
    def grad_norm(self) -> list[list[float] | None]:
        """Per epoch, the gradient's L2 norm for each layer (input layer first), or
        ``None`` for an epoch without them (see ``fit``'s ``grad_norm_every``)."""
        return self["grad_norm"]

    @property
    def seconds(self) -> list[float]:
        return self["seconds"]

    @property
    def has_validation(self) -> bool:
        return bool(self.records) and "val_loss" in self.records[0]

    def to_dict(self) -> dict[str, Any]:
        info = dict(self.info, stopped_early=self.stopped_early, stop_reason=self.stop_reason)
        return {"format": "microgradx.history", "info": info, "epochs": self.records}

    def save(self, path: str | Path) -> Path:
        """Write the history as JSON, atomically; returns the path."""
        text = json.dumps(_jsonable(self.to_dict()), indent=1) + "\n"
        return atomic_write(path, text)  # a failed write leaves the old file whole

    @classmethod
    def load(cls, path: str | Path) -> History:
        """Read a history written by :meth:`save`; a malformed file is a ``ValueError``.

        The limits of model files apply (:func:`~microgradx.nn.serialize.read_json`): a
        regular file of at most ``MAX_FILE_BYTES`` bytes, at most
        :data:`MAX_HISTORY_ITEMS` values, checked before anything is parsed.
        """
        doc = read_json(path, "history file", MAX_HISTORY_ITEMS)
        if not isinstance(doc, dict) or doc.get("format") != "microgradx.history":
            raise ValueError(f"{path}: not a microgradx history file")
        epochs = doc.get("epochs")
        if not isinstance(epochs, list) or not all(isinstance(r, dict) for r in epochs):
            raise ValueError(f"{path}: 'epochs' must be a list of objects")
        info = doc.get("info") or {}
        if not isinstance(info, dict):
            raise ValueError(f"{path}: 'info' must be an object")
        if "engine" in info and "backend" not in info:  # written when "backend" was "engine"
            info["backend"] = info.pop("engine")
        return cls(epochs, info)

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
        elif self.stop_reason == "tol":
            text += f" (gradient norm below tol={self.info.get('tol')})"
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
