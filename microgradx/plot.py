"""Plots for training: loss curves, decision boundaries, comparisons (matplotlib).

matplotlib is optional and imported only when a plot is made; without it these
functions raise ``ImportError`` saying ``pip install "microgradx[plot]"``.

Each function returns a ``matplotlib.figure.Figure`` (Jupyter shows it) and, given
``path``, also saves it (the format follows the suffix: ``.png``, ``.svg``, ``.pdf``).
Figures are made without pyplot, so nothing pops up and nothing is shown twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ._atomic import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .nn.history import History
    from .nn.module import Module

__all__ = ["compare", "decision_boundary", "gradient_norms", "loss_curve"]

INSTALL = 'plots need matplotlib: pip install "microgradx[plot]"'


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(INSTALL) from None
    return Figure(**kwargs)


def _format(path: str | Path) -> str | None:
    """The image format named by ``path``'s suffix (``None``: the library's default)."""
    return Path(path).suffix[1:].lower() or None


def _save(fig: Figure, path: str | Path | None) -> Figure:
    if path is not None:
        with atomic_path(path) as temporary:  # a failed save leaves the old file whole
            fig.savefig(temporary, dpi=120, bbox_inches="tight", format=_format(path))
    return fig


def _percent(fractions: list[float | None]) -> list[float]:
    """Fractions as percentages; an epoch without a value is a gap (NaN)."""
    return [math.nan if a is None else 100 * a for a in fractions]


def loss_curve(history: History, path: str | Path | None = None, title: str = "") -> Figure:
    """Loss per epoch (and accuracy, when known), training and validation.

    Left panel: loss; right panel: accuracy (only for classification).
    """
    if not len(history):
        raise ValueError("the history has no epochs to plot")
    has_acc = history.accuracy[-1] is not None
    fig = _figure(figsize=(9.0 if has_acc else 5.0, 3.6), layout="constrained")
    axes = fig.subplots(1, 2 if has_acc else 1, squeeze=False)[0]
    epochs = history.epochs
    ax = axes[0]
    ax.plot(epochs, history.loss, label="training")
    if history.has_validation:
        ax.plot(epochs, history.val_loss, label="validation")
        ax.legend()
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"loss ({history.info.get('loss', '')})".replace(" ()", ""))
    ax.set_title(title or "loss")
    ax.grid(alpha=0.3)
    if has_acc:
        ax = axes[1]
        ax.plot(epochs, _percent(history.accuracy), label="training")
        if history.has_validation and history.val_accuracy[-1] is not None:
            ax.plot(epochs, _percent(history.val_accuracy), label="validation")
            ax.legend()
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy (%)")
        ax.set_ylim(0, 101)
        ax.set_title(f"accuracy: {history.accuracy[-1]:.1%} at the end")
        ax.grid(alpha=0.3)
    return _save(fig, path)


def decision_boundary(
    model: Module,
    X: np.ndarray,
    y: np.ndarray,
    path: str | Path | None = None,
    resolution: int = 200,
    title: str = "",
) -> Figure:
    """The classes ``model`` predicts over the plane, with the data on top.

    Two-dimensional inputs only. The background shows the predicted class at each
    point of a ``resolution × resolution`` grid; with one output the model's score is
    also drawn as a contour at the decision threshold (the boundary itself).
    """
    from .nn.train import accuracy, predict

    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2 or model.nin != 2:
        raise ValueError(f"decision_boundary needs 2-D inputs (n, 2), got {X.shape}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    pad = 0.25 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    classes = predict(model, grid).reshape(gx.shape)
    labels = (y > 0).astype(int) if model.nout == 1 else y.astype(int)
    k = max(2, model.nout, int(labels.max()) + 1)
    fig = _figure(figsize=(5.0, 4.2), layout="constrained")
    ax = fig.subplots()
    cmap = "coolwarm" if k == 2 else "tab10"
    ax.contourf(gx, gy, classes, levels=np.arange(k + 1) - 0.5, cmap=cmap, alpha=0.35,
                vmin=0, vmax=k - 1 if k == 2 else 9)  # fmt: skip
    if model.nout == 1:
        from .nn.task import default_threshold

        scores = predict(model, grid, raw=True)[:, 0].reshape(gx.shape)
        cut = default_threshold(model)
        if scores.min() < cut < scores.max():
            ax.contour(gx, gy, scores, levels=[cut], colors="k", linewidths=1.2)
    ax.scatter(X[:, 0], X[:, 1], c=labels, cmap=cmap, vmin=0, vmax=k - 1 if k == 2 else 9,
               edgecolors="k", linewidths=0.6, s=28)  # fmt: skip
    acc = accuracy(model, X, labels if model.nout > 1 else y)
    ax.set_title(title or f"decision boundary (accuracy {acc:.1%})")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    return _save(fig, path)


def compare(
    histories: Mapping[str, History] | Sequence[History],
    metric: str = "loss",
    path: str | Path | None = None,
    title: str = "",
) -> Figure:
    """One curve per run for ``metric`` (``loss``, ``accuracy``, ``val_loss``, …).

    ``histories`` is ``{"SGD": h1, "Adam": h2}`` or a list (named run 1, run 2, …).
    """
    if not isinstance(histories, Mapping):
        histories = {f"run {i + 1}": h for i, h in enumerate(histories)}
    if not histories:
        raise ValueError("compare needs at least one history")
    fig = _figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for name, h in histories.items():
        values = h[metric]
        if any(v is None for v in values):
            raise ValueError(f"history {name!r} has no {metric!r} values")
        scale = 100 if "accuracy" in metric else 1
        ax.plot(h.epochs, [scale * v for v in values], label=str(name))
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric + (" (%)" if "accuracy" in metric else ""))
    ax.set_title(title or f"{metric} by epoch")
    ax.grid(alpha=0.3)
    ax.legend()
    return _save(fig, path)


def gradient_norms(
    history: History,
    path: str | Path | None = None,
    title: str = "",
    log: bool = True,
) -> Figure:
    """The gradient's L2 norm per layer and epoch: one curve per layer.

    Reads ``history.grad_norm`` (see :class:`~microgradx.nn.History`; epochs without
    norms are left out). On the default
    log scale, curves that sit decades apart show vanishing (or exploding) gradients;
    a norm of exactly 0 (a layer whose units are all dead) leaves a gap.
    """
    if not len(history):
        raise ValueError("the history has no epochs to plot")
    try:
        norms = history.grad_norm
    except KeyError:
        raise ValueError("the history has no 'grad_norm' (it predates gradient norms)") from None
    rows = [(e, row) for e, row in zip(history.epochs, norms) if row is not None]
    if not rows:
        raise ValueError("the history has no gradient norms (fit(grad_norm_every=None))")
    n_layers = len(rows[0][1])
    fig = _figure(figsize=(5.5, 3.6), layout="constrained")
    ax = fig.subplots()
    for i in range(n_layers):
        values = [row[i] if row[i] is not None else math.nan for _, row in rows]
        if log:
            values = [v if v > 0 else math.nan for v in values]
        ax.plot([e for e, _ in rows], values, label=f"layer {i + 1}")
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("‖∂J/∂θ‖ of the layer")
    ax.set_title(title or "gradient norm per layer (layer 1 next to the input)")
    ax.grid(alpha=0.3)
    ax.legend(ncol=2 if n_layers > 4 else 1, fontsize="small")
    return _save(fig, path)
