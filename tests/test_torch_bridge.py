"""The PyTorch bridge: converted models, training steps and expressions agree with PyTorch.

PyTorch is an independent engine: each test builds the same computation in both
and checks values, gradients and updated weights to 1e-12. Locally the tests skip
when PyTorch is missing; under ``CI=true`` they run (``make test`` installs it).
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pytest

import microgradx
from microgradx import OPS, TorchComparison, Value, compare_with_torch
from microgradx.nn import MLP, SGD, Adam, Layer, Neuron, mean, mse
from microgradx.nn import binary_cross_entropy_with_logits as bce_logits

if os.environ.get("CI", "").lower() == "true":
    import torch  # CI installs PyTorch: a missing one is a failure, not a skip
else:
    torch = pytest.importorskip("torch")

nn = torch.nn
TOL = 1e-12
ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]


def _inputs(n: int, nin: int, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, nin))


def _torch_params(seq) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        (m.weight.detach().numpy(), m.bias.detach().numpy())
        for m in seq
        if isinstance(m, nn.Linear)
    ]


def _assert_same_weights(model: MLP, seq, tol: float = TOL) -> None:
    params = _torch_params(seq)
    assert len(params) == len(model.layers)
    for layer, (weight, bias) in zip(model.layers, params):
        np.testing.assert_allclose(layer.weight, weight, rtol=0, atol=tol)
        np.testing.assert_allclose(layer.bias, bias, rtol=0, atol=tol)


# --- to_torch -------------------------------------------------------------------------


def test_to_torch_layers_dtype_and_exact_weights():
    model = MLP(3, [4, 5, 2], activation="tanh", output_activation="sigmoid", seed=0)
    seq = model.to_torch()
    kinds = [type(m).__name__ for m in seq]
    assert kinds == ["Linear", "Tanh", "Linear", "Tanh", "Linear", "Sigmoid"]
    assert all(p.dtype == torch.float64 for p in seq.parameters())
    assert [(m.in_features, m.out_features) for m in seq if isinstance(m, nn.Linear)] == [
        (3, 4),
        (4, 5),
        (5, 2),
    ]
    _assert_same_weights(model, seq, tol=0.0)  # copied bit for bit


def test_to_torch_leaky_relu_uses_the_same_slope_and_linear_output_has_no_module():
    seq = MLP(2, [3, 1], activation="leaky_relu", seed=0).to_torch()
    assert isinstance(seq[1], nn.LeakyReLU)
    assert seq[1].negative_slope == 0.01
    assert len(seq) == 3  # Linear, LeakyReLU, Linear: a linear output adds nothing


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_predictions_and_gradients_agree(activation):
    model = MLP(3, [5, 4, 2], activation=activation, output_activation="tanh", seed=3)
    seq = model.to_torch()
    X = _inputs(6, 3)
    for row in X:
        model.zero_grad()
        xs = [Value(float(v)) for v in row]
        out = model(xs)
        # a loss reading both outputs with different weights, so every path counts
        loss = out[0] * 1.5 - out[1] * 0.5
        loss.backward()

        seq.zero_grad()
        xt = torch.tensor(row, dtype=torch.float64, requires_grad=True)
        out_t = seq(xt)
        loss_t = out_t[0] * 1.5 - out_t[1] * 0.5
        loss_t.backward()

        np.testing.assert_allclose([o.data for o in out], out_t.detach().numpy(), rtol=0, atol=TOL)
        np.testing.assert_allclose([x.grad for x in xs], xt.grad.numpy(), rtol=0, atol=TOL)
        linears = [m for m in seq if isinstance(m, nn.Linear)]
        for layer, linear in zip(model.layers, linears):
            for j, neuron in enumerate(layer.neurons):
                np.testing.assert_allclose(
                    [w.grad for w in neuron.w], linear.weight.grad[j].numpy(), rtol=0, atol=TOL
                )
                assert neuron.b.grad == pytest.approx(float(linear.bias.grad[j]), abs=TOL)
    # batched predictions agree too
    np.testing.assert_allclose(
        model.forward_batch(X), seq(torch.from_numpy(X)).detach().numpy(), rtol=0, atol=TOL
    )


def test_layer_and_neuron_convert():
    layer = Layer(3, 2, activation="sigmoid", seed=0)
    neuron = Neuron(3, activation="tanh", weights=[0.5, -1.0, 2.0], bias=0.25)
    X = _inputs(4, 3)
    np.testing.assert_allclose(
        layer.to_torch()(torch.from_numpy(X)).detach().numpy(),
        layer.forward_batch(X),
        rtol=0,
        atol=TOL,
    )
    expected = np.tanh(X @ np.array([0.5, -1.0, 2.0]) + 0.25)[:, None]
    np.testing.assert_allclose(
        neuron.to_torch()(torch.from_numpy(X)).detach().numpy(), expected, rtol=0, atol=TOL
    )


def test_copies_are_independent():
    model = MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    seq = model.to_torch()
    with torch.no_grad():
        seq[0].weight.add_(1.0)
    assert model.state_dict() == before
    back = MLP.from_torch(seq)
    with torch.no_grad():
        seq[0].bias.add_(1.0)
    assert back.layers[0].bias.tolist() == pytest.approx(model.layers[0].bias.tolist())


def test_dropout_and_mode_carry_over():
    model = MLP(2, [4, 4, 1], activation="relu", dropout=0.25, seed=0)
    seq = model.to_torch()
    kinds = [type(m).__name__ for m in seq]
    assert kinds == ["Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout", "Linear"]
    assert seq[2].p == 0.25
    assert seq.training
    assert not model.eval().to_torch().training
    back = MLP.from_torch(seq)
    assert back.dropout == 0.25
    assert back.training


def test_to_torch_refuses_other_objects():
    from microgradx.nn.torch_bridge import to_torch

    with pytest.raises(TypeError, match="MLP, Layer or Neuron"):
        to_torch(object())  # type: ignore[arg-type]


# --- from_torch -----------------------------------------------------------------------


def test_round_trip_keeps_architecture_and_weights():
    model = MLP(2, [3, 3, 1], activation="tanh", output_activation="sigmoid", seed=5)
    back = MLP.from_torch(model.to_torch())
    assert back.config()["nouts"] == [3, 3, 1]
    assert back.activation == "tanh"
    assert back.output_activation == "sigmoid"
    assert back.state_dict() == model.state_dict()


def test_from_torch_reads_a_network_made_in_torch():
    torch.manual_seed(0)
    seq = nn.Sequential(
        nn.Linear(3, 8), nn.ReLU(), nn.Sequential(nn.Linear(8, 4), nn.ReLU()), nn.Linear(4, 2)
    ).double()
    model = MLP.from_torch(seq)
    assert model.nouts == [8, 4, 2]
    assert model.activation == "relu"
    assert model.output_activation == "linear"
    X = _inputs(5, 3)
    np.testing.assert_allclose(
        model.forward_batch(X), seq(torch.from_numpy(X)).detach().numpy(), rtol=0, atol=TOL
    )


def test_from_torch_reads_float32_weights_exactly():
    torch.manual_seed(1)
    seq = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))  # float32
    model = MLP.from_torch(seq)
    assert model.layers[0].weight.tolist() == seq[0].weight.detach().double().tolist()


def test_from_torch_single_linear():
    linear = nn.Linear(3, 2, dtype=torch.float64)
    model = MLP.from_torch(linear)
    assert model.nouts == [2]
    assert model.output_activation == "linear"
    np.testing.assert_array_equal(model.layers[0].weight, linear.weight.detach().numpy())


@pytest.mark.parametrize(
    ("module", "message"),
    [
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Linear(3, 1)), r"layer 1 \(GELU"),
        (lambda: nn.Sequential(nn.Conv1d(1, 1, 3)), r"layer 0 \(Conv1d"),
        (lambda: nn.Sequential(nn.ReLU(), nn.Linear(2, 1)), "before any Linear"),
        (lambda: nn.Sequential(nn.Linear(2, 1, bias=False)), "no bias"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1)), "reads 4 inputs"),
        (
            lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Linear(3, 1)),
            "different activations",
        ),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2)), "slope"),
        (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Tanh()), "two activations"),
        (lambda: nn.Sequential(nn.Linear(2, 1), nn.Dropout(0.5)), "after the output layer"),
        (lambda: nn.Sequential(), "no Linear"),
    ],
)
def test_from_torch_errors_name_the_problem(module, message):
    with pytest.raises(ValueError, match=message):
        MLP.from_torch(module())


def test_unsupported_layer_error_lists_what_is_supported():
    with pytest.raises(ValueError, match="Linear, ReLU, Tanh, Sigmoid, LeakyReLU"):
        MLP.from_torch(nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=0)))


def test_from_torch_refuses_non_modules():
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        MLP.from_torch([1, 2, 3])


# --- training steps -------------------------------------------------------------------


def _train_both(model: MLP, make_opt, make_torch_opt, loss_fn, torch_loss, steps: int):
    seq = model.to_torch()
    opt, opt_t = make_opt(model), make_torch_opt(seq)
    X = _inputs(8, 2, seed=7)
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, 0.0)
    for _ in range(steps):
        opt.zero_grad()
        loss = mean(loss_fn(model(row), target) for row, target in zip(X, y))
        loss.backward()
        opt.step()

        opt_t.zero_grad()
        out = seq(torch.from_numpy(X))[:, 0]
        loss_t = torch_loss(out, torch.from_numpy(y))
        loss_t.backward()
        opt_t.step()
        assert loss.data == pytest.approx(loss_t.item(), abs=TOL)
    return seq


def test_one_sgd_step_gives_the_same_weights():
    model = MLP(2, [4, 1], activation="tanh", seed=2)
    start = model.state_dict()
    seq = _train_both(
        model,
        lambda m: SGD(m.parameters(), lr=0.5),
        lambda s: torch.optim.SGD(s.parameters(), lr=0.5),
        lambda p, t: mse(p, t),
        nn.MSELoss(),
        steps=1,
    )
    assert model.state_dict() != start  # the step moved the weights
    _assert_same_weights(model, seq)


def test_sgd_momentum_weight_decay_steps_give_the_same_weights():
    model = MLP(2, [4, 4, 1], activation="relu", seed=4)
    seq = _train_both(
        model,
        lambda m: SGD(m.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda s: torch.optim.SGD(
            s.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3
        ),
        lambda p, t: mse(p, t),
        nn.MSELoss(),
        steps=3,
    )
    _assert_same_weights(model, seq)


def test_adam_steps_with_logistic_loss_give_the_same_weights():
    model = MLP(2, [4, 1], activation="tanh", seed=6)
    seq = _train_both(
        model,
        lambda m: Adam(m.parameters(), lr=0.05),
        lambda s: torch.optim.Adam(s.parameters(), lr=0.05),
        bce_logits,
        nn.BCEWithLogitsLoss(),
        steps=3,
    )
    _assert_same_weights(model, seq)


# --- compare_with_torch ---------------------------------------------------------------


def test_compare_lecture_example(capsys):
    report = compare_with_torch("(w + x*y)*z", {"w": 5, "x": 3, "y": 2, "z": 4})
    assert isinstance(report, TorchComparison)
    assert report.ok
    # independent truth: f = (w + x·y)·z, ∂f/∂w = z, ∂f/∂x = y·z, ∂f/∂y = x·z, ∂f/∂z = w + x·y
    expected = {"w": 4.0, "x": 8.0, "y": 12.0, "z": 11.0}
    for name, grad in expected.items():
        row = report.row(name)
        assert row.grad == grad
        assert row.torch_grad == grad
    assert report.row("output").value == report.row("output").torch_value == 44.0
    printed = capsys.readouterr().out
    assert printed.strip() == report.table()
    assert "agree" in printed.splitlines()[-1]
    assert [line.split()[0] for line in printed.splitlines()[1:6]] == [
        "w",
        "x",
        "y",
        "z",
        "output",
    ]


def test_compare_shows_named_intermediates_and_the_named_output(capsys):
    report = compare_with_torch("v = x*y; f = tanh(v + 1)", {"x": 0.5, "y": -2.0}, show=False)
    assert capsys.readouterr().out == ""
    assert [row.name for row in report.rows] == ["x", "y", "v", "f"]
    assert report.output == "f"
    t = math.tanh(0.5 * -2.0 + 1)
    assert report.row("v").torch_grad == pytest.approx(1 - t * t, abs=TOL)
    assert report.row("x").torch_grad == pytest.approx((1 - t * t) * -2.0, abs=TOL)
    assert "∂f/∂name" in report.table()


def test_compare_callable_positional_and_keyword():
    report = compare_with_torch(lambda a, b: (a * b).relu() + a.exp(), [2.0, -3.0], show=False)
    assert [row.name for row in report.rows] == ["a", "b", "output"]
    assert report.row("a").torch_grad == pytest.approx(math.exp(2.0), abs=TOL)  # relu is off
    assert report.ok

    def g(*xs):
        return microgradx.sum(x * x for x in xs)

    report = compare_with_torch(g, [1.0, 2.0, 3.0], show=False)
    assert [row.name for row in report.rows] == ["x0", "x1", "x2", "output"]
    assert [row.torch_grad for row in report.rows[:3]] == [2.0, 4.0, 6.0]

    report = compare_with_torch(lambda p, q: p / q, {"q": 4.0, "p": 2.0}, show=False)
    assert report.row("q").torch_grad == pytest.approx(-2.0 / 16.0, abs=TOL)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a + b - c * d / e", {"a": 1.0, "b": 2.0, "c": 3.0, "d": -4.0, "e": 5.0}),
        ("-a ** 3 + a ** b", {"a": 1.5, "b": 0.7}),
        ("exp(a) + log(b) + tanh(a * b) + sigmoid(b)", {"a": 0.3, "b": 2.0}),
        ("relu(a) + relu(b) + leaky_relu(b, 0.1) + leaky_relu(a)", {"a": 0.7, "b": -1.3}),
        ("relu(a) + abs(a)", {"a": 0.0}),  # relu'(0) = 0, |·|'(0) = 0 in both
        ("max(a, b) + min(a, c)", {"a": 2.0, "b": 2.0, "c": 5.0}),  # a tie splits ½/½
        ("log(a) + 1 / b", {"a": -1.0, "b": 0.0}),  # nan and inf agree
        ("sin(a) * cos(b) + sqrt(a * b)", {"a": 0.7, "b": 2.5}),
        ("sin(a) * cos(b) + sqrt(c)", {"a": 0.3, "b": -1.2, "c": 2.5}),
    ],
)
def test_every_op_agrees_with_torch(text, values):
    report = compare_with_torch(text, values, show=False)
    assert report.ok, report.table()


def test_every_op_has_a_torch_form():
    from microgradx.compare import torch_functions

    assert set(torch_functions(torch)) == set(OPS)


def test_an_op_registered_at_run_time_is_named():
    from microgradx.ops import Op, registered

    cube = Op(
        name="cube", symbol="³", arity=1, f=lambda a: a * a * a,
        df=lambda out, a: (3 * a * a,), formula="d/da a³ = 3a²", method=True,
    )  # fmt: skip
    with registered(cube), pytest.raises(NotImplementedError, match="'cube'"):
        compare_with_torch("cube(x) + 1", {"x": 2.0}, show=False)


def test_a_wrong_engine_is_reported(monkeypatch, capsys):
    import microgradx.compare as compare

    real = compare.torch_functions

    def wrong(torch_module):
        ops = real(torch_module)
        ops["tanh"] = torch_module.sin  # stands in for an engine with a wrong op
        return ops

    monkeypatch.setattr(compare, "torch_functions", wrong)
    report = compare_with_torch("f = tanh(x) * y", {"x": 0.5, "y": 2.0})
    assert not report.ok
    assert report.row("f").value_diff == pytest.approx(2 * abs(math.tanh(0.5) - math.sin(0.5)))
    assert report.row("x").grad_diff > 0.01
    assert capsys.readouterr().out.splitlines()[-1].startswith("DIFFER")


def test_compare_refuses_bad_input():
    with pytest.raises(TypeError, match="must be a number"):
        compare_with_torch("x + 1", {"x": "3"}, show=False)
    with pytest.raises(TypeError, match="mapping"):
        compare_with_torch("x + 1", [3.0], show=False)
    with pytest.raises(TypeError, match="must return a Value"):
        compare_with_torch(lambda x: 3.0, [1.0], show=False)
    with pytest.raises(TypeError, match="text expression or a callable"):
        compare_with_torch(42, [1.0], show=False)  # type: ignore[arg-type]


# --- without PyTorch ------------------------------------------------------------------


def test_missing_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now fails
    hint = r'pip install "microgradx\[torch\]"'
    with pytest.raises(ImportError, match=hint):
        MLP(2, [1], seed=0).to_torch()
    with pytest.raises(ImportError, match=hint):
        MLP.from_torch(object())
    with pytest.raises(ImportError, match=hint):
        compare_with_torch("x * 2", {"x": 1.0}, show=False)


def test_an_activation_registered_at_run_time_reaches_mlp_tape_and_torch():
    # softplus(a) = ln(1 + eᵃ), d/da = σ(a): one row, and MLP, the tape, to_torch and
    # compare_with_torch all use it
    import math

    from microgradx.ops import Op, registered

    softplus = Op(
        name="softplus", symbol="softplus", arity=1,
        f=lambda a: math.log1p(math.exp(a)), np_f=lambda a: np.log1p(np.exp(a)),
        df=lambda out, a: (1.0 / (1.0 + microgradx.ops.exp(-a)),),
        formula="d/da softplus(a) = σ(a)", activation=True, torch="nn.functional.softplus",
    )  # fmt: skip
    with registered(softplus):
        assert "softplus" in microgradx.nn.ACTIVATIONS
        model = MLP(2, [3, 1], activation="softplus", seed=4)
        x = [0.3, -0.7]
        out = model(x)  # one output: a Value
        seq = model.to_torch()
        t = seq(torch.tensor([x], dtype=torch.float64))
        assert out.data == pytest.approx(t.item(), rel=1e-12)
        # by hand: h = softplus(W1 x + b1), out = W2 h + b2
        (W1, b1), (W2, b2) = _torch_params(seq)
        h = np.log1p(np.exp(W1 @ np.array(x) + b1))
        assert out.data == pytest.approx((W2 @ h + b2).item(), rel=1e-12)
        report = compare_with_torch("softplus(x) * y", {"x": 0.5, "y": -2.0}, show=False)
        assert report.ok, report.table()
        X = np.array([x, [1.0, 2.0], [-0.5, 0.1], [2.0, -1.0]])
        y = np.array([0.5, -1.0, 0.25, 1.0])
        np.testing.assert_allclose(
            model.forward_batch(X)[:, 0], [model(r).data for r in X], rtol=1e-12
        )
        runs = {}
        for backend in ("scalar", "tape"):
            m = MLP(2, [3, 1], activation="softplus", seed=4)
            h = microgradx.nn.fit(m, X, y, loss="mse", epochs=3, backend=backend, progress=False)
            runs[backend] = h.loss
        np.testing.assert_allclose(runs["tape"], runs["scalar"], rtol=1e-12)
    assert "softplus" not in microgradx.nn.ACTIVATIONS
