"""MLP gradients against an independent, hand-written numpy backprop in matrix form.

For a batch of m columns H₀ = Xᵀ, layer l computes Z_l = W_l·H_{l−1} + b_l and
H_l = f(Z_l). Backward:

    δ_L = ∂J/∂H_L ∘ f′(Z_L)          (for softmax + cross-entropy: (Ŷ − E)/m)
    δ_l = (W_{l+1}ᵀ·δ_{l+1}) ∘ f′(Z_l)
    ∇W_l = δ_l·H_{l−1}ᵀ,   ∇b_l = Σ_columns δ_l

The numpy code below knows nothing of microgradx; the model's weights are only read.
"""

from __future__ import annotations

import numpy as np
import pytest

import microgradx as mgx
from microgradx.nn import MLP, cross_entropy, l2, mse, scalar_loss_and_grads

F = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, h: h * (1 - h)),
    "tanh": (np.tanh, lambda z, h: 1 - h**2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, h: (z > 0).astype(float)),
    "leaky_relu": (
        lambda z: np.where(z > 0, z, 0.01 * z),
        lambda z, h: np.where(z > 0, 1.0, 0.01),
    ),
    "linear": (lambda z: z, lambda z, h: np.ones_like(z)),
}


def weights(model: MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (
            np.array([[w.data for w in n.w] for n in layer.neurons]),
            np.array([n.b.data for n in layer.neurons]),
        )
        for layer in model.layers
    ]


def grads(model: MLP) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (
            np.array([[w.grad for w in n.w] for n in layer.neurons]),
            np.array([n.b.grad for n in layer.neurons]),
        )
        for layer in model.layers
    ]


def numpy_backprop(params, acts, X, Y, loss, alpha=0.0):
    """Mean loss over the batch (+ alpha·Σ‖W‖² + alpha·Σ‖b‖²) and its gradients."""
    m = X.shape[0]
    H = [X.T]
    Z = []
    for (W, b), act in zip(params, acts):
        Z.append(W @ H[-1] + b[:, None])
        H.append(F[act][0](Z[-1]))
    out = H[-1]
    if loss == "mse":
        n_out = out.shape[0]
        J = np.mean(np.sum((out - Y.T) ** 2, axis=0) / n_out)
        dJ_dout = 2 * (out - Y.T) / n_out / m
        delta = dJ_dout * F[acts[-1]][1](Z[-1], out)
    else:  # softmax + cross-entropy on linear outputs; Y holds class indices
        shifted = out - out.max(axis=0)
        P = np.exp(shifted) / np.exp(shifted).sum(axis=0)
        E = np.eye(out.shape[0])[:, Y]
        J = np.mean(-np.log(P[Y, np.arange(m)]))
        delta = (P - E) / m
    result = [None] * len(params)
    for i in range(len(params) - 1, -1, -1):
        W, b = params[i]
        result[i] = (delta @ H[i].T + 2 * alpha * W, delta.sum(axis=1) + 2 * alpha * b)
        if i:
            delta = (W.T @ delta) * F[acts[i - 1]][1](Z[i - 1], H[i])
    J += alpha * sum(np.sum(W**2) + np.sum(b**2) for W, b in params)
    return J, result


def batch(seed: int, m: int, nin: int):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, nin))


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "leaky_relu"])
def test_mse_gradients_equal_numpy_backprop(act):
    model = MLP(3, [5, 4, 2], activation=act, output_activation=act, init="xavier", seed=1)
    X = batch(2, 6, 3)
    Y = np.random.default_rng(3).uniform(-1, 1, size=(6, 2))
    # The graph built by hand: the batch mean of the per-sample losses, one backward.
    J = mgx.nn.mean([mse(model(x), y) for x, y in zip(X.tolist(), Y.tolist())])
    J.backward()
    J_np, expected = numpy_backprop(weights(model), [act] * 3, X, Y, "mse")
    assert J.data == pytest.approx(J_np, rel=1e-12)
    for (gW, gb), (eW, eb) in zip(grads(model), expected):
        np.testing.assert_allclose(gW, eW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(gb, eb, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_softmax_cross_entropy_gradients_equal_numpy_backprop(act):
    model = MLP(2, [6, 3], activation=act, init="he", seed=4)
    X = batch(5, 7, 2)
    labels = np.array([0, 1, 2, 2, 1, 0, 1])
    J = mgx.nn.mean([cross_entropy(model(x), int(t)) for x, t in zip(X.tolist(), labels)])
    J.backward()
    J_np, expected = numpy_backprop(weights(model), [act, "linear"], X, labels, "ce")
    assert J.data == pytest.approx(J_np, rel=1e-12)
    for (gW, gb), (eW, eb) in zip(grads(model), expected):
        np.testing.assert_allclose(gW, eW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(gb, eb, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize(("act", "loss"), [("tanh", "mse"), ("relu", "ce"), ("sigmoid", "ce")])
def test_fit_engine_gradients_with_l2_equal_numpy_backprop(act, loss):
    """The per-sample engine (ΔW += ∇W/m, then the penalty) gives the batch gradient."""
    out_act = act if loss == "mse" else "linear"
    model = MLP(3, [4, 3], activation=act, output_activation=out_act, init="xavier", seed=7)
    X = batch(8, 5, 3)
    if loss == "mse":
        Y = np.random.default_rng(9).uniform(-1, 1, size=(5, 3))
        targets, loss_fn = Y.tolist(), mse
    else:
        Y = np.array([2, 0, 1, 1, 0])
        targets, loss_fn = Y.tolist(), cross_entropy
    alpha = 0.01
    data_loss, outputs = scalar_loss_and_grads(model, X, targets, loss_fn, l2=alpha)
    J_np, expected = numpy_backprop(weights(model), [act, out_act], X, Y, loss, alpha)
    penalty = alpha * sum(p.data**2 for p in model.parameters())
    assert data_loss + penalty == pytest.approx(J_np, rel=1e-12)
    assert outputs.shape == (5, 3)
    for (gW, gb), (eW, eb) in zip(grads(model), expected):
        np.testing.assert_allclose(gW, eW, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(gb, eb, rtol=1e-9, atol=1e-14)


def test_gradients_match_central_differences_through_every_parameter():
    """The same gradients by finite differences of the whole objective (no backprop at all)."""
    model = MLP(2, [3, 1], activation="tanh", seed=11)
    X = batch(12, 4, 2)
    y = [1.0, -1.0, 1.0, -1.0]

    def objective() -> float:
        with mgx.no_grad():
            J = mgx.nn.mean([mse(model(x), t) for x, t in zip(X.tolist(), y)])
            return J.data + l2(model, 0.05).data

    model.zero_grad()
    scalar_loss_and_grads(model, X, y, mse, l2=0.05)
    h = 1e-6
    for p in model.parameters():
        base = p.data
        p.data = base + h
        up = objective()
        p.data = base - h
        down = objective()
        p.data = base
        assert p.grad == pytest.approx((up - down) / (2 * h), rel=1e-6, abs=1e-9)
