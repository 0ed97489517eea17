"""Training runs that write their results to a directory (the ``train`` command).

:func:`train_toy` trains an MLP on one of the toy 2-D datasets and writes
``model.json``, ``history.json`` and, with matplotlib, ``loss.png`` and
``boundary.png``; :func:`save_run` writes those files for any trained model.
"""

from __future__ import annotations

import errno
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import nn
from ._atomic import atomic_dir
from ._checks import positive_int
from ._compat import renamed_keywords
from .engine import Value, no_grad
from .nn.backends import check_backend
from .nn.history import check_epochs

__all__ = [
    "MAX_SAMPLES",
    "RUN_FILES",
    "Scores",
    "ToyRun",
    "final_scores",
    "prepare_output",
    "save_run",
    "train_toy",
    "write_run_files",
]

#: The files :func:`save_run` writes into a run's directory.
RUN_FILES = ("model.json", "history.json", "loss.png", "boundary.png")

MAX_SAMPLES = 1_000_000
"""The most points a toy dataset may have."""


def prepare_output(out: Path, names: Sequence[str] = RUN_FILES) -> Path:
    """Check that a run can be written into the directory ``out`` (not created yet).

    Raises ``OSError`` (e.g. ``NotADirectoryError``, ``IsADirectoryError``) before any
    work is done, rather than after a long run. The directory itself is made only
    when the run is complete (:func:`save_run`), so a failed run leaves none behind.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "exists and is not a directory", str(out))
    for name in names:
        path = out / name
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    folder = out.absolute().parent  # where the run is staged; it or its nearest ancestor
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is not a directory", str(folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "cannot write files there", str(folder))
    return out


def _check_number(name: str, x: object, low: float = 0.0) -> None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    if x < low:
        raise ValueError(f"{name} must be >= {low:g}, got {x!r}")


@dataclass(frozen=True)
class Scores:
    """How a trained model does on its training data, each number computed once.

    ``objective`` is what training minimises, J = data loss + L2 term, with the data
    loss (1/m)·Σₖ loss(model(xₖ), tₖ) and the L2 term l2·Σ p² beside it.
    """

    loss: str
    data_loss: float
    l2_term: float
    accuracy: float

    @property
    def objective(self) -> float:
        return self.data_loss + self.l2_term

    def lines(self) -> list[str]:
        """The scores as the commands print them (the final model on all training data)."""
        return [
            f"final objective J = {self.loss} loss + L2 term = {self.data_loss:.4f} + "
            f"{self.l2_term:.4f} = {self.objective:.4f}",
            f"final training accuracy: {self.accuracy:.1%}",
        ]


def final_scores(model: nn.Module, X: np.ndarray, y: np.ndarray, loss: str, l2: float) -> Scores:
    """The objective (data loss + L2 term) and accuracy of ``model`` on ``X``, ``y``."""
    task = nn.make_task(loss, model, y)
    outputs = nn.predict(model, X, raw=True).tolist()
    with no_grad():
        total = sum(task.loss_fn([Value(o) for o in row], t).data
                    for row, t in zip(outputs, task.targets))  # fmt: skip
    penalty = l2 * sum(p.data * p.data for p in model.parameters())
    return Scores(loss, total / len(X), penalty, nn.accuracy(model, X, y))


@dataclass
class ToyRun:
    """What :func:`train_toy` made: the model, its history, final scores and files."""

    model: nn.MLP
    history: nn.History
    scores: Scores
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def write_run_files(
    model: nn.Module, history: nn.History, X: np.ndarray, y: np.ndarray, folder: Path
) -> tuple[list[Path], list[str]]:
    """Write model.json, history.json, loss.png and boundary.png into ``folder`` as is.

    Returns the files written and notes for the reader (plots are skipped, with a
    note saying what to install, when matplotlib is missing).
    """
    files = [model.save(folder / "model.json"), history.save(folder / "history.json")]
    notes: list[str] = []
    try:
        from . import plot

        plot.loss_curve(history, path=folder / "loss.png")
        files.append(folder / "loss.png")
        plot.decision_boundary(model, X, y, path=folder / "boundary.png")
        files.append(folder / "boundary.png")
    except ImportError as exc:
        notes.append(f"no plots: {exc}")
    return files, notes


def save_run(
    model: nn.Module, history: nn.History, X: np.ndarray, y: np.ndarray, out: Path
) -> tuple[list[Path], list[str]]:
    """Write a run (see :func:`write_run_files`) into the directory ``out`` as a whole.

    The files go to a temporary sibling folder that replaces ``out`` only when all are
    written: a failure (a full disk, an interrupt) leaves the previous run in ``out``
    untouched, or no ``out`` at all. Other files a user keeps in ``out`` stay.
    Returns the files (their final paths) and notes.
    """
    out = Path(out)
    with atomic_dir(out, RUN_FILES) as folder:
        files, notes = write_run_files(model, history, X, y, folder)
    return [out / f.name for f in files], notes


@renamed_keywords(engine="backend")  # the old name still works, with a DeprecationWarning
def train_toy(
    out: Path,
    dataset: str = "moons",
    samples: int = 100,
    noise: float | None = None,
    hidden: Sequence[int] = (16, 16),
    activation: str = "tanh",
    loss: str | None = None,
    epochs: int = 100,
    optimizer: str = "sgd",
    lr: float = 0.1,
    batch_size: int | None = 10,
    l2: float = 1e-4,
    seed: int = 0,
    backend: str = "auto",
    progress: bool = True,
    replay: str | Path | None = None,
) -> ToyRun:
    """Train an MLP on a toy dataset (see :data:`~microgradx.nn.DATASETS`); save to ``out``.

    Two classes use one output and hinge loss, more classes one output per class and
    cross-entropy (unless ``loss`` says otherwise). Every argument is checked, and
    ``out`` checked (:func:`prepare_output`), before anything is printed
    or written: ``ValueError`` for arguments the library refuses, ``OSError`` for an
    output directory that cannot take the files. Then prints the dataset and the
    model, trains and saves (the whole run at once, see :func:`save_run`).

    ``replay``: also write a page replaying the training (``History.replay``, with
    snapshots every ``epochs // 100`` epochs, at least every epoch) to this path.
    """
    if dataset not in nn.DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; choose one of: {', '.join(nn.DATASETS)}")
    samples = positive_int("samples", samples, MAX_SAMPLES)  # Python ints: they are saved
    epochs = check_epochs(epochs)
    if batch_size is not None:
        batch_size = positive_int("batch_size", batch_size)
    _check_number("l2", l2)
    _check_number("lr", lr)
    check_backend(backend)
    if optimizer not in nn.OPTIMIZERS:
        raise ValueError(
            f"unknown optimizer {optimizer!r}; choose one of: {', '.join(nn.OPTIMIZERS)}"
        )
    make = nn.DATASETS[dataset]
    kwargs: dict[str, Any] = {"n_samples": samples, "seed": seed}
    if noise is not None:
        kwargs["std" if dataset == "blobs" else "noise"] = noise
    X, y = make(**kwargs)
    n_classes = int(y.max()) + 1
    loss = loss or ("hinge" if n_classes == 2 else "cross_entropy")
    nout = n_classes if loss == "cross_entropy" or n_classes > 2 else 1
    model = nn.MLP(2, [*hidden, nout], activation=activation, seed=seed)
    nn.make_task(loss, model, y)  # the loss suits the labels and the model
    opt = nn.OPTIMIZERS[optimizer](model.parameters(), lr=lr)  # checks lr
    prepare_output(out)
    print(f"{dataset}: {len(X)} points, {n_classes} classes; loss {loss}")
    print(model)
    history = nn.fit(
        model, X, y, loss=loss, optimizer=opt, epochs=epochs,
        batch_size=batch_size, l2=l2, seed=seed, backend=backend, progress=progress,
        record_every=max(1, epochs // 100) if replay is not None else None,
    )  # fmt: skip
    scores = final_scores(model, X, y, loss, l2)
    files, notes = save_run(model, history, X, y, out)
    if replay is not None:
        files.append(history.replay(X, y, sample=0).save(replay))
    return ToyRun(model, history, scores, files, notes)
