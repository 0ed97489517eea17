"""Watching training: a page with a slider over the epochs ``fit(..., record_every=k)`` kept.

At each recorded epoch the page shows the loss curve so far, the decision boundary (for
two inputs) with the data points, and one sample's network: each neuron's activation and
each weight, with the weight's gradient ∂L/∂w for that sample's loss L, the loss the
model was trained with (hinge, cross-entropy, …; the L2 term aside). The page
carries the numbers only (the boundary as one class digit per grid cell); its script
(``static/replay.js``) draws them, so it grows linearly with snapshots × (grid + weights).
It registers in ``window.microgradx.pages`` like the lesson page: ``frames`` (the
snapshots), ``go(k)`` and ``state()`` → ``{phase: "replay", index, epoch, loss}``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import positive_int
from ..engine import Value
from .lesson import DEFAULT_MAX_BYTES
from .page import HtmlPage, _static, fill_page, script_json

__all__ = ["GRID", "ReplayPage", "replay"]

#: Cells per side of the decision-boundary grid.
GRID = 40


def _short(x: float) -> float | None:
    """A number with 4 significant digits (JSON ``null`` when not finite)."""
    return float(f"{x:.4g}") if np.isfinite(x) else None


class ReplayPage(HtmlPage):
    """The replay page: inline in Jupyter, ``.save(path)`` to a file.

    Attributes:
        html: the self-contained page.
        epochs: the recorded epochs, one frame each.
    """

    what = "replay"

    def __init__(self, html: str, epochs: list[int], height: int = 620) -> None:
        super().__init__(html, height)
        self.epochs = epochs

    def __len__(self) -> int:
        return len(self.epochs)

    def __repr__(self) -> str:
        return f"<ReplayPage of {len(self)} snapshots, epochs {self.epochs[0]}-{self.epochs[-1]}>"


def _sample_figure(
    model: Any, x: np.ndarray, sample_loss: Callable[[list[Value]], Value]
) -> dict[str, Any]:
    """Activations per layer and, per weight, its value and ∂L/∂w for one sample."""
    for p in model.parameters():
        p.grad = 0.0
    a: list[Value] = [Value(float(v)) for v in x]
    acts = [[_short(v.data) for v in a]]
    for layer in model.layers:
        a = layer._forward(a)
        acts.append([_short(v.data) for v in a])
    loss = sample_loss(a)
    loss.backward()
    weights, grads = [], []
    for layer in model.layers:
        weights.append([[_short(w.data) for w in n.w] for n in layer.neurons])
        grads.append([[_short(w.grad) for w in n.w] for n in layer.neurons])
    return {"a": acts, "w": weights, "g": grads, "L": _short(loss.data)}


def replay(
    history: Any,
    X: Any,
    y: Any,
    *,
    classify: Callable[[Any, np.ndarray], np.ndarray],
    task_for: Callable[[np.ndarray], Any],
    sample: int = 0,
    delay: float = 0.5,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ReplayPage:
    """The replay page of ``history`` (``fit(..., record_every=k)``) on data ``(X, y)``.

    Args:
        history: a :class:`~microgradx.nn.History` with snapshots.
        X, y: the data (points and labels) shown with the boundary; two inputs draw
            the boundary, others the loss and the network only.
        classify: ``classify(model, points)`` -> each point's class (the boundary):
            ``History.replay`` passes :func:`microgradx.nn.predict`.
        task_for: ``task_for(y)`` -> the task the model was trained with, for these
            labels (``loss_fn``, ``loss_name`` and each sample's ``targets``, as
            :func:`microgradx.nn.make_task` gives): the sample's loss L and its target.
        sample: the row of ``X`` whose network figure is shown.
        delay: seconds per snapshot when playing.
        max_bytes: refuse a page larger than this.
    """
    from .lesson import check_delay

    snapshots = getattr(history, "snapshots", None)
    model = getattr(history, "model", None)
    if not snapshots or model is None:
        raise ValueError(
            "the history has no snapshots to replay: train with fit(..., record_every=k)"
        )
    if not hasattr(model, "layers"):
        raise TypeError(f"replay draws an MLP's layers; got {type(model).__name__}")
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != model.nin or len(X) != len(y) or not len(X):
        raise ValueError(f"X must have shape (n, {model.nin}) and y n labels; got {X.shape}")
    if (
        isinstance(sample, bool)
        or not isinstance(sample, (int, np.integer))
        or not 0 <= sample < len(X)
    ):
        raise ValueError(f"sample must be a row of X, 0 to {len(X) - 1}; got {sample!r}")
    sample = int(sample)  # kept in the page's data
    max_bytes = positive_int("max_bytes", max_bytes)
    delay = check_delay(delay)
    work = copy.deepcopy(model)  # the trained model keeps its weights
    work.eval()
    params = work.parameters()
    task = task_for(y)
    target = task.targets[sample]

    def sample_loss(outputs: list[Value]) -> Value:
        return task.loss_fn(outputs, target)

    shown_target = np.ravel(np.asarray(target, dtype=float))
    boundary: dict[str, Any] | None = None
    if X.shape[1] == 2:
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.1 * (hi - lo) + 1e-9
        lo, hi = lo - pad, hi + pad
        xs = np.linspace(lo[0], hi[0], GRID)
        ys = np.linspace(hi[1], lo[1], GRID)  # top row first
        grid = np.array([[gx, gy] for gy in ys for gx in xs])
        classes = [int(c) for c in np.unique(predict_classes(y))]
        boundary = {"n": GRID, "x0": lo[0], "x1": hi[0], "y0": lo[1], "y1": hi[1],
                    "points": [[_short(a), _short(b), int(c)]
                               for (a, b), c in zip(X.tolist(), predict_classes(y))],
                    "classes": classes, "cells": []}  # fmt: skip
    frames = []
    for snap in snapshots:
        for p, w in zip(params, snap["weights"].tolist()):
            p.data = w
        frame = {"epoch": snap["epoch"], "net": _sample_figure(work, X[sample], sample_loss)}
        if boundary is not None:
            cells = classify(work, grid)
            boundary["cells"].append("".join(str(int(c) % 10) for c in cells))
        frames.append(frame)
    records = history.records
    data = {
        "epochs": [r["epoch"] for r in records],
        "loss": [_short(r["loss"]) for r in records],
        "frames": frames,
        "boundary": boundary,
        "sample": sample,
        "x": [_short(v) for v in X[sample]],
        "target": [_short(float(t)) for t in shown_target],
        "lossName": task.loss_name,
        "delay": round(delay * 1000),
    }
    parts = {
        "title": f"Training, replayed: {len(frames)} snapshots",
        "css": _static("lesson.css") + _static("replay.css"),
        "js": _static("replay.js"),
        "data": script_json(data),
    }
    page = fill_page("replay.html", parts)
    size = len(page.encode("utf-8"))
    if size > max_bytes:
        raise ValueError(
            f"the replay page would be {size:,} bytes, more than max_bytes={max_bytes:,}; "
            "record fewer snapshots (a larger record_every) or pass a larger max_bytes"
        )
    return ReplayPage(page, [f["epoch"] for f in frames])


def predict_classes(y: np.ndarray) -> list[int]:
    """Labels as class numbers: −1/1 labels (hinge) as 0/1, others as they are."""
    y = np.asarray(y)
    if set(np.unique(y).tolist()) <= {-1, 1}:
        return [1 if v > 0 else 0 for v in y]
    return [int(v) for v in y]
