"""fit: learning, batching, validation, early stopping, callbacks, progress, errors."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from microgradx import Value, no_grad
from microgradx.nn import (
    MLP,
    SGD,
    EarlyStopping,
    History,
    Module,
    StepLR,
    accuracy,
    fit,
    hinge,
    layer_grad_norms,
    make_blobs,
    make_moons,
    make_xor,
    predict,
)


@pytest.mark.slow
def test_moons_reach_full_training_accuracy_within_100_epochs():
    """MLP(2, [16, 16, 1]), hinge + L2, SGD on 100 noisy moons: every point right."""
    X, y = make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    assert accuracy(model, X, y) < 0.9
    history = fit(
        model, X, y, loss="hinge", optimizer="sgd", lr=0.3, batch_size=10, l2=1e-4,
        epochs=100, progress=False,
        callbacks=[lambda h: accuracy(model, X, y) == 1.0],  # stop once all are right
    )  # fmt: skip
    assert len(history) < 100
    assert accuracy(model, X, y) == 1.0
    assert history.loss[-1] < history.loss[0] / 4


@pytest.mark.parametrize(
    ("optimizer", "lr"),
    [("sgd", 0.1), ("adagrad", 0.1), ("rmsprop", 0.01), ("adam", 0.05), ("adamw", 0.05)],
)
def test_every_optimizer_lowers_the_loss_on_xor(optimizer, lr):
    X, y = make_xor()
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    history = fit(model, X, y, loss="mse", optimizer=optimizer, lr=lr, epochs=30, progress=False)
    assert history.loss[-1] < 0.5 * history.loss[0]


def test_cross_entropy_on_three_blobs():
    X, y = make_blobs(60, centers=np.array([[-3.0, 0.0], [3.0, 0.0], [0.0, 4.0]]), seed=0)
    model = MLP(2, [8, 3], seed=0)
    history = fit(model, X, y, optimizer="adam", lr=0.05, epochs=15, progress=False)
    assert history.info["loss"] == "cross_entropy"  # the default for several outputs
    assert history.accuracy[-1] > 0.9
    assert accuracy(model, X, y) > 0.9
    assert set(predict(model, X).tolist()) == {0, 1, 2}


def steps_taken(batch_size, n=10, epochs=2) -> int:
    X, y = make_moons(n, seed=0)
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.01)
    fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=batch_size, progress=False)
    return opt.t


def test_batch_size_sets_the_number_of_steps():
    assert steps_taken(None) == 2  # full batch: one step per epoch
    assert steps_taken(4) == 2 * 3  # 4 + 4 + 2
    assert steps_taken(1) == 2 * 10  # stochastic


def test_full_batch_step_uses_the_mean_gradient():
    """One full-batch SGD step with lr=1 moves each weight by −(1/m)·Σₖ ∂Lₖ/∂w."""
    X, y = make_moons(6, noise=0.2, seed=1)
    model = MLP(2, [3, 1], activation="tanh", seed=2)

    # the mean gradient by central differences of the mean hinge loss
    def mean_loss() -> float:
        with no_grad():
            return float(np.mean([hinge(model(x), 2 * t - 1).data for x, t in zip(X, y)]))

    ps = model.parameters()
    expected = []
    for p in ps:
        base = p.data
        p.data = base + 1e-6
        up = mean_loss()
        p.data = base - 1e-6
        down = mean_loss()
        p.data = base
        expected.append(base - (up - down) / 2e-6)
    fit(model, X, y, loss="hinge", lr=1.0, epochs=1, progress=False)
    assert [p.data for p in ps] == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_same_seed_same_history():
    X, y = make_moons(30, seed=0)
    runs = [
        fit(MLP(2, [4, 1], seed=1), X, y, batch_size=8, epochs=3, progress=False, seed=5).loss
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_validation_metrics_and_history_round_trip(tmp_path):
    X, y = make_moons(40, seed=0)
    Xv, yv = make_moons(20, seed=1)
    h = fit(MLP(2, [4, 1], seed=0), X, y, validation=(Xv, yv), epochs=3, progress=False)
    assert len(h) == 3 and h.has_validation
    assert all(0 <= a <= 1 for a in h.val_accuracy)
    assert all(v > 0 for v in h.val_loss)
    assert h.epochs == [1, 2, 3] and all(s >= 0 for s in h.seconds)
    again = History.load(h.save(tmp_path / "history.json"))
    assert again.records == h.records
    assert "3 epochs" in repr(h) and "val_loss" in h.summary()
    with pytest.raises(KeyError, match="no 'f1'"):
        h["f1"]


def test_early_stopping_stops_and_restores_the_best_weights():
    X, y = make_moons(20, seed=0)
    model = MLP(2, [4, 1], seed=0)
    # a learning rate this large makes the loss jump about, so it stops improving
    h = fit(model, X, y, lr=50.0, epochs=200, early_stopping=3, progress=False)
    assert h.stopped_early is not None and len(h) < 200
    best = int(np.argmin(h.loss)) + 1
    assert h.stopped_early == best + 3
    assert h.info["restored_epoch"] == best
    with pytest.raises(ValueError, match="needs validation data"):
        fit(model, X, y, early_stopping=EarlyStopping(2, monitor="val_loss"), progress=False)


def test_schedules_in_callbacks_step_each_epoch():
    X, y = make_moons(10, seed=0)
    model = MLP(2, [3, 1], seed=0)
    opt = SGD(model.parameters(), lr=0.1)
    h = fit(model, X, y, optimizer=opt, epochs=4, callbacks=[StepLR(opt, 2, 0.5)], progress=False)
    assert h["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])


def test_progress_lines_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import fails: plain lines
    X, y = make_moons(10, seed=0)
    fit(MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("epoch 1/3  loss ") and "accuracy" in lines[0]


def test_progress_bar_with_tqdm(capsys):
    X, y = make_moons(10, seed=0)
    fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, progress=True)
    captured = capsys.readouterr()
    assert "2/2" in captured.err and captured.out == ""


def test_no_progress_prints_nothing(capsys):
    X, y = make_moons(10, seed=0)
    fit(MLP(2, [3, 1], seed=0), X, y, epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backend": "gpu"}, "backend must be one of 'auto', 'scalar', 'tape', got 'gpu'"),
        ({"X": np.zeros((10, 3))}, r"shape \(10, 3\), but the model takes 2 inputs"),
        ({"y": np.zeros(9)}, r"10 rows but the labels have shape \(9,\)"),
        ({"X": np.full((10, 2), np.nan)}, r"contains nan \(row 0, column 0\)"),
        ({"y": np.arange(10)}, "hinge needs labels 0/1 or -1/\\+1"),
        ({"y": np.full(10, 0.5)}, "integer class labels"),
        ({"loss": "cross_entropy"}, "2 or more outputs"),
        ({"loss": "focal"}, "unknown loss 'focal'"),
        ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'"),
        ({"epochs": 0}, "epochs must be a positive int"),
        ({"batch_size": 0}, "batch_size"),
        ({"l2": -1.0}, "l2 must be"),
        ({"validation": (np.zeros((3, 2)),)}, "validation must be a pair"),
    ],
)
def test_bad_input_is_a_value_error_naming_it(kwargs, match):
    X, y = make_moons(10, seed=0)
    args = {"X": X, "y": y, "progress": False, "epochs": 1}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit(MLP(2, [3, 1], seed=0), **args)


def test_labels_that_do_not_fit_cross_entropy():
    X, y = make_blobs(10, centers=3, seed=0)
    with pytest.raises(ValueError, match=r"classes 0\.\.1"):
        fit(MLP(2, [3, 2], seed=0), X, y, epochs=1, progress=False)


def test_minus_one_plus_one_labels_and_bce_variants():
    X, y = make_moons(20, seed=0)
    h = fit(MLP(2, [4, 1], seed=0), X, 2 * y - 1, loss="hinge", epochs=2, progress=False)
    assert h.accuracy[0] is not None
    sig = MLP(2, [4, 1], output_activation="sigmoid", seed=0)
    h = fit(sig, X, y, epochs=2, progress=False)
    assert h.info["loss"] == "binary_cross_entropy"
    h = fit(MLP(2, [4, 1], seed=0), X, y, loss="bce_with_logits", epochs=2, progress=False)
    assert h.loss[-1] < h.loss[0]


def test_predict_thresholds_and_raw_outputs():
    model = MLP(1, [1], output_activation="sigmoid", seed=0)
    neuron = model.layers[0].neurons[0]
    neuron.w[0].data, neuron.b.data = 1.0, 0.0
    X = np.array([[-2.0], [0.5], [3.0]])
    assert predict(model, X).tolist() == [0, 1, 1]  # σ(x) > 0.5
    assert predict(model, X, threshold=0.9).tolist() == [0, 0, 1]
    np.testing.assert_allclose(predict(model, X, raw=True)[:, 0], 1 / (1 + np.exp(-X[:, 0])))
    assert accuracy(model, X, np.array([-1, 1, 1])) == 1.0


def test_regression_with_mse_has_no_accuracy():
    X = np.linspace(-1, 1, 12)[:, None]
    y = 0.5 * X[:, 0] + 0.1
    h = fit(MLP(1, [1], seed=0), X, y, loss="mse", lr=0.5, epochs=20, progress=False)
    assert h.accuracy[-1] is None
    assert h.loss[-1] < 1e-3


# --- gradient norms --------------------------------------------------------------------------


def _objective(model, X, y, l2):
    """J = (1/m)·Σₖ (model(xₖ) − yₖ)² + l2·Σ p², by the forward pass alone."""
    with no_grad():
        data = sum((model(list(x)).data - t) ** 2 for x, t in zip(X, y)) / len(X)
    return data + l2 * sum(p.data**2 for p in model.parameters())


def _norms_by_finite_differences(model, X, y, l2, eps=1e-6):
    """Each layer's ‖∂J/∂θ‖₂ with every ∂J/∂p from a central difference."""
    norms = []
    for layer in model.layers:
        squares = 0.0
        for p in layer.parameters():
            x0 = p.data
            p.data = x0 + eps
            up = _objective(model, X, y, l2)
            p.data = x0 - eps
            down = _objective(model, X, y, l2)
            p.data = x0
            squares += ((up - down) / (2 * eps)) ** 2
        norms.append(squares**0.5)
    return norms


def test_every_epoch_records_the_gradient_norm_of_each_layer_at_its_last_step(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=6)
    model = MLP(2, [3, 2, 1], seed=0)
    start = model.state_dict()
    history = fit(
        model, X, y, loss="mse", l2=1e-2, optimizer=SGD(model.parameters(), lr=0.1),
        epochs=2, progress=False,
    )  # fmt: skip
    assert [len(norms) for norms in history.grad_norm] == [3, 3]  # one per layer
    # epoch 1's only step was taken at the initial weights ...
    again = MLP(2, [3, 2, 1], seed=0)
    again.load_state_dict(start)
    expected = _norms_by_finite_differences(again, X, y, 1e-2)
    assert history.grad_norm[0] == pytest.approx(expected, rel=1e-6)
    # ... and epoch 2's at the weights after that step, not at the start
    fit(again, X, y, loss="mse", l2=1e-2, optimizer=SGD(again.parameters(), lr=0.1),
        epochs=1, progress=False)  # fmt: skip
    expected = _norms_by_finite_differences(again, X, y, 1e-2)
    assert history.grad_norm[1] == pytest.approx(expected, rel=1e-6)
    assert history.grad_norm[1] != pytest.approx(history.grad_norm[0], rel=1e-3)
    # saved in the JSON
    loaded = History.load(history.save(tmp_path / "history.json"))
    assert loaded.grad_norm == history.grad_norm


def test_grad_norm_of_dead_relu_layers_is_zero():
    # every hidden relu unit gets a negative input: no gradient reaches the first layer
    X, y = np.ones((4, 2)), np.array([1, 1, 1, 0])
    model = MLP(2, [3, 1], activation="relu", seed=0)
    for n in model.layers[0].neurons:
        n.b.data = -100.0
    history = fit(model, X, y, loss="hinge", epochs=1, progress=False)
    first, last = history.grad_norm[0]
    assert first == 0.0 and last == pytest.approx(0.5)  # only the output bias: mean of −t


def test_the_tape_backend_records_the_same_gradient_norms():
    X, y = make_moons(30, noise=0.1, seed=1)
    runs = {}
    for backend in ("scalar", "tape"):
        model = MLP(2, [5, 4, 1], seed=2)
        runs[backend] = fit(
            model, X, y, loss="hinge", l2=1e-3, optimizer=SGD(model.parameters(), lr=0.2),
            epochs=3, batch_size=10, progress=False, backend=backend,
        )  # fmt: skip
    for a, b in zip(runs["scalar"].grad_norm, runs["tape"].grad_norm):
        assert a == pytest.approx(b, rel=1e-9)
    assert all(len(norms) == 3 and min(norms) > 0 for norms in runs["tape"].grad_norm)


def test_layer_grad_norms_reads_given_gradients_in_parameter_order():
    model = MLP(2, [3, 1], seed=0)  # 9 parameters in layer 0, 4 in layer 1
    grads = [float(i) for i in range(13)]
    expected = [sum(g * g for g in grads[:9]) ** 0.5, sum(g * g for g in grads[9:]) ** 0.5]
    assert layer_grad_norms(model, np.array(grads)) == pytest.approx(expected, rel=1e-15)
    assert layer_grad_norms(model, iter(grads)) == pytest.approx(expected, rel=1e-15)
    for p, g in zip(model.parameters(), grads):
        p.grad = g
    assert layer_grad_norms(model) == pytest.approx(expected, rel=1e-15)
    with pytest.raises(ValueError, match="12 gradients for 13 parameters"):
        layer_grad_norms(model, grads[:12])


class _Linear(Module):
    """A model of the user's own: one linear unit, written against Module's contract."""

    nin, nout = 2, 1

    def __init__(self, w: list[float], b: float) -> None:
        self.w, self.b = [Value(x) for x in w], Value(b)
        for p in self.parameters():
            p.is_param = True

    def named_parameters(self):
        return [("w0", self.w[0]), ("w1", self.w[1]), ("b", self.b)]

    def config(self):
        return {}

    def __call__(self, x):
        return self.w[0] * x[0] + self.w[1] * x[1] + self.b

    def forward_batch(self, X):
        return (X @ np.array([w.data for w in self.w]) + self.b.data)[:, None]


@pytest.mark.parametrize("backend", ["scalar", "tape"])
def test_fit_trains_a_module_subclass_by_the_hinge_gradient_written_by_hand(backend):
    X, labels = make_moons(20, noise=0.1, seed=3)
    w, b, lr = np.array([0.3, -0.2]), 0.1, 0.5
    model = _Linear(list(w), b)
    fit(model, X, labels, loss="hinge", optimizer="sgd", lr=lr, epochs=1, progress=False,
        backend=backend)  # fmt: skip
    # mean hinge max(0, 1 − y·(w·x + b)) with y = ±1: its gradient where the margin is positive
    y = 2.0 * labels - 1.0
    active = (1.0 - y * (X @ w + b)) > 0
    grad_w = -(active * y) @ X / len(X)
    grad_b = -np.sum(active * y) / len(X)
    assert [p.data for p in model.w] == pytest.approx(list(w - lr * grad_w), rel=1e-12)
    assert model.b.data == pytest.approx(b - lr * grad_b, rel=1e-12)


def test_fit_refuses_more_epochs_than_the_cap_before_training():
    from microgradx.nn.history import MAX_EPOCHS

    model = MLP(2, [1], seed=0)
    before = model.state_dict()
    with pytest.raises(ValueError, match=f"at most {MAX_EPOCHS:,}.*record to the history"):
        fit(model, [[0.0, 1.0]], [1], epochs=MAX_EPOCHS + 1)
    assert model.state_dict() == before


def test_progress_lines_without_tqdm_are_a_line_every_tenth(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    X, y = make_moons(10, seed=0)
    fit(MLP(2, [3, 1], seed=0), X, y, epochs=100, progress=True)
    epochs = [int(line.split()[1].split("/")[0]) for line in capsys.readouterr().out.splitlines()]
    assert epochs == [1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    # a run that stops early still prints the epoch it stopped at
    h = fit(MLP(2, [3, 1], seed=0), X, y, lr=50.0, epochs=100, early_stopping=3, progress=True)
    assert h.stopped_early is not None and h.stopped_early % 10 != 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith(f"epoch {h.stopped_early:>3}/100")


@pytest.mark.parametrize("backend", ["scalar", "tape"])
def test_gradient_norms_at_a_cadence_are_the_every_epoch_ones(backend):
    from microgradx import plot

    X, y = make_moons(30, noise=0.1, seed=1)
    runs = {}
    for every in (1, 3, None):
        model = MLP(2, [5, 4, 1], seed=2)
        runs[every] = fit(model, X, y, epochs=7, batch_size=10, progress=False, backend=backend,
                          grad_norm_every=every)  # fmt: skip
    full, sparse = runs[1].grad_norm, runs[3].grad_norm
    assert all(norms is not None and len(norms) == 3 for norms in full)
    kept = [e for e, norms in zip(runs[3].epochs, sparse) if norms is not None]
    assert kept == [1, 3, 6, 7]  # every third epoch, the first and the last
    for e in kept:
        assert sparse[e - 1] == full[e - 1]
    assert runs[None].grad_norm == [None] * 7
    assert runs[None].loss == runs[1].loss  # the training is the same
    line = plot.gradient_norms(runs[3]).axes[0].get_lines()[0]
    assert list(line.get_xdata()) == kept
    with pytest.raises(ValueError, match="no gradient norms"):
        plot.gradient_norms(runs[None])


def test_tol_stops_on_the_gradient_even_without_recorded_norms():
    X, y = make_moons(30, noise=0.1, seed=1)
    stops = []
    for every in (1, None):
        model = MLP(2, [4, 1], seed=0)
        h = fit(model, X, y, loss="mse", epochs=400, tol=0.05, progress=False,
                grad_norm_every=every)  # fmt: skip
        stops.append((h.stop_reason, len(h)))
    assert stops[0] == stops[1] and stops[0][0] == "tol"


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_grad_norm_every_must_be_a_positive_int_or_none(bad):
    X, y = make_moons(10, seed=0)
    with pytest.raises(ValueError, match="grad_norm_every must be None or a positive int"):
        fit(MLP(2, [3, 1], seed=0), X, y, epochs=1, progress=False, grad_norm_every=bad)
