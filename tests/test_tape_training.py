"""fit(engine="tape") trains on arrays: the same numbers as the scalar engine, Values synced."""

from __future__ import annotations

import numpy as np
import pytest

from microgradx import nn

OPTIMIZERS = {
    "sgd": lambda ps: nn.SGD(ps, lr=0.1),
    "momentum": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda ps: nn.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adagrad": lambda ps: nn.AdaGrad(ps, lr=0.05),
    "rmsprop": lambda ps: nn.RMSProp(ps, lr=0.01, weight_decay=1e-3),
    "adam": lambda ps: nn.Adam(ps, lr=0.01),
    "adamw": lambda ps: nn.AdamW(ps, lr=0.01),
}


def train(engine: str, make_opt, loss: str = "hinge", **kwargs):
    X, y = nn.make_moons(60, noise=0.1, seed=1)
    nout = 2 if loss == "cross_entropy" else 1
    model = nn.MLP(2, [8, 8, nout], seed=0)
    opt = make_opt(model.parameters())
    history = nn.fit(model, X, y, loss=loss, optimizer=opt, epochs=6, batch_size=16, l2=1e-3,
                     seed=0, engine=engine, progress=False, **kwargs)  # fmt: skip
    return model, opt, history


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_gives_the_scalar_engines_numbers(name):
    (m_s, o_s, h_s), (m_t, o_t, h_t) = (train(e, OPTIMIZERS[name]) for e in ("scalar", "tape"))
    np.testing.assert_allclose(h_t.loss, h_s.loss, rtol=1e-12, atol=1e-12)
    assert h_t.accuracy == h_s.accuracy
    for attr in ("data", "grad"):  # weights and the last step's gradients, on the Values
        a = [getattr(p, attr) for p in m_t.parameters()]
        b = [getattr(p, attr) for p in m_s.parameters()]
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    for state in o_s.state_names:  # the optimizer's state, back in its lists
        np.testing.assert_allclose(
            getattr(o_t, state), getattr(o_s, state), rtol=1e-12, atol=1e-12
        )
    assert o_t.t == o_s.t


def test_cross_entropy_and_a_schedule_agree_too():
    def make(ps):
        return nn.Adam(ps, lr=0.02)

    runs = []
    for engine in ("scalar", "tape"):
        X, y = nn.make_moons(40, noise=0.1, seed=2)
        model = nn.MLP(2, [6, 2], seed=3)
        opt = make(model.parameters())
        h = nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=5, batch_size=8,
                   callbacks=[nn.StepLR(opt, step_size=2, gamma=0.5)], seed=0, engine=engine,
                   progress=False)  # fmt: skip
        runs.append((h.loss, [p.data for p in model.parameters()]))
    np.testing.assert_allclose(runs[1][0], runs[0][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(runs[1][1], runs[0][1], rtol=1e-12, atol=1e-12)


def test_callbacks_and_validation_see_up_to_date_values():
    seen = []

    def look(history):
        seen.append([p.data for p in model.parameters()])

    X, y = nn.make_moons(40, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    nn.fit(model, X, y, epochs=3, callbacks=[look], validation=(X, y), engine="tape",
           progress=False)  # fmt: skip
    reference = nn.MLP(2, [4, 1], seed=0)
    expected = []

    def remember(history):
        expected.append([p.data for p in reference.parameters()])

    nn.fit(reference, X, y, epochs=3, engine="scalar", progress=False, callbacks=[remember])
    np.testing.assert_allclose(seen, expected, rtol=1e-12, atol=1e-12)


def test_an_optimizer_over_some_parameters_falls_back_to_values():
    X, y = nn.make_moons(30, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    frozen = model.parameters()[0]
    before = frozen.data
    opt = nn.SGD(model.parameters()[1:], lr=0.1)
    nn.fit(model, X, y, optimizer=opt, epochs=2, engine="tape", progress=False)
    assert frozen.data == before


@pytest.mark.parametrize("frozen", [0, 1], ids=["arrays", "fallback"])
def test_vector_targets_are_grouped_as_the_scalar_engine_sees_them(frozen):
    # mse on two outputs: each target is a pair, some pairs repeat (grouped by value)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])[np.arange(12) % 3]
    weights = {}
    for engine in ("scalar", "tape"):
        model = nn.MLP(2, [4, 2], seed=0)
        opt = nn.SGD(model.parameters()[frozen:], lr=0.1)  # frozen=1: not every parameter
        nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=3, batch_size=5, seed=0,
               engine=engine, progress=False)  # fmt: skip
        weights[engine] = [p.data for p in model.parameters()]
    assert weights["tape"] == pytest.approx(weights["scalar"], rel=1e-12, abs=1e-15)
    start = [p.data for p in nn.MLP(2, [4, 2], seed=0).parameters()]
    assert weights["tape"] != pytest.approx(start, rel=1e-3)  # it did train
