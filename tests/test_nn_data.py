"""Datasets: shapes, labels, geometry, reproducibility; batches."""

from __future__ import annotations

import numpy as np
import pytest

from microgradx.nn import batches, make_blobs, make_circles, make_moons, make_spirals, make_xor


@pytest.mark.parametrize("make", [make_moons, make_circles, make_blobs, make_spirals, make_xor])
def test_shapes_types_and_reproducibility(make):
    X, y = make(n_samples=41, seed=3)
    assert X.shape == (41, 2) and X.dtype == np.float64
    assert y.shape == (41,) and y.dtype == np.int64
    X2, y2 = make(n_samples=41, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n_samples=41, seed=4, noise=0.2) if make is not make_blobs else make(41, seed=4)
    assert not np.array_equal(X, X3)


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = make_moons(50, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [25, 25]
    top, bottom = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(top[:, 0], top[:, 1]), 1.0)
    assert np.all(top[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(bottom[:, 0] - 1, bottom[:, 1] - 0.5), 1.0)
    assert np.all(bottom[:, 1] <= 0.5 + 1e-12)


def test_circles_radii():
    X, y = make_circles(40, noise=0.0, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    with pytest.raises(ValueError, match="factor"):
        make_circles(10, factor=1.5)


def test_blobs_around_given_centres():
    centres = np.array([[-5.0, 0.0], [5.0, 5.0], [0.0, -6.0]])
    X, y = make_blobs(300, centers=centres, std=0.5, seed=1)
    assert np.bincount(y).tolist() == [100, 100, 100]
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centres[k], atol=0.15)
    with pytest.raises(ValueError, match=r"shape \(k, 2\)"):
        make_blobs(10, centers=np.zeros((2, 3)))


def test_xor_truth_table():
    X, y = make_xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [0, 1, 1, 0]
    X, y = make_xor(200, noise=0.05, seed=0)
    corners = np.round(X)
    assert np.all((corners[:, 0] != corners[:, 1]) == y.astype(bool))


def test_spirals_classes_and_radius():
    X, y = make_spirals(90, n_classes=3, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [30, 30, 30]
    assert np.hypot(X[:, 0], X[:, 1]).max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_samples": 0}, "n_samples"),
        ({"n_samples": 2.5}, "n_samples"),
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_moons(**kwargs)


def test_batches_cover_every_row_once():
    X = np.arange(10).reshape(10, 1).astype(float)
    y = np.arange(10)
    got = list(batches(X, y, 4, shuffle=True, seed=0))
    assert [len(b[1]) for b in got] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in got])
    assert sorted(seen.tolist()) == list(range(10))
    assert seen.tolist() != list(range(10))  # shuffled
    for bx, by in got:
        np.testing.assert_array_equal(bx[:, 0], by)  # rows stay paired with labels
    again = np.concatenate([b[1] for b in batches(X, y, 4, shuffle=True, seed=0)])
    np.testing.assert_array_equal(seen, again)


def test_batches_full_and_unshuffled():
    X, y = np.zeros((5, 2)), np.arange(5)
    ((bx, by),) = list(batches(X, y, None, shuffle=False))
    assert bx.shape == (5, 2) and by.tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="5 rows but y has 4"):
        list(batches(X, y[:4], 2))
    with pytest.raises(ValueError, match="batch_size"):
        list(batches(X, y, 0))
