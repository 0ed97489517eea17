"""Training runs that write their results to a directory (the ``train`` command).

:func:`train_toy` trains an MLP on one of the toy 2-D datasets and writes
``model.json``, ``history.json`` and, with matplotlib, ``loss.png`` and
``boundary.png``; :func:`save_run` writes those files for any trained model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import nn

__all__ = ["ToyRun", "save_run", "train_toy"]


@dataclass
class ToyRun:
    """What :func:`train_toy` made: the model, its history, accuracy and files."""

    model: nn.MLP
    history: nn.History
    accuracy: float
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def save_run(
    model: nn.Module, history: nn.History, X: np.ndarray, y: np.ndarray, out: Path
) -> tuple[list[Path], list[str]]:
    """Write model.json, history.json, loss.png and boundary.png into ``out``.

    Returns the files written and notes for the reader (plots are skipped, with a
    note saying what to install, when matplotlib is missing).
    """
    files = [model.save(out / "model.json"), history.save(out / "history.json")]
    notes: list[str] = []
    try:
        from . import plot

        plot.loss_curve(history, path=out / "loss.png")
        files.append(out / "loss.png")
        plot.decision_boundary(model, X, y, path=out / "boundary.png")
        files.append(out / "boundary.png")
    except ImportError as exc:
        notes.append(f"no plots: {exc}")
    return files, notes


def train_toy(
    out: Path,
    dataset: str = "moons",
    samples: int = 100,
    noise: float | None = None,
    hidden: Sequence[int] = (16, 16),
    activation: str = "relu",
    loss: str | None = None,
    epochs: int = 100,
    optimizer: str = "sgd",
    lr: float = 0.1,
    batch_size: int | None = 10,
    l2: float = 1e-4,
    seed: int = 0,
    engine: str = "scalar",
    progress: bool = True,
) -> ToyRun:
    """Train an MLP on a toy dataset (see :data:`~microgradx.nn.DATASETS`); save to ``out``.

    Two classes use one output and hinge loss, more classes one output per class and
    cross-entropy (unless ``loss`` says otherwise). Prints the dataset and the model
    before training. Raises ``ValueError`` for arguments the library refuses.
    """
    make = nn.DATASETS[dataset]
    kwargs: dict[str, Any] = {"n_samples": samples, "seed": seed}
    if noise is not None:
        kwargs["std" if dataset == "blobs" else "noise"] = noise
    X, y = make(**kwargs)
    n_classes = int(y.max()) + 1
    loss = loss or ("hinge" if n_classes == 2 else "cross_entropy")
    nout = n_classes if loss == "cross_entropy" or n_classes > 2 else 1
    model = nn.MLP(2, [*hidden, nout], activation=activation, seed=seed)
    print(f"{dataset}: {len(X)} points, {n_classes} classes; loss {loss}")
    print(model)
    history = nn.fit(
        model, X, y, loss=loss, optimizer=optimizer, lr=lr, epochs=epochs,
        batch_size=batch_size, l2=l2, seed=seed, engine=engine, progress=progress,
    )  # fmt: skip
    acc = nn.accuracy(model, X, y)
    files, notes = save_run(model, history, X, y, out)
    return ToyRun(model, history, acc, files, notes)
