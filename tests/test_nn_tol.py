"""fit(tol=...): gradient descent until the gradient is about 0, on both backends."""

from __future__ import annotations

import numpy as np
import pytest

from microgradx.nn import EarlyStopping, History, Neuron, fit


def _line_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20, 1))
    y = 1.5 * X[:, 0] - 0.5 + 0.1 * rng.normal(size=20)
    return X, y


def _numpy_descent(X, y, w, b, lr, tol, epochs):
    """Full-batch gradient descent on J = mean((w·x + b − y)²), written by hand.

    Returns the epoch at which the gradient (at that epoch's step) first has norm < tol.
    """
    x = X[:, 0]
    for epoch in range(1, epochs + 1):
        r = w * x + b - y
        g = np.array([np.mean(2 * r * x), np.mean(2 * r)])
        w, b = w - lr * g[0], b - lr * g[1]
        if np.linalg.norm(g) < tol:
            return epoch, w, b
    return None, w, b


@pytest.mark.parametrize("backend", ["scalar", "tape"])
def test_fit_stops_at_the_first_epoch_whose_gradient_norm_is_below_tol(backend):
    X, y = _line_data()
    tol = 1e-3
    expected, w, b = _numpy_descent(X, y, 0.2, 0.0, 0.1, tol, 500)
    assert expected is not None and 10 < expected < 500
    model = Neuron(1, None, weights=[0.2])
    h = fit(model, X, y, loss="mse", lr=0.1, epochs=500, tol=tol, progress=False, backend=backend)
    assert len(h) == expected
    assert h.stop_reason == "tol"
    assert np.linalg.norm(h.grad_norm[-1]) < tol <= np.linalg.norm(h.grad_norm[-2])
    assert model.w[0].data == pytest.approx(w, abs=1e-12)
    assert model.b.data == pytest.approx(b, abs=1e-12)


def test_without_tol_every_epoch_runs_and_the_reason_is_epochs(tmp_path):
    X, y = _line_data()
    h = fit(Neuron(1, None, weights=[0.2]), X, y, loss="mse", lr=0.1, epochs=7, progress=False)
    assert len(h) == 7 and h.stop_reason == "epochs"
    back = History.load(h.save(tmp_path / "h.json"))
    assert back.stop_reason == "epochs"


def test_a_tol_never_reached_runs_every_epoch_and_other_stops_name_themselves():
    X, y = _line_data()
    h = fit(Neuron(1, None), X, y, loss="mse", lr=0.1, epochs=5, tol=1e-12, progress=False)
    assert len(h) == 5 and h.stop_reason == "epochs"
    h = fit(
        Neuron(1, None),
        X,
        y,
        loss="mse",
        epochs=9,
        progress=False,
        callbacks=[lambda h: len(h) == 3],
    )
    assert len(h) == 3 and h.stop_reason == "callback"
    h = fit(
        Neuron(1, None), X, y, loss="mse", lr=5.0, epochs=50, progress=False,
        early_stopping=EarlyStopping(patience=2, monitor="loss"),
    )  # fmt: skip
    assert h.stop_reason == "early_stopping" and h.stopped_early == len(h)


@pytest.mark.parametrize("tol", [-1.0, "small", True, float("nan")])
def test_bad_tol_is_a_value_error(tol):
    X, y = _line_data()
    with pytest.raises(ValueError, match="tol must be"):
        fit(Neuron(1, None), X, y, loss="mse", tol=tol, progress=False)
