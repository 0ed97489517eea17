"""augment: jittered, flipped and rotated copies of 2-D data, labels kept, seeded."""

from __future__ import annotations

import numpy as np
import pytest

from microgradx.nn import augment, make_circles, make_moons


def test_shapes_labels_and_originals_first():
    X, y = make_moons(30, seed=1)
    Xa, ya = augment(X, y, copies=3, jitter=0.05, flip="xy", rotate=30, seed=0)
    assert Xa.shape == (120, 2) and ya.shape == (120,)
    np.testing.assert_array_equal(Xa[:30], X)
    np.testing.assert_array_equal(ya, np.tile(y, 4))
    Xb, yb = augment(X, y, copies=2, jitter=0.1, keep_original=False, seed=0)
    assert Xb.shape == (60, 2)
    np.testing.assert_array_equal(yb, np.tile(y, 2))


def test_same_seed_same_rows_other_seed_other_rows():
    X, y = make_moons(20, seed=1)
    a, _ = augment(X, y, copies=2, jitter=0.1, rotate=45, flip="x", seed=5)
    b, _ = augment(X, y, copies=2, jitter=0.1, rotate=45, flip="x", seed=5)
    c, _ = augment(X, y, copies=2, jitter=0.1, rotate=45, flip="x", seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_rotations_keep_the_radius_and_stay_within_the_angle():
    X, y = make_circles(50, seed=2)
    Xa, _ = augment(X, y, copies=1, rotate=20, keep_original=False, seed=0)
    np.testing.assert_allclose(np.linalg.norm(Xa, axis=1), np.linalg.norm(X, axis=1))
    turn = np.angle((Xa[:, 0] + 1j * Xa[:, 1]) / (X[:, 0] + 1j * X[:, 1]), deg=True)
    assert np.all(np.abs(turn) <= 20) and np.std(turn) > 5


def test_flips_mirror_only_the_named_axis_about_half_the_time():
    X, y = make_moons(400, seed=3)
    Xa, _ = augment(X, y, copies=1, flip="x", keep_original=False, seed=0)
    np.testing.assert_array_equal(Xa[:, 1], X[:, 1])
    mirrored = Xa[:, 0] == -X[:, 0]
    assert np.all(mirrored | (Xa[:, 0] == X[:, 0]))
    assert 0.4 < mirrored.mean() < 0.6


def test_jitter_has_the_asked_spread():
    X = np.zeros((4000, 2))
    Xa, _ = augment(X, np.zeros(4000), copies=1, jitter=0.3, keep_original=False, seed=0)
    assert np.std(Xa) == pytest.approx(0.3, rel=0.05)
    assert abs(np.mean(Xa)) < 0.02


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"flip": "z"}, "flip names the axes"),
        ({"rotate": -5}, "rotate must be"),
        ({"jitter": -0.1}, "jitter must be"),
        ({"copies": -1}, "copies must be"),
        ({"copies": 0, "keep_original": False}, "leaves no rows"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, match):
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match=match):
        augment(X, y, **kwargs)


def test_only_two_dimensional_points():
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        augment(np.zeros((5, 3)), np.zeros(5))
