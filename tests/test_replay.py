"""Watching training: snapshots kept by fit(..., record_every=k) and the replay page."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from microgradx import nn
from microgradx.nn.history import MAX_SNAPSHOTS


def page_data(html: str) -> dict:
    found = re.search(r'<script id="replay" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


@pytest.fixture(scope="module")
def trained():
    """MLP(2, [16, 16, 1]) on 100 moons points, 100 epochs, a snapshot after each."""
    X, y = nn.make_moons(100, seed=0)
    model = nn.MLP(2, [16, 16, 1], seed=0)
    history = nn.fit(model, X, y, epochs=100, batch_size=10, record_every=1,
                     progress=False, backend="tape")  # fmt: skip
    return model, history, X, y


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_record_every_must_be_a_positive_int(bad):
    X, y = nn.make_moons(10, seed=0)
    with pytest.raises(ValueError, match="record_every"):
        nn.fit(nn.MLP(2, [2, 1], seed=0), X, y, epochs=1, record_every=bad, progress=False)


@pytest.mark.parametrize("backend", ["scalar", "tape"])
def test_snapshots_hold_the_weights_of_their_epochs(backend):
    X, y = nn.make_moons(20, seed=0)
    model = nn.MLP(2, [3, 1], seed=0)
    history = nn.fit(model, X, y, epochs=10, record_every=3, progress=False, backend=backend)
    assert [s["epoch"] for s in history.snapshots] == [1, 3, 6, 9]
    again = nn.MLP(2, [3, 1], seed=0)  # the same run to epoch 9 ends with the same weights
    nn.fit(again, X, y, epochs=9, progress=False, backend=backend)
    assert history.snapshots[-1]["weights"].tolist() == [p.data for p in again.parameters()]
    assert history.snapshots[0]["weights"].tolist() != history.snapshots[-1]["weights"].tolist()
    assert history.model is model


def test_snapshots_are_bounded_and_thinned_from_the_oldest():
    model = nn.MLP(2, [2, 1], seed=0)
    history = nn.History()
    for epoch in range(1, 451):
        history.snapshot(epoch, model)
    epochs = [s["epoch"] for s in history.snapshots]
    assert len(epochs) <= MAX_SNAPSHOTS and epochs[0] == 1 and epochs[-1] == 450
    assert epochs == sorted(epochs)
    gaps = np.diff(epochs)
    assert gaps[0] > gaps[-1]  # older snapshots are sparser than the newest


def test_replay_page_size_and_frames(trained):
    _, history, X, y = trained
    page = history.replay(X, y, sample=3)
    assert len(page) == 100 and page.epochs[:3] == [1, 2, 3]
    assert len(page.html.encode("utf-8")) <= 3_000_000
    data = page_data(page.html)
    cells = data["boundary"]["cells"]
    assert len(cells) == 100 and all(len(c) == 40 * 40 for c in cells)
    assert cells[0] != cells[-1]  # training moved the boundary
    assert not re.search(r"\bsrc\s*=|\bhref\s*=|<link|@import|url\(", page.html, re.I)


def test_sample_figure_shows_the_trained_loss_and_matches_finite_differences(trained):
    model, history, X, y = trained
    targets = 2.0 * y - 1.0  # fit's default for one output and labels 0/1: hinge, targets ±1
    margins = 1.0 - targets * model.forward_batch(X)[:, 0]
    i = int(np.argmax(margins))  # the sample with the largest hinge loss: its gradient is not 0
    assert margins[i] > 0
    data = page_data(history.replay(X, y, sample=i).html)
    assert data["lossName"] == "hinge" and data["target"] == [targets[i]]
    last = data["frames"][-1]["net"]
    x, t = X[i : i + 1], float(targets[i])

    def loss() -> float:  # the hinge loss through numpy, not through Values
        return max(0.0, 1.0 - t * float(model.forward_batch(x)[0, 0]))

    assert last["a"][-1][0] == pytest.approx(model.forward_batch(x)[0, 0], rel=1e-3)
    assert last["L"] == pytest.approx(loss(), rel=1e-3)
    for layer, j, k in ((0, 0, 1), (1, 4, 7), (2, 0, 3)):
        w = model.layers[layer].neurons[j].w[k]
        keep, h = w.data, 1e-6
        w.data = keep + h
        up = loss()
        w.data = keep - h
        down = loss()
        w.data = keep
        expected = (up - down) / (2 * h)
        assert last["g"][layer][j][k] == pytest.approx(expected, rel=2e-3, abs=1e-6)
        assert last["w"][layer][j][k] == pytest.approx(keep, rel=1e-3)


def test_replay_needs_snapshots_and_a_sample_of_the_data(trained):
    _, history, X, y = trained
    X2, y2 = nn.make_moons(10, seed=0)
    plain = nn.fit(nn.MLP(2, [2, 1], seed=0), X2, y2, epochs=2, progress=False)
    with pytest.raises(ValueError, match="record_every"):
        plain.replay(X2, y2)
    with pytest.raises(ValueError, match="sample"):
        history.replay(X, y, sample=100)
    with pytest.raises(ValueError, match="delay"):
        history.replay(X, y, delay=float("inf"))
