"""Toy datasets for classification, made with numpy, seeded and reproducible.

Every ``make_*`` function returns ``(X, y)``: ``X`` a float array of shape
``(n_samples, 2)`` and ``y`` an int array of class labels ``0 … k−1``. The same
``seed`` always gives the same data. :func:`batches` cuts a dataset into
(shuffled) mini-batches; :func:`augment` adds jittered, flipped and rotated copies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from numbers import Real

import numpy as np

from .init import Seed, make_rng

__all__ = [
    "DATASETS",
    "augment",
    "batches",
    "make_blobs",
    "make_circles",
    "make_moons",
    "make_spirals",
    "make_xor",
]


def _n(name: str, n: object, low: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < low:
        raise ValueError(f"{name} must be an int >= {low}, got {n!r}")
    return int(n)


def _noise(noise: object) -> float:
    if isinstance(noise, bool) or not isinstance(noise, Real) or not float(noise) >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return float(noise)


def _finish(
    X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Add Gaussian noise N(0, noise²) to every coordinate and shuffle the rows."""
    if noise:
        X = X + rng.normal(0.0, noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order].astype(float), y[order].astype(np.int64)


def _split(n_samples: int, k: int) -> list[int]:
    """Sizes of k classes as equal as possible (the first ones get the remainder)."""
    return [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: class 0 on top, class 1 below, shifted right.

    Class 0: (cos t, sin t); class 1: (1 − cos t, ½ − sin t), t ∈ [0, π].
    Not linearly separable: a linear model fails, a small MLP succeeds.
    """
    n_samples, noise, rng = _n("n_samples", n_samples, 2), _noise(noise), make_rng(seed)
    n0, n1 = _split(n_samples, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.vstack([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)]),
    ])  # fmt: skip
    y = np.repeat([0, 1], [n0, n1])
    return _finish(X, y, noise, rng)


def make_circles(
    n_samples: int = 100, noise: float = 0.05, factor: float = 0.5, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """A circle of radius ``factor`` (class 1) inside a circle of radius 1 (class 0)."""
    n_samples, noise, rng = _n("n_samples", n_samples, 2), _noise(noise), make_rng(seed)
    if isinstance(factor, bool) or not isinstance(factor, Real) or not 0 < factor < 1:
        raise ValueError(f"factor must be in (0, 1), got {factor!r}")
    n0, n1 = _split(n_samples, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.vstack([
        np.column_stack([np.cos(t0), np.sin(t0)]),
        factor * np.column_stack([np.cos(t1), np.sin(t1)]),
    ])  # fmt: skip
    y = np.repeat([0, 1], [n0, n1])
    return _finish(X, y, noise, rng)


def make_blobs(
    n_samples: int = 100,
    centers: int | np.ndarray = 3,
    std: float = 1.0,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters N(cₖ, std²·I), one class per centre.

    ``centers`` is a number of clusters (centres drawn uniformly from [−5, 5]²) or
    an array of shape ``(k, 2)``.
    """
    n_samples, rng = _n("n_samples", n_samples), make_rng(seed)
    std = _noise(std)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        C = rng.uniform(-5.0, 5.0, size=(_n("centers", centers), 2))
    else:
        C = np.asarray(centers, dtype=float)
        if C.ndim != 2 or C.shape[1] != 2 or len(C) < 1:
            raise ValueError(f"centers must be an int or an array of shape (k, 2), got {C.shape}")
    sizes = _split(n_samples, len(C))
    X = np.repeat(C, sizes, axis=0)
    y = np.repeat(np.arange(len(C)), sizes)
    return _finish(X, y, std, rng)


def make_xor(
    n_samples: int = 4, noise: float = 0.0, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: the corners of the unit square, label x₁ XOR x₂.

    With the defaults, the four rows of the truth table (0,0)→0, (0,1)→1, (1,0)→1,
    (1,1)→0, in that order. More samples repeat the corners (with ``noise``) and
    shuffle them.
    """
    n_samples, noise, rng = _n("n_samples", n_samples), _noise(noise), make_rng(seed)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    idx = np.arange(n_samples) % 4
    X, y = corners[idx], labels[idx]
    if n_samples == 4 and not noise:
        return X.astype(float), y.astype(np.int64)
    return _finish(X, y, noise, rng)


def make_spirals(
    n_samples: int = 100, n_classes: int = 2, noise: float = 0.1, seed: Seed = None
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one per class: r ∈ [0, 1], angle growing with r.

    Arm k: r = linspace(0, 1), θ = 4r + 2πk/K (+ noise on θ). Hard for small models.
    """
    n_samples, rng = _n("n_samples", n_samples, 2), make_rng(seed)
    k, noise = _n("n_classes", n_classes, 2), _noise(noise)
    parts, labels = [], []
    for c, m in enumerate(_split(n_samples, k)):
        r = np.linspace(0.0, 1.0, m)
        theta = 4.0 * r + 2 * np.pi * c / k + rng.normal(0.0, noise, size=m)
        parts.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        labels.append(np.full(m, c))
    return _finish(np.vstack(parts), np.concatenate(labels), 0.0, rng)


#: Dataset names accepted by the command line.
DATASETS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "moons": make_moons,
    "circles": make_circles,
    "blobs": make_blobs,
    "xor": make_xor,
    "spirals": make_spirals,
}


def batches(
    X: np.ndarray,
    y: np.ndarray,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: Seed = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(X_batch, y_batch)`` pairs covering every row once.

    ``batch_size=None`` gives the whole dataset as one batch; the last batch may be
    smaller. With ``shuffle`` the rows are visited in a random order drawn from
    ``seed`` (pass one Generator to get a new order each epoch, reproducibly).
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    n = len(X)
    size = n if batch_size is None else _n("batch_size", batch_size)
    order = make_rng(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, size):
        idx = order[start : start + size]
        yield X[idx], y[idx]


def augment(
    X: np.ndarray,
    y: np.ndarray,
    copies: int = 1,
    jitter: float = 0.0,
    flip: str | Sequence[str] = (),
    rotate: float = 0.0,
    keep_original: bool = True,
    seed: Seed = None,
) -> tuple[np.ndarray, np.ndarray]:
    """More training points from 2-D data: jittered, flipped and rotated copies.

    Each of the ``copies`` passes transforms every row x = (x₁, x₂), keeping its label:

    * ``rotate=θ`` (degrees): turn about the origin by an angle drawn from U(−θ, θ),
      x ↦ R(φ)·x;
    * ``flip="x"`` / ``"y"`` / ``"xy"``: with probability ½ each, mirror x₁ ↦ −x₁
      (``"x"``) and/or x₂ ↦ −x₂ (``"y"``);
    * ``jitter=s``: add Gaussian noise N(0, s²) to each coordinate (last).

    Returns ``(X_aug, y_aug)``: the original rows first (unless ``keep_original`` is
    False), then each copy in order. The same ``seed`` gives the same rows.

    A transformation only helps when it keeps the label true: rotations and flips
    suit ``make_circles`` (symmetric about the origin) but move one moon onto the
    other's ground, where small jitter is the safe choice.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"augment works on 2-D points: X must have shape (n, 2), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}")
    copies = _n("copies", copies, low=0)
    if isinstance(jitter, bool) or not isinstance(jitter, Real) or not float(jitter) >= 0:
        raise ValueError(f"jitter must be a number >= 0, got {jitter!r}")
    if isinstance(rotate, bool) or not isinstance(rotate, Real) or not 0 <= rotate <= 180:
        raise ValueError(f"rotate must be an angle in degrees in [0, 180], got {rotate!r}")
    axes = flip if isinstance(flip, str) else "".join(flip)
    if set(axes) - {"x", "y"}:
        raise ValueError(f"flip names the axes to mirror: 'x', 'y' or 'xy', got {flip!r}")
    if not keep_original and copies == 0:
        raise ValueError("augment with copies=0 and keep_original=False leaves no rows")
    rng = make_rng(seed)
    n = len(X)
    outs, labels = ([X], [y]) if keep_original else ([], [])
    for _ in range(copies):
        A = X.copy()
        if rotate:
            phi = np.deg2rad(rng.uniform(-rotate, rotate, size=n))
            c, s = np.cos(phi), np.sin(phi)
            A = np.stack([c * A[:, 0] - s * A[:, 1], s * A[:, 0] + c * A[:, 1]], axis=1)
        for col, axis in enumerate("xy"):
            if axis in axes:
                A[:, col] *= np.where(rng.random(n) < 0.5, -1.0, 1.0)
        if jitter:
            A = A + rng.normal(0.0, jitter, size=A.shape)
        outs.append(A)
        labels.append(y)
    return np.concatenate(outs), np.concatenate(labels)
