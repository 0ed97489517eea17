"""Optimizers' first two steps against their update formulas, worked by hand; schedules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from microgradx import Value
from microgradx.nn import (
    SGD,
    AdaGrad,
    Adam,
    AdamW,
    ExponentialLR,
    LinearLR,
    RMSProp,
    StepLR,
)

P0 = [1.0, -2.0]
G1 = [0.5, -1.0]  # gradients seen at the first step
G2 = [0.2, 0.4]  # and at the second


def two_steps(make):
    """Positions after step 1 and step 2, with gradients G1 then G2 set by hand."""
    ps = [Value(x) for x in P0]
    opt = make(ps)
    seen = []
    for grads in (G1, G2):
        opt.zero_grad()
        assert all(p.grad == 0.0 for p in ps)
        for p, g in zip(ps, grads):
            p.grad = g
        opt.step()
        seen.append([p.data for p in ps])
        assert all(p.is_leaf for p in ps)  # updates never build a graph
    return seen


def test_sgd_plain():
    s1, s2 = two_steps(lambda ps: SGD(ps, lr=0.1))
    assert s1 == pytest.approx([1.0 - 0.05, -2.0 + 0.1])
    assert s2 == pytest.approx([0.95 - 0.02, -1.9 - 0.04])


def test_sgd_weight_decay_adds_lambda_p_to_the_gradient():
    s1, s2 = two_steps(lambda ps: SGD(ps, lr=0.1, weight_decay=0.5))
    # g = G1 + 0.5·p: (0.5 + 0.5, −1 − 1) = (1, −2)
    assert s1 == pytest.approx([0.9, -1.8])
    # g = G2 + 0.5·p: (0.2 + 0.45, 0.4 − 0.9) = (0.65, −0.5)
    assert s2 == pytest.approx([0.9 - 0.065, -1.8 + 0.05])


def test_sgd_momentum():
    s1, s2 = two_steps(lambda ps: SGD(ps, lr=0.1, momentum=0.9))
    # b1 = G1; b2 = 0.9·G1 + G2 = (0.65, −0.5)
    assert s1 == pytest.approx([0.95, -1.9])
    assert s2 == pytest.approx([0.95 - 0.065, -1.9 + 0.05])


def test_sgd_nesterov():
    s1, s2 = two_steps(lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True))
    # step uses g + μ·b: step 1 (0.5 + 0.45, −1 − 0.9) = (0.95, −1.9)
    assert s1 == pytest.approx([1.0 - 0.095, -2.0 + 0.19])
    # b2 = (0.65, −0.5); g + μ·b2 = (0.2 + 0.585, 0.4 − 0.45) = (0.785, −0.05)
    assert s2 == pytest.approx([0.905 - 0.0785, -1.81 + 0.005])


def test_adagrad():
    s1, s2 = two_steps(lambda ps: AdaGrad(ps, lr=0.1, eps=0.0))
    # G = g² so the first step is lr·sign(g)
    assert s1 == pytest.approx([0.9, -1.9])
    # G = (0.25 + 0.04, 1 + 0.16)
    assert s2 == pytest.approx(
        [0.9 - 0.1 * 0.2 / math.sqrt(0.29), -1.9 - 0.1 * 0.4 / math.sqrt(1.16)]
    )


def test_rmsprop():
    s1, s2 = two_steps(lambda ps: RMSProp(ps, lr=0.01, alpha=0.9, eps=0.0))
    # v = 0.1·g²  ->  step = lr·g/(√0.1·|g|)
    assert s1 == pytest.approx([1.0 - 0.01 / math.sqrt(0.1), -2.0 + 0.01 / math.sqrt(0.1)])
    v2 = [0.9 * 0.1 * 0.25 + 0.1 * 0.04, 0.9 * 0.1 * 1.0 + 0.1 * 0.16]
    assert s2 == pytest.approx([
        s1[0] - 0.01 * 0.2 / math.sqrt(v2[0]),
        s1[1] - 0.01 * 0.4 / math.sqrt(v2[1]),
    ])  # fmt: skip


def test_adam():
    s1, s2 = two_steps(lambda ps: Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=0.0))
    # bias correction makes the first step exactly lr·sign(g)
    assert s1 == pytest.approx([0.99, -1.99], rel=1e-12)
    expected = []
    for p, g1, g2 in zip(s1, G1, G2):
        m = 0.9 * (0.1 * g1) + 0.1 * g2
        v = 0.999 * (0.001 * g1 * g1) + 0.001 * g2 * g2
        m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
        expected.append(p - 0.01 * m_hat / math.sqrt(v_hat))
    assert s2 == pytest.approx(expected, rel=1e-12)


def test_adam_weight_decay_is_l2_but_adamw_is_decoupled():
    (a1, _) = two_steps(lambda ps: Adam(ps, lr=0.01, eps=0.0, weight_decay=1.0))
    # Adam: g = G1 + p = (1.5, −3): the first step is still lr·sign(g)
    assert a1 == pytest.approx([0.99, -1.99])
    (w1, _) = two_steps(lambda ps: AdamW(ps, lr=0.01, eps=0.0, weight_decay=1.0))
    # AdamW: p ← p − lr·λ·p = (0.99, −1.98), then lr·sign(G1)
    assert w1 == pytest.approx([0.99 - 0.01, -1.98 + 0.01])


def test_default_adamw_decays():
    assert AdamW([Value(1.0)]).weight_decay == 0.01


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda ps: SGD(ps, lr=-0.1), "lr must be >= 0"),
        (lambda ps: SGD(ps, lr=float("nan")), "lr must be a finite number"),
        (lambda ps: SGD(ps, lr=0.1, momentum=1.0), r"momentum must be in \[0, 1\)"),
        (lambda ps: SGD(ps, lr=0.1, nesterov=True), "nesterov=True needs momentum"),
        (lambda ps: Adam(ps, betas=(0.9, 1.0)), r"beta2 must be in \[0, 1\)"),
        (lambda ps: Adam(ps, betas=(-0.1, 0.9)), "beta1 must be >= 0"),
        (lambda ps: Adam(ps, betas=0.9), "betas must be a pair"),
        (lambda ps: RMSProp(ps, alpha=1.5), "alpha"),
        (lambda ps: AdaGrad(ps, eps=-1), "eps must be >= 0"),
        (lambda ps: SGD([], lr=0.1), "empty parameter list"),
    ],
)
def test_bad_hyper_parameters_are_value_errors(make, match):
    with pytest.raises(ValueError, match=match):
        make([Value(1.0)])


def test_optimizer_refuses_non_values():
    with pytest.raises(TypeError, match="params\\[0\\] is a float"):
        SGD([1.0])


def test_repr_names_the_hyper_parameters():
    assert repr(SGD([Value(1.0)], lr=0.1, momentum=0.9)) == (
        "SGD(1 parameters, lr=0.1, momentum=0.9)"
    )


def rates(make_schedule, steps: int, lr: float = 1.0) -> list[float]:
    opt = SGD([Value(0.0)], lr=lr)
    sched = make_schedule(opt)
    out = [opt.lr]
    for _ in range(steps):
        sched.step()
        out.append(opt.lr)
    return out


def test_step_lr():
    assert rates(lambda o: StepLR(o, step_size=2, gamma=0.5), 5) == pytest.approx(
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    )


def test_exponential_lr():
    assert rates(lambda o: ExponentialLR(o, gamma=0.9), 3, lr=0.2) == pytest.approx(
        [0.2, 0.18, 0.162, 0.1458]
    )


def test_linear_lr_warm_up_then_constant():
    assert rates(lambda o: LinearLR(o, 0.25, 1.0, total_iters=3), 5) == pytest.approx(
        [0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    )


def test_linear_lr_decay():
    assert rates(lambda o: LinearLR(o, 1.0, 0.0, total_iters=4), 5, lr=0.4) == pytest.approx(
        [0.4, 0.3, 0.2, 0.1, 0.0, 0.0]
    )


def test_schedule_bad_arguments():
    opt = SGD([Value(0.0)], lr=1.0)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="gamma must be > 0"):
        ExponentialLR(opt, gamma=0.0)
    with pytest.raises(ValueError, match="total_iters"):
        LinearLR(opt, total_iters=0)
    with pytest.raises(TypeError, match="Optimizer"):
        StepLR("sgd", step_size=1)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.1),
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda ps: AdaGrad(ps, lr=0.1, weight_decay=0.01),
        lambda ps: RMSProp(ps, lr=0.01, weight_decay=0.01),
        lambda ps: Adam(ps, lr=0.01, weight_decay=0.01),
        lambda ps: AdamW(ps, lr=0.01),
    ],
    ids=["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"],
)
def test_array_step_equals_the_step_on_values(make):
    """One rule, two ways: a step on arrays gives exactly the per-Value step's numbers."""
    rng = np.random.default_rng(0)
    start = rng.normal(size=7)
    grads = rng.normal(size=(4, 7))
    values = [Value(float(x)) for x in start]
    on_values, on_arrays = make(values), make([Value(0.0) for _ in start])
    data, states = start.copy(), on_arrays.state_arrays()
    for g in grads:
        for p, gi in zip(values, g.tolist()):
            p.grad = gi
        on_values.step()
        data, states = on_arrays.step_arrays(data, g, states)
    assert [p.data for p in values] == data.tolist()
    on_arrays.load_state_arrays(states)
    for name in on_values.state_names:
        assert getattr(on_values, name) == getattr(on_arrays, name)
    assert on_values.t == on_arrays.t == 4
