"""fit(backend="tape") trains on arrays: the same numbers as the scalar backend, Values synced."""

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


def train(backend: str, make_opt, loss: str = "hinge", **kwargs):
    X, y = nn.make_moons(60, noise=0.1, seed=1)
    nout = 2 if loss == "cross_entropy" else 1
    model = nn.MLP(2, [8, 8, nout], seed=0)
    opt = make_opt(model.parameters())
    history = nn.fit(model, X, y, loss=loss, optimizer=opt, epochs=6, batch_size=16, l2=1e-3,
                     seed=0, backend=backend, progress=False, **kwargs)  # fmt: skip
    return model, opt, history


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_gives_the_scalar_backends_numbers(name):
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
    for backend in ("scalar", "tape"):
        X, y = nn.make_moons(40, noise=0.1, seed=2)
        model = nn.MLP(2, [6, 2], seed=3)
        opt = make(model.parameters())
        h = nn.fit(model, X, y, loss="cross_entropy", optimizer=opt, epochs=5, batch_size=8,
                   callbacks=[nn.StepLR(opt, step_size=2, gamma=0.5)], seed=0, backend=backend,
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
    nn.fit(model, X, y, epochs=3, callbacks=[look], validation=(X, y), backend="tape",
           progress=False)  # fmt: skip
    reference = nn.MLP(2, [4, 1], seed=0)
    expected = []

    def remember(history):
        expected.append([p.data for p in reference.parameters()])

    nn.fit(reference, X, y, epochs=3, backend="scalar", progress=False, callbacks=[remember])
    np.testing.assert_allclose(seen, expected, rtol=1e-12, atol=1e-12)


def test_an_optimizer_over_some_parameters_falls_back_to_values():
    X, y = nn.make_moons(30, noise=0.1, seed=0)
    model = nn.MLP(2, [4, 1], seed=0)
    frozen = model.parameters()[0]
    before = frozen.data
    opt = nn.SGD(model.parameters()[1:], lr=0.1)
    nn.fit(model, X, y, optimizer=opt, epochs=2, backend="tape", progress=False)
    assert frozen.data == before


@pytest.mark.parametrize("frozen", [0, 1], ids=["arrays", "fallback"])
def test_vector_targets_are_grouped_as_the_scalar_backend_sees_them(frozen):
    # mse on two outputs: each target is a pair, some pairs repeat (grouped by value)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 2))
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])[np.arange(12) % 3]
    weights = {}
    for backend in ("scalar", "tape"):
        model = nn.MLP(2, [4, 2], seed=0)
        opt = nn.SGD(model.parameters()[frozen:], lr=0.1)  # frozen=1: not every parameter
        nn.fit(model, X, y, loss="mse", optimizer=opt, epochs=3, batch_size=5, seed=0,
               backend=backend, progress=False)  # fmt: skip
        weights[backend] = [p.data for p in model.parameters()]
    assert weights["tape"] == pytest.approx(weights["scalar"], rel=1e-12, abs=1e-15)
    start = [p.data for p in nn.MLP(2, [4, 2], seed=0).parameters()]
    assert weights["tape"] != pytest.approx(start, rel=1e-3)  # it did train


# --- the model's tape written from its structure (no scalar graph traced) ----------------


def _traced(model):
    """The model's tape traced from its scalar graph (inputs → outputs, watched)."""
    from microgradx import Value
    from microgradx import sum as value_sum
    from microgradx.tape import compile as compile_tape

    xs = [Value(0.0) for _ in range(model.nin)]
    out = model(xs)
    outs = [out] if isinstance(out, Value) else out
    top = outs[0] if len(outs) == 1 else value_sum(outs)
    return compile_tape(top, xs, model.parameters(), watch=outs)


@pytest.mark.parametrize(
    "make",
    [
        lambda: nn.MLP(3, [5, 4, 2], activation="leaky_relu", output_activation="sigmoid", seed=1),
        lambda: nn.MLP(3, [1, 3], activation="tanh", seed=2),  # a one-neuron hidden layer
        lambda: nn.Layer(3, 4, activation="relu", seed=3),
        lambda: nn.Neuron(3, activation="tanh", seed=4),
    ],
    ids=["mlp", "mlp-narrow", "layer", "neuron"],
)
def test_the_structure_built_tape_equals_the_traced_one_and_numpy(make):
    from microgradx.nn.tape_training import structure_tape

    model = make()
    stack = structure_tape(model)
    assert stack is not None
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 3))
    theta = np.array([p.data for p in model.parameters()])
    seeds = rng.normal(size=(7, model.nout))
    run = stack.forward(X, theta)
    grads = stack.backward(run, seeds).params
    traced = _traced(model)
    traced_run = traced.forward(X, params=theta)
    np.testing.assert_array_equal(run.watched, traced_run.watched)
    np.testing.assert_array_equal(grads, traced.backward(traced_run, seeds).params)

    # numpy by hand: h ← f(h·Wᵀ + b) forward, δ = ∂J/∂z backward (the delta rule)
    acts = {
        "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
        "leaky_relu": (lambda z: np.where(z > 0, z, 0.01 * z), lambda z: np.where(z > 0, 1, 0.01)),
        "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
        "linear": (lambda z: z, lambda z: np.ones_like(z)),
    }
    layers = getattr(model, "layers", [model])
    Ws = [np.array([[w.data for w in n.w] for n in getattr(la, "neurons", [la])]) for la in layers]
    bs = [np.array([n.b.data for n in getattr(la, "neurons", [la])]) for la in layers]
    hs, zs = [X], []
    for la, W, b in zip(layers, Ws, bs):
        zs.append(hs[-1] @ W.T + b)
        hs.append(acts[la.activation][0](zs[-1]))
    np.testing.assert_allclose(run.watched, hs[-1], rtol=1e-12, atol=1e-14)
    expected = []
    dh = seeds
    for i in range(len(layers) - 1, -1, -1):
        dz = dh * acts[layers[i].activation][1](zs[i])
        expected = [np.column_stack([dz.T @ hs[i], dz.sum(0)]).ravel(), *expected]
        dh = dz @ Ws[i]
    np.testing.assert_allclose(grads, np.concatenate(expected), rtol=1e-12, atol=1e-14)


def test_fit_on_the_tape_builds_no_graph_of_the_model_and_matches_tracing(monkeypatch):
    from microgradx.nn import run as train_module  # where fit asks for its tape
    from microgradx.nn import tape_training

    X, y = nn.make_moons(50, noise=0.1, seed=3)

    def run(backend):
        model = nn.MLP(2, [6, 5, 2], activation="relu", seed=5)
        h = nn.fit(model, X, y, loss="cross_entropy", optimizer="adam", lr=0.02, epochs=4,
                   batch_size=16, l2=1e-3, seed=0, backend=backend, progress=False)  # fmt: skip
        return h.loss, [p.data for p in model.parameters()], [p.grad for p in model.parameters()]

    scalar = run("scalar")
    with monkeypatch.context() as m:

        def refuse(self, x):
            raise AssertionError("the model was called on Values")

        m.setattr(nn.MLP, "__call__", refuse)
        structure = run("tape")
    calls = []
    with monkeypatch.context() as m:
        for module in (tape_training, train_module):  # trace instead
            m.setattr(module, "structure_tape", lambda model: None)
        call = nn.MLP.__call__

        def counted(self, x):
            calls.append(1)
            return call(self, x)

        m.setattr(nn.MLP, "__call__", counted)
        traced = run("tape")
    assert len(calls) == 1  # traced once
    for a, b in zip(structure, traced):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(structure, scalar):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_models_the_structure_cannot_express_are_traced():
    from microgradx.nn.tape_training import structure_tape

    class Doubled(nn.MLP):  # a subclass may compute anything
        def __call__(self, x):
            out = super().__call__(x)
            return out * 2

    assert structure_tape(nn.MLP(2, [3, 1], batch_norm=True)) is None
    assert structure_tape(Doubled(2, [3, 1], seed=0)) is None
    X, y = nn.make_moons(20, noise=0.1, seed=0)
    runs = []
    for backend in ("scalar", "tape"):
        model = Doubled(2, [3, 1], seed=0)
        runs.append(nn.fit(model, X, y, epochs=3, backend=backend, progress=False).loss)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-12, atol=1e-12)


# --- the default backend: the tape where it is exact, the scalar backend otherwise ---------


def test_the_default_backend_is_the_tape_with_the_scalar_backends_numbers():
    X, y = nn.make_moons(40, noise=0.1, seed=4)
    runs = {}
    for backend in ("auto", "scalar"):
        model = nn.MLP(2, [5, 5, 3], activation="relu", seed=1)
        kwargs = {} if backend == "auto" else {"backend": backend}
        h = nn.fit(model, X, y % 3, epochs=4, batch_size=8, l2=1e-3, seed=0, progress=False,
                   **kwargs)  # fmt: skip
        runs[backend] = (h, [p.data for p in model.parameters()])
    assert runs["auto"][0].info["backend"] == "tape"
    assert runs["scalar"][0].info["backend"] == "scalar"
    np.testing.assert_allclose(runs["auto"][0].loss, runs["scalar"][0].loss, rtol=1e-12)
    np.testing.assert_allclose(runs["auto"][1], runs["scalar"][1], rtol=1e-12, atol=1e-12)


class _Scaled(nn.MLP):
    def __call__(self, x):
        return super().__call__(x) * 0.5


@pytest.mark.parametrize(
    "case",
    ["custom loss", "dropout", "batch norm", "subclass", "some parameters"],
)
def test_the_default_backend_is_scalar_where_the_tape_does_not_apply(case, recwarn):
    X, y = nn.make_moons(20, noise=0.1, seed=0)
    model = {
        "dropout": lambda: nn.MLP(2, [4, 1], dropout=0.2, seed=0),
        "batch norm": lambda: nn.MLP(2, [4, 1], batch_norm=True, seed=0),
        "subclass": lambda: _Scaled(2, [4, 1], seed=0),
    }.get(case, lambda: nn.MLP(2, [4, 1], seed=0))()
    kwargs = {}
    if case == "custom loss":

        class Squared:  # a callable object that cannot be hashed
            __hash__ = None

            def __call__(self, out, t):
                return (out[0] - t) ** 2

        kwargs["loss"] = Squared()
    if case == "some parameters":
        kwargs["optimizer"] = nn.SGD(model.parameters()[1:], lr=0.1)
    h = nn.fit(model, X, y, epochs=2, batch_size=10, progress=False, **kwargs)
    assert h.info["backend"] == "scalar"
    assert not [w for w in recwarn if "backend" in str(w.message)]  # chosen, not a fallback
    # the built-in losses by name or as functions are the tape's
    plain = nn.MLP(2, [4, 1], seed=0)
    h = nn.fit(plain, X, 2.0 * y - 1, loss=nn.hinge, epochs=1, progress=False)
    assert h.info["backend"] == "tape"


def test_hinge_on_arrays_is_the_closed_form_and_the_scalar_losses():
    from microgradx import Value
    from microgradx.nn.tape_training import _hinge

    s = np.array([2.0, 1.0, 0.5, -0.25, -1.0, 1.0])
    t = np.array([1.0, 1.0, 1.0, -1.0, 1.0, -1.0])  # margins 1 − t·s: −1, 0, .5, .75, 2, 2
    total, ds = _hinge(s, t)
    closed = np.maximum(0.0, 1.0 - t * s)
    assert total == pytest.approx(closed.sum(), rel=1e-15)
    np.testing.assert_array_equal(ds[:, 0], np.where(t * s < 1.0, -t, 0.0))
    for k in range(len(s)):  # each sample as the scalar backend sees it
        v = Value(float(s[k]))
        loss = nn.hinge(v, float(t[k]))
        loss.backward()
        assert (loss.data, v.grad) == (closed[k], ds[k, 0])


def test_hinge_as_a_function_on_two_outputs_is_refused_as_the_scalar_backend_refuses_it():
    X, y = nn.make_moons(12, noise=0.1, seed=0)
    for backend in ("scalar", "tape"):
        model = nn.MLP(2, [3, 2], seed=0)
        with pytest.raises(ValueError, match="hinge takes one prediction, got 2"):
            nn.fit(model, X, 2.0 * y - 1, loss=nn.hinge, epochs=1, backend=backend,
                   progress=False)  # fmt: skip
