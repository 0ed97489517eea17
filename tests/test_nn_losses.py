"""Losses: values and gradients against closed forms computed with numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microgradx import Value
from microgradx.nn import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge,
    l2,
    log_softmax,
    mean,
    mse,
    softmax,
)


def leaves(xs):
    return [Value(float(x)) for x in xs]


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def test_mse_mean_over_outputs_and_its_gradient():
    p = leaves([0.5, -1.0, 2.0])
    t = [1.0, 1.0, 0.0]
    loss = mse(p, t)
    loss.backward()
    d = np.array([-0.5, -2.0, 2.0])
    assert loss.data == pytest.approx(np.mean(d**2))
    assert [v.grad for v in p] == pytest.approx(list(2 * d / 3))


def test_mse_half_is_half_squared_norm_with_gradient_residual():
    p = leaves([0.5, -1.0])
    loss = mse(p, [1.5, 1.0], half=True)
    loss.backward()
    assert loss.data == pytest.approx(0.5 * (1.0 + 4.0))
    assert [v.grad for v in p] == pytest.approx([-1.0, -2.0])


def test_mse_single_value_and_length_mismatch():
    p = Value(3.0)
    assert mse(p, 1.0).data == 4.0
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        mse(leaves([1, 2]), [1, 2, 3])


@pytest.mark.parametrize(("p", "y"), [(0.3, 1.0), (0.8, 0.0), (0.6, 0.25)])
def test_binary_cross_entropy_value_and_gradient(p, y):
    v = Value(p)
    loss = binary_cross_entropy(v, y)
    loss.backward()
    assert loss.data == pytest.approx(-(y * math.log(p) + (1 - y) * math.log(1 - p)))
    assert v.grad == pytest.approx((p - y) / (p * (1 - p)))


def test_binary_cross_entropy_certain_and_right_is_zero_not_nan():
    assert binary_cross_entropy(Value(1.0), 1.0).data == 0.0
    assert binary_cross_entropy([Value(0.0)], 0.0).data == 0.0
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        binary_cross_entropy(Value(0.5), 2)


@pytest.mark.parametrize("z", [-30.0, -3.0, -0.2, 0.0, 0.7, 2.5, 40.0])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.3])
def test_bce_with_logits_value_and_gradient_sigma_minus_y(z, y):
    v = Value(z)
    loss = binary_cross_entropy_with_logits(v, y)
    loss.backward()
    # log(1 + e^z) − y·z, computed stably by numpy
    assert loss.data == pytest.approx(np.logaddexp(0.0, z) - y * z, rel=1e-12, abs=1e-15)
    assert v.grad == pytest.approx(sigmoid(z) - y, rel=1e-12, abs=1e-15)


def test_bce_with_logits_is_stable_for_huge_logits():
    assert binary_cross_entropy_with_logits(Value(1000.0), 0.0).data == 1000.0
    assert binary_cross_entropy_with_logits(Value(-1000.0), 0.0).data == 0.0
    assert binary_cross_entropy_with_logits(Value(-1000.0), 1.0).data == 1000.0


def test_softmax_matches_numpy_and_jacobian():
    z = [1.0, -0.5, 2.0, 0.3]
    zs = leaves(z)
    s = softmax(zs)
    e = np.exp(np.array(z) - max(z))
    expected = e / e.sum()
    assert [v.data for v in s] == pytest.approx(list(expected), rel=1e-13)
    # ∂s₂/∂z_j = s₂(δ₂ⱼ − s_j)
    s[2].backward()
    jac = expected[2] * ((np.arange(4) == 2) - expected)
    assert [v.grad for v in zs] == pytest.approx(list(jac), rel=1e-10, abs=1e-15)


def test_softmax_and_log_softmax_survive_huge_logits():
    s = softmax(leaves([1000.0, 1000.0, -1000.0]))
    assert [v.data for v in s] == pytest.approx([0.5, 0.5, 0.0])
    ls = log_softmax(leaves([1000.0, 0.0]))
    assert ls[0].data == pytest.approx(0.0, abs=1e-12)
    assert ls[1].data == pytest.approx(-1000.0)


def test_log_softmax_matches_numpy():
    z = np.array([0.2, -1.3, 0.9])
    out = [v.data for v in log_softmax(leaves(z))]
    expected = z - np.log(np.sum(np.exp(z)))
    assert out == pytest.approx(list(expected), rel=1e-13)


@pytest.mark.parametrize("target", [0, 1, 2])
def test_cross_entropy_value_and_gradient_softmax_minus_onehot(target):
    z = np.array([0.5, -1.2, 3.0])
    zs = leaves(z)
    loss = cross_entropy(zs, target)
    loss.backward()
    p = np.exp(z) / np.exp(z).sum()
    assert loss.data == pytest.approx(-np.log(p[target]), rel=1e-12)
    onehot = np.eye(3)[target]
    assert [v.grad for v in zs] == pytest.approx(list(p - onehot), rel=1e-10, abs=1e-15)


def test_cross_entropy_stable_and_checks_the_target():
    assert cross_entropy(leaves([1000.0, -1000.0]), 1).data == pytest.approx(2000.0)
    assert cross_entropy(leaves([1000.0, -1000.0]), 0).data == pytest.approx(0.0)
    with pytest.raises(ValueError, match=r"not a class in 0\.\.1"):
        cross_entropy(leaves([1.0, 2.0]), 2)
    with pytest.raises(ValueError, match="class index"):
        cross_entropy(leaves([1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="class index"):
        cross_entropy(leaves([1.0, 2.0]), True)


@pytest.mark.parametrize(
    ("s", "y", "value", "grad"),
    [(0.3, 1, 0.7, -1.0), (-0.5, -1, 0.5, 1.0), (2.0, 1, 0.0, 0.0), (0.4, -1, 1.4, 1.0)],
)
def test_hinge_value_and_gradient(s, y, value, grad):
    v = Value(s)
    loss = hinge([v], y)
    loss.backward()
    assert loss.data == pytest.approx(value)
    assert v.grad == grad


def test_hinge_refuses_zero_one_labels():
    with pytest.raises(ValueError, match="-1 or \\+1"):
        hinge(Value(0.1), 0)


def test_l2_value_and_gradient():
    ps = leaves([0.5, -2.0, 1.0])
    reg = l2(ps, 0.1)
    reg.backward()
    assert reg.data == pytest.approx(0.1 * (0.25 + 4 + 1))
    assert [p.grad for p in ps] == pytest.approx([0.1, -0.4, 0.2])
    with pytest.raises(ValueError, match=">= 0"):
        l2(ps, -1.0)


def test_mean_averages_and_spreads_gradient():
    xs = leaves([1.0, 2.0, 6.0])
    m = mean(xs)
    m.backward()
    assert m.data == 3.0
    assert [x.grad for x in xs] == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="empty"):
        mean([])


@pytest.mark.parametrize(
    ("reduction", "scale"), [("mean", 1 / 3), ("sum", 1.0), ("half_sum", 0.5), (None, 1 / 3)]
)
def test_mse_reductions_value_and_gradient_by_hand(reduction, scale):
    p = leaves([0.5, -1.0, 2.0])
    t = [1.0, 1.0, 0.0]
    loss = mse(p, t, reduction=reduction)
    loss.backward()
    d = np.array([0.5, -1.0, 2.0]) - np.array(t)
    assert loss.data == pytest.approx(scale * np.sum(d**2))
    assert [v.grad for v in p] == pytest.approx(list(scale * 2 * d))


def test_mse_sum_is_k_times_mean_and_half_is_half_sum():
    t = [0.2, -0.4, 1.0, 3.0]
    p = [0.0, 1.0, 2.0, -1.0]
    assert mse(leaves(p), t, reduction="sum").data == pytest.approx(4 * mse(leaves(p), t).data)
    assert mse(leaves(p), t, half=True).data == pytest.approx(
        mse(leaves(p), t, reduction="half_sum").data
    )


def test_mse_bad_reduction_is_a_clear_error():
    with pytest.raises(ValueError, match="reduction must be one of"):
        mse(leaves([1.0]), [0.0], reduction="average")
    with pytest.raises(ValueError, match="contradicts"):
        mse(leaves([1.0]), [0.0], half=True, reduction="sum")
