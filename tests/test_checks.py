"""The shared argument check: what counts as a positive int, and what the message says."""

from __future__ import annotations

import numpy as np
import pytest

from microgradx import nn
from microgradx._checks import is_positive_int, positive_int


@pytest.mark.parametrize("n", [1, 7, np.int64(3), np.int32(1)])
def test_whole_numbers_from_one_pass_and_come_back_as_int(n):
    assert is_positive_int(n)
    out = positive_int("k", n)
    assert out == int(n) and type(out) is int


@pytest.mark.parametrize("n", [0, -2, True, False, 2.0, "3", None, np.float64(2.0), np.int64(0)])
def test_everything_else_is_refused_with_the_arguments_name(n):
    assert not is_positive_int(n)
    with pytest.raises(ValueError, match=r"^k must be a positive int, got "):
        positive_int("k", n)


def test_an_upper_bound_is_said_with_the_bound():
    assert positive_int("samples", 10, most=10) == 10
    with pytest.raises(ValueError, match=r"samples must be at most 10, got 11"):
        positive_int("samples", 11, most=10)


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: nn.MLP(0, [2]), "nin"),
        (lambda: nn.Layer(2, 2.0), "nout"),
        (lambda: nn.EarlyStopping(patience=True), "patience"),
        (lambda: nn.StepLR(nn.SGD([nn.Neuron(1).b]), step_size=0), "step_size"),
        (lambda: nn.BatchNorm(np.int64(-1)), "num_features"),
    ],
)
def test_the_package_uses_it_everywhere(make, name):
    with pytest.raises(ValueError, match=f"^{name} must be a positive int, got "):
        make()


def test_numpy_ints_are_sizes_too():
    layer = nn.Layer(np.int64(3), np.int32(2))
    assert (layer.nin, layer.nout) == (3, 2) and type(layer.nin) is int
    assert nn.StepLR(nn.SGD([nn.Neuron(1).b]), step_size=np.int64(2)).step_size == 2


def test_numpy_int_arguments_train_save_and_replay_as_python_ints(tmp_path):
    X, y = nn.make_moons(20, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    history = nn.fit(model, X, y, epochs=np.int64(2), batch_size=np.int64(5),
                     early_stopping=np.int64(3), validation=(X, y), record_every=np.int64(1),
                     progress=False)  # fmt: skip
    assert history.info["batch_size"] == 5 and type(history.info["batch_size"]) is int
    history.save(tmp_path / "h.json")  # numpy ints are not JSON: they must not be kept
    assert nn.History.load(tmp_path / "h.json").info["batch_size"] == 5
    page = history.replay(X, y, sample=np.int64(1), max_bytes=np.int64(10_000_000))
    assert '"sample":1' in page.html.replace(" ", "")
    with pytest.raises(ValueError, match="max_bytes must be a positive int, got True"):
        history.replay(X, y, max_bytes=True)


def test_a_run_with_numpy_ints_writes_its_files(tmp_path):
    from microgradx.runs import train_toy

    run = train_toy(tmp_path / "run", samples=np.int64(30), epochs=np.int64(2),
                    batch_size=np.int64(10), progress=False)  # fmt: skip
    assert (tmp_path / "run" / "history.json").exists() and run.history.info["batch_size"] == 10


def test_draw_options_keep_max_nodes_as_an_int():
    from microgradx.viz.options import DrawOptions

    opts = DrawOptions(max_nodes=np.int64(50))
    assert opts.max_nodes == 50 and type(opts.max_nodes) is int


def test_a_positive_number_is_finite_above_zero_and_within_its_bound():
    from microgradx._checks import positive_number

    assert positive_number("delay", 2, 3600, ("seconds", "s")) == 2.0
    assert positive_number("delay", 3600.0, 3600, ("seconds", "s")) == 3600.0
    for bad in (0, -1.0, 3600.5, float("inf"), float("nan")):
        with pytest.raises(ValueError, match=r"^delay must be more than 0 and at most 3600 s"):
            positive_number("delay", bad, 3600, ("seconds", "s"))
    for bad in (True, "2", None):
        with pytest.raises(ValueError, match=r"^height must be a number of pixels, got "):
            positive_number("height", bad, 10_000, ("pixels", "px"))
