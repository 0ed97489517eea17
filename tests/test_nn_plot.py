"""Plots: what they draw, saving, and the message when matplotlib is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from microgradx import plot
from microgradx.nn import MLP, History, fit, make_moons, predict


@pytest.fixture(scope="module")
def trained():
    X, y = make_moons(40, noise=0.1, seed=0)
    Xv, yv = make_moons(20, noise=0.1, seed=1)
    model = MLP(2, [8, 1], seed=0)
    h = fit(model, X, y, lr=0.3, batch_size=8, epochs=4, validation=(Xv, yv), progress=False)
    return model, X, y, h


def test_loss_curve_plots_the_history(trained, tmp_path):
    _, _, _, h = trained
    fig = plot.loss_curve(h, path=tmp_path / "loss.png")
    loss_ax, acc_ax = fig.axes
    train, val = loss_ax.get_lines()
    assert list(train.get_ydata()) == h.loss and list(val.get_ydata()) == h.val_loss
    assert list(acc_ax.get_lines()[0].get_ydata()) == pytest.approx([100 * a for a in h.accuracy])
    assert (tmp_path / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_loss_curve_regression_has_one_panel():
    h = History([{"epoch": 1, "loss": 2.0, "accuracy": None}, {"epoch": 2, "loss": 1.0,
                 "accuracy": None}])  # fmt: skip
    assert len(plot.loss_curve(h).axes) == 1
    with pytest.raises(ValueError, match="no epochs"):
        plot.loss_curve(History())


def test_decision_boundary_background_is_the_models_prediction(trained, tmp_path):
    model, X, y, _ = trained
    fig = plot.decision_boundary(model, X, y, path=tmp_path / "b.svg", resolution=30)
    (ax,) = fig.axes
    assert "accuracy" in ax.get_title()
    assert (tmp_path / "b.svg").read_text().lstrip().startswith("<?xml")
    # the scattered points are the data, coloured by label
    offsets = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(offsets), X)
    assert predict(model, X).shape == y.shape
    with pytest.raises(ValueError, match=r"2-D inputs"):
        plot.decision_boundary(MLP(3, [1], seed=0), np.zeros((4, 3)), np.zeros(4))


def test_compare_draws_one_curve_per_run(trained):
    _, _, _, h = trained
    fig = plot.compare({"a": h, "b": h}, metric="accuracy")
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert list(lines[0].get_ydata()) == pytest.approx([100 * a for a in h.accuracy])
    with pytest.raises(ValueError, match="at least one"):
        plot.compare([])


def test_missing_matplotlib_says_what_to_install(monkeypatch, trained):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r'pip install "microgradx\[plot\]"'):
        plot.loss_curve(trained[3])


def test_gradient_norms_plots_one_curve_per_layer(trained, tmp_path):
    _, _, _, h = trained
    fig = plot.gradient_norms(h, path=tmp_path / "norms.png")
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 2  # MLP(2, [8, 1]): two layers
    for i, line in enumerate(lines):
        assert list(line.get_ydata()) == [norms[i] for norms in h.grad_norm]
        assert list(line.get_xdata()) == h.epochs
    assert ax.get_yscale() == "log"
    assert (tmp_path / "norms.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_gradient_norms_leave_gaps_for_zero_and_refuse_old_histories():
    h = History([{"epoch": 1, "loss": 1.0, "grad_norm": [0.0, 2.0]},
                 {"epoch": 2, "loss": 0.5, "grad_norm": [0.5, 1.0]}])  # fmt: skip
    first, second = plot.gradient_norms(h).axes[0].get_lines()
    assert np.isnan(first.get_ydata()[0]) and list(second.get_ydata()) == [2.0, 1.0]
    assert list(plot.gradient_norms(h, log=False).axes[0].get_lines()[0].get_ydata()) == [0, 0.5]
    with pytest.raises(ValueError, match="no 'grad_norm'"):
        plot.gradient_norms(History([{"epoch": 1, "loss": 1.0}]))
