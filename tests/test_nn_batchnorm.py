"""BatchNorm on the scalar engine: against finite differences, closed forms and PyTorch."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from microgradx import Value, draw, gradcheck
from microgradx import sum as value_sum
from microgradx.nn import MLP, BatchNorm, fit, layer_grad_norms, make_moons, predict

RNG = np.random.default_rng(7)


@pytest.fixture
def torch():
    if os.environ.get("CI", "").lower() == "true":
        import torch  # CI installs PyTorch: a missing one is a failure, not a skip

        return torch
    return pytest.importorskip("torch")


def _batch(m=5, n=3):
    return RNG.normal(1.0, 2.0, size=(m, n)), RNG.normal(size=(m, n))


def _torch_bn(torch, bn: BatchNorm):
    t = torch.nn.BatchNorm1d(bn.nin, eps=bn.eps, momentum=bn.momentum, dtype=torch.float64)
    with torch.no_grad():
        t.weight.copy_(torch.tensor([g.data for g in bn.gamma], dtype=torch.float64))
        t.bias.copy_(torch.tensor([b.data for b in bn.beta], dtype=torch.float64))
    return t


def _run(bn: BatchNorm, X, C):
    """Forward the batch X, backward L = Σ C⊙Y; returns (Y, ∂L/∂X as Values)."""
    xs = [[Value(float(v)) for v in row] for row in X]
    Y = bn.forward_rows(xs)
    value_sum([c * y for crow, yrow in zip(C, Y) for c, y in zip(crow, yrow)]).backward()
    return np.array([[y.data for y in r] for r in Y]), np.array([[x.grad for x in r] for r in xs])


def test_training_mode_matches_torch_batchnorm1d_to_1e9(torch):
    bn = BatchNorm(3, momentum=0.2, eps=1e-3)
    for j, g in enumerate(bn.gamma):
        g.data = 0.5 + j
    for j, b in enumerate(bn.beta):
        b.data = -0.3 * j
    t = _torch_bn(torch, bn)
    t.momentum = 0.2
    for _ in range(3):  # three batches: the running statistics move each time
        X, C = _batch()
        bn.zero_grad()
        Y, dX = _run(bn, X, C)
        tx = torch.tensor(X, requires_grad=True)
        t.zero_grad()
        ty = t(tx)
        (ty * torch.tensor(C)).sum().backward()
        np.testing.assert_allclose(Y, ty.detach().numpy(), atol=1e-9, rtol=0)
        np.testing.assert_allclose(dX, tx.grad.numpy(), atol=1e-9, rtol=0)
        np.testing.assert_allclose([g.grad for g in bn.gamma], t.weight.grad.numpy(), atol=1e-9)
        np.testing.assert_allclose([b.grad for b in bn.beta], t.bias.grad.numpy(), atol=1e-9)
        np.testing.assert_allclose(bn.running_mean, t.running_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(bn.running_var, t.running_var.numpy(), atol=1e-12)


def test_evaluation_mode_uses_running_statistics_like_torch(torch):
    bn = BatchNorm(2)
    t = _torch_bn(torch, bn)
    for _ in range(4):
        X, C = _batch(6, 2)
        _run(bn, X, C)
        t(torch.tensor(X))
    bn.eval()
    t.eval()
    X, C = _batch(4, 2)
    bn.zero_grad()
    xs = [[Value(float(v)) for v in row] for row in X]
    Y = [bn(x) for x in xs]  # one sample at a time
    value_sum([c * y for crow, yrow in zip(C, Y) for c, y in zip(crow, yrow)]).backward()
    tx = torch.tensor(X, requires_grad=True)
    ty = t(tx)
    (ty * torch.tensor(C)).sum().backward()
    np.testing.assert_allclose([[y.data for y in r] for r in Y], ty.detach().numpy(), atol=1e-9)
    np.testing.assert_allclose([[x.grad for x in r] for r in xs], tx.grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(bn.forward_batch(X), ty.detach().numpy(), atol=1e-9)
    before = bn.running_mean.copy()
    bn.forward_rows(X.tolist())  # evaluation never moves the running statistics
    np.testing.assert_array_equal(bn.running_mean, before)


def test_input_gradients_match_finite_differences():
    X, C = _batch(4, 2)
    bn = BatchNorm(2)
    bn.gamma[0].data, bn.beta[1].data = 1.7, 0.4

    def loss(*flat):
        rows = [list(flat[k * 2 : k * 2 + 2]) for k in range(4)]
        Y = bn.forward_rows(rows)
        return value_sum([c * y for crow, yrow in zip(C, Y) for c, y in zip(crow, yrow)])

    report = gradcheck(loss, X.ravel().tolist(), atol=1e-7, rtol=1e-6)
    assert report, report


def test_gamma_and_beta_gradients_have_their_closed_forms():
    X, C = _batch(5, 3)
    bn = BatchNorm(3)
    _run(bn, X, C)
    xhat = (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + bn.eps)
    np.testing.assert_allclose([g.grad for g in bn.gamma], (C * xhat).sum(axis=0), atol=1e-12)
    np.testing.assert_allclose([b.grad for b in bn.beta], C.sum(axis=0), atol=1e-12)


def test_one_sample_in_training_mode_is_a_clear_error_and_a_batch_of_one_too():
    bn = BatchNorm(2)
    with pytest.raises(ValueError, match="forward_rows"):
        bn([1.0, 2.0])
    with pytest.raises(ValueError, match="at least 2 samples"):
        bn.forward_rows([[1.0, 2.0]])
    model = MLP(2, [3, 1], batch_norm=True, seed=0)
    with pytest.raises(ValueError, match=r"model\.eval"):
        model([0.1, 0.2])
    assert isinstance(model.eval()([0.1, 0.2]), Value)
    X, y = make_moons(9, seed=0)
    with pytest.raises(ValueError, match="leave a batch of 1"):
        fit(model, X, y, batch_size=4, epochs=1, progress=False)


@pytest.mark.parametrize("bad", [{"momentum": 2.0}, {"eps": 0.0}, {"num_features": 0}])
def test_bad_arguments(bad):
    kwargs = {"num_features": 2, **bad}
    with pytest.raises(ValueError):
        BatchNorm(**kwargs)


def test_mlp_with_batch_norm_matches_its_torch_copy_in_training_mode(torch):
    model = MLP(2, [4, 3, 2], activation="tanh", batch_norm=True, seed=1)
    X, _ = _batch(6, 2)
    net = model.to_torch()
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in net)
    rows = model.forward_rows(X.tolist())
    weights = RNG.normal(size=(6, 2))
    value_sum([w * o for wr, orow in zip(weights, rows) for w, o in zip(wr, orow)]).backward()
    out = net(torch.tensor(X))
    (out * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(
        [[o.data for o in r] for r in rows], out.detach().numpy(), atol=1e-9
    )
    ours = np.array([p.grad for p in model.parameters()])
    theirs = np.concatenate(
        [
            np.concatenate([np.c_[m.weight.grad.numpy(), m.bias.grad.numpy()].ravel()])
            if isinstance(m, torch.nn.Linear)
            else np.concatenate([m.weight.grad.numpy(), m.bias.grad.numpy()])
            for m in net
            if isinstance(m, (torch.nn.Linear, torch.nn.BatchNorm1d))
        ]
    )
    np.testing.assert_allclose(ours, theirs, atol=1e-9)
    np.testing.assert_allclose(
        model.layers[0].norm.running_var, net[1].running_var.numpy(), atol=1e-12
    )


def test_fit_trains_a_batch_norm_mlp_on_mini_batches_and_the_tape_falls_back_to_scalar():
    X, y = make_moons(40, noise=0.1, seed=0)
    runs = {}
    for backend in ("scalar", "tape"):
        model = MLP(2, [8, 8, 1], batch_norm=True, seed=0)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = fit(model, X, y, loss="hinge", lr=0.1, epochs=15, batch_size=10,
                    progress=False, backend=backend)  # fmt: skip
        assert h.info["backend"] == "scalar"
        assert any("batch normalisation" in str(w.message) for w in caught) == (backend == "tape")
        runs[backend] = (h.loss, model.state_dict())
        assert h.loss[-1] < 0.7 * h.loss[0]
        assert len(h.grad_norm[-1]) == 3  # γ, β belong to their layer
        assert not model.training
    assert runs["scalar"] == runs["tape"]


def test_save_and_load_keep_the_running_statistics(tmp_path):
    X, y = make_moons(20, seed=0)
    model = MLP(2, [5, 1], batch_norm=True, seed=0)
    fit(model, X, y, epochs=3, batch_size=10, progress=False)
    assert not np.allclose(model.layers[0].norm.running_mean, 0)
    back = MLP.load(model.save(tmp_path / "bn.json"))
    assert back.batch_norm
    np.testing.assert_array_equal(
        back.layers[0].norm.running_var, model.layers[0].norm.running_var
    )
    np.testing.assert_array_equal(predict(back, X, raw=True), predict(model, X, raw=True))
    assert len(back.state_dict()) == MLP.count_parameters(model.config())


def test_layer_grad_norms_and_drawing_of_a_batch_norm_graph():
    model = MLP(2, [3, 1], batch_norm=True, seed=0)
    outs = model.forward_rows([[0.1, 0.2], [0.3, -0.1], [-0.5, 0.4]])
    loss = value_sum(outs)
    loss.backward()
    assert len(layer_grad_norms(model)) == 2
    source = draw(loss).source
    assert "γ0" in source and "β0" in source


def test_the_network_figure_refuses_activations_it_cannot_compute():
    model = MLP(2, [3, 1], batch_norm=True, seed=0)
    assert "digraph" in model.draw().source  # the structure alone is fine
    with pytest.raises(ValueError, match="batch normalisation"):
        model.draw([0.1, 0.2])


def test_the_tape_backend_function_refuses_a_batch_norm_model_clearly():
    from microgradx.nn import hinge, tape_loss_and_grads

    model = MLP(2, [3, 1], batch_norm=True, seed=0)
    X = np.array([[0.1, 0.2], [0.3, -0.1], [-0.5, 0.4]])
    with pytest.raises(ValueError, match="backend='scalar'"):
        tape_loss_and_grads(model, X, [1.0, -1.0, 1.0], hinge)


def test_a_single_layer_with_batch_norm_normalises_its_sums_before_the_activation():
    from microgradx.nn import Layer

    layer = Layer(2, 3, activation="tanh", batch_norm=True, seed=0)
    X = RNG.normal(size=(5, 2))
    rows = layer.forward_rows(X.tolist())
    Z = X @ layer.weight.T + layer.bias
    expected = np.tanh((Z - Z.mean(axis=0)) / np.sqrt(Z.var(axis=0) + 1e-5))
    np.testing.assert_allclose([[v.data for v in r] for r in rows], expected, atol=1e-12)
    np.testing.assert_allclose(layer.forward_batch(X), expected, atol=1e-12)
