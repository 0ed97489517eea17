"""The history of a training run: one record per epoch, saved as JSON."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .._atomic import atomic_write

__all__ = ["MAX_SNAPSHOTS", "History"]

MAX_SNAPSHOTS = 200
"""The most weight snapshots a history keeps (``fit(..., record_every=k)``); past it the
older ones are thinned (every second one dropped), the newest kept."""


class History:
    """What happened in each epoch of :func:`~microgradx.nn.fit`.

    ``history.records`` is a list of dicts, one per epoch, with keys ``epoch``,
    ``loss``, ``accuracy`` (``None`` for regression), ``lr``, ``grad_norm`` (one L2
    norm per layer of that layer's parameter gradients ∂J/∂θ at the epoch's last
    step, input layer first), ``seconds`` and, with validation data, ``val_loss``
    and ``val_accuracy``. ``history["loss"]`` (or
    ``history.loss``) lists one key over the epochs. Saves to JSON.
    """

    def __init__(self, records: Iterable[dict] = (), info: dict | None = None) -> None:
        self.records: list[dict[str, Any]] = [dict(r) for r in records]
        self.info: dict[str, Any] = dict(info or {})
        self.stopped_early: int | None = self.info.get("stopped_early")
        #: ``{"epoch", "weights"}`` (a numpy array, in ``model.parameters()`` order) every
        #: ``record_every`` epochs; kept in memory, not saved
        self.snapshots: list[dict[str, Any]] = []
        #: the model the snapshots are of
        self.model: Any = None

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
        from ..viz.replay import replay  # the one place nn reaches the pages

        return replay(self, X, y, sample=sample, **options)

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
    def grad_norm(self) -> list[list[float]]:
        """Per epoch, the gradient's L2 norm for each layer (input layer first)."""
        return self["grad_norm"]

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
        """Write the history as JSON, atomically; returns the path."""
        text = json.dumps(_jsonable(self.to_dict()), indent=1) + "\n"
        return atomic_write(path, text)  # a failed write leaves the old file whole

    @classmethod
    def load(cls, path: str | Path) -> History:
        """Read a history written by :meth:`save`; a malformed file is a ``ValueError``."""
        try:
            doc = json.loads(Path(path).read_bytes().decode("utf-8"))
        except RecursionError:
            raise ValueError(f"{path}: not valid JSON: nested too deeply") from None
        except ValueError as exc:  # not JSON, not UTF-8, an integer of thousands of digits
            raise ValueError(f"{path}: not valid JSON: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != "microgradx.history":
            raise ValueError(f"{path}: not a microgradx history file")
        epochs = doc.get("epochs")
        if not isinstance(epochs, list) or not all(isinstance(r, dict) for r in epochs):
            raise ValueError(f"{path}: 'epochs' must be a list of objects")
        info = doc.get("info") or {}
        if not isinstance(info, dict):
            raise ValueError(f"{path}: 'info' must be an object")
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
