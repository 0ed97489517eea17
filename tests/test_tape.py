"""The compiled tape: same outputs and gradients as the scalar engine, row by row."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx
from microgradx import Value, compile, nn, no_grad  # noqa: A004

RTOL = ATOL = 1e-12

# --- random expression graphs ------------------------------------------------------------

UNARY = ["exp", "tanh", "sigmoid", "relu", "abs", "neg", "square", "leaky_relu", "log_abs"]
BINARY = ["add", "sub", "mul", "div", "max", "min", "sum3", "pow_abs"]


def apply(op: str, a: Value, b: Value, c: Value) -> Value:
    return {
        "exp": lambda: (a * 0.1).exp(),
        "tanh": lambda: a.tanh(),
        "sigmoid": lambda: a.sigmoid(),
        "relu": lambda: a.relu(),
        "abs": lambda: abs(a),
        "neg": lambda: -a,
        "square": lambda: a**2,
        "leaky_relu": lambda: a.leaky_relu(0.2),
        "log_abs": lambda: (abs(a) + 1.0).log(),
        "add": lambda: a + b,
        "sub": lambda: a - b,
        "mul": lambda: a * b,
        "div": lambda: a / (abs(b) + 1.0),
        "max": lambda: a.max(b),
        "min": lambda: a.min(b),
        "sum3": lambda: microgradx.sum([a, b, c]),
        "pow_abs": lambda: (abs(a) + 0.5) ** (b.tanh()),
    }[op]()


recipes = st.lists(
    st.tuples(st.sampled_from(UNARY + BINARY), *[st.integers(0, 99)] * 3),
    min_size=1,
    max_size=25,
)


def build(recipe, leaves: list[Value]) -> Value:
    """Each step applies an op to earlier nodes, so nodes are shared by several users."""
    pool = list(leaves)
    for op, i, j, k in recipe:
        pool.append(apply(op, pool[i % len(pool)], pool[j % len(pool)], pool[k % len(pool)]))
    return pool[-1] + 0.0 * microgradx.sum(leaves)  # every leaf is in the graph


def scalar_reference(recipe, X, params):
    """Outputs, input gradients and summed parameter gradients, one graph per row."""
    outs, input_grads = [], []
    ps = [Value(p) for p in params]
    for row in X:
        xs = [Value(v) for v in row]
        out = build(recipe, xs + ps)
        out.backward()
        outs.append(out.data)
        input_grads.append([x.grad for x in xs])
    return np.array(outs), np.array(input_grads), np.array([p.grad for p in ps])


@settings(max_examples=120, deadline=None)
@given(recipe=recipes, data=st.data())
def test_random_graphs_match_the_scalar_engine(recipe, data):
    floats = st.floats(-3, 3, allow_nan=False)
    X = np.array(data.draw(st.lists(st.lists(floats, min_size=3, max_size=3), min_size=1,
                                     max_size=5)))  # fmt: skip
    params = data.draw(st.lists(floats, min_size=2, max_size=2))
    xs = [Value(0.0, f"x{i}") for i in range(3)]
    ps = [Value(p, f"p{i}") for i, p in enumerate(params)]
    tape = compile(build(recipe, xs + ps), xs, ps)
    out, input_grads, param_grads = scalar_reference(recipe, X, params)
    with np.errstate(all="ignore"):
        g = tape.grad_batch(X, reduce="sum")
    np.testing.assert_allclose(tape.run_batch(X), out, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g.output, out, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g.inputs, input_grads, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g.params, param_grads, rtol=RTOL, atol=ATOL)
    # a single row
    assert tape(X[0]) == pytest.approx(out[0], rel=RTOL, abs=ATOL)
    gi, _ = tape.grad(X[0])
    np.testing.assert_allclose(gi, input_grads[0], rtol=RTOL, atol=ATOL)


def test_max_is_decided_per_row():
    x, y = Value(0.0, "x"), Value(0.0, "y")
    tape = compile(x.max(y) * 3.0, [x, y])
    X = np.array([[2.0, 1.0], [1.0, 2.0], [1.5, 1.5]])
    g = tape.grad_batch(X)
    np.testing.assert_array_equal(g.output, [6.0, 6.0, 4.5])
    # the gradient goes to the larger input; a tie splits it
    np.testing.assert_array_equal(g.inputs, [[3.0, 0.0], [0.0, 3.0], [1.5, 1.5]])


# --- MLPs ------------------------------------------------------------------------------------

LOSSES = {
    "mse": (1, lambda out, t: nn.mse(out, [t])),
    "hinge": (1, lambda out, t: nn.hinge(out, 1.0 if t > 0 else -1.0)),
    "bce_logits": (1, lambda out, t: nn.binary_cross_entropy_with_logits(out, float(t > 0))),
    "cross_entropy": (3, lambda out, t: nn.cross_entropy(out, int(t > 0))),
}


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_mlp_gradients_match_the_scalar_engine(activation, loss):
    nout, loss_fn = LOSSES[loss]
    model = nn.MLP(3, [5, 4, nout], activation=activation, seed=3)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(7, 3))
    target = 0.7  # one target for every row: it is part of the traced graph
    xs = [Value(0.0, f"x{i}") for i in range(3)]
    tape = compile(loss_fn(model(xs), target), xs, model.parameters())
    assert repr(tape).count("(3 fused layers)") == 1
    model.zero_grad()
    outs, input_grads = [], []
    for row in X:
        leaves = [Value(v) for v in row]
        out = loss_fn(model(leaves), target)
        out.backward(1.0 / len(X))
        outs.append(out.data)
        input_grads.append([v.grad * len(X) for v in leaves])
    g = tape.grad_batch(X, reduce="mean")
    np.testing.assert_allclose(g.output, outs, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(g.inputs, input_grads, rtol=1e-11, atol=ATOL)
    np.testing.assert_allclose(g.params, [p.grad for p in model.parameters()], rtol=1e-11,
                               atol=ATOL)  # fmt: skip


def test_parameters_are_read_at_call_time():
    model = nn.MLP(2, [3, 1], seed=0)
    xs = [Value(0.0), Value(0.0)]
    tape = compile(model(xs), xs, model.parameters())
    X = np.array([[0.3, -0.2]])
    before = tape.run_batch(X)[0]
    with no_grad():
        for p in model.parameters():
            p.data *= 0.5
    after = tape.run_batch(X)[0]
    assert after != before
    assert after == pytest.approx(model.forward_batch(X)[0, 0], rel=1e-12)


def test_fit_with_the_tape_reproduces_the_scalar_history():
    X, y = nn.make_moons(80, noise=0.1, seed=0)
    histories = []
    for backend in ("scalar", "tape"):
        model = nn.MLP(2, [8, 8, 1], seed=0)
        h = nn.fit(model, X, y, loss="hinge", optimizer="sgd", lr=0.1, epochs=8, batch_size=16,
                   l2=1e-3, seed=0, backend=backend, progress=False)  # fmt: skip
        histories.append((h["loss"], h["accuracy"], [p.data for p in model.parameters()]))
    (loss_s, acc_s, w_s), (loss_t, acc_t, w_t) = histories
    np.testing.assert_allclose(loss_t, loss_s, rtol=1e-9, atol=1e-12)
    assert acc_t == acc_s
    np.testing.assert_allclose(w_t, w_s, rtol=1e-9, atol=1e-12)
    assert loss_s[-1] < loss_s[0]  # it learned something


# --- errors ----------------------------------------------------------------------------------


def test_graph_built_under_no_grad_is_refused():
    x = Value(1.0, "x")
    with no_grad():
        y = x * 2.0
    with pytest.raises(ValueError, match="no_grad"):
        compile(y, [x])


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda x, y, f: compile(f, [Value(1.0, "q")]),
            ValueError,
            "not in the output's graph: q",
        ),
        (lambda x, y, f: compile(f, [x * 2.0]), ValueError, "leaves"),
        (lambda x, y, f: compile(f, [x, x]), ValueError, "inputs lists a Value twice"),
        (lambda x, y, f: compile(f, [x], [y, y]), ValueError, "params lists a Value twice"),
        (lambda x, y, f: compile(f, [x], [x]), ValueError, "both"),
        (lambda x, y, f: compile(f, [1.0]), TypeError, "Values"),
        (lambda x, y, f: compile(3.0, [x]), TypeError, "Value"),
        (
            lambda x, y, f: compile(f, [x, y]).run_batch(np.ones((4, 3))),
            ValueError,
            r"\(batch, 2\)",
        ),
        (lambda x, y, f: compile(f, [x, y]).grad_batch(np.ones(2)), ValueError, "shape"),
        (
            lambda x, y, f: compile(f, [x, y]).grad_batch(np.ones((1, 2)), "max"),
            ValueError,
            "mean",
        ),
    ],
)
def test_bad_use_is_a_clear_error(make, error, message):
    x, y = Value(1.0, "x"), Value(2.0, "y")
    with pytest.raises(error, match=message):
        make(x, y, x * y)


def test_fit_with_the_tape_refuses_dropout():
    X, y = nn.make_moons(10, seed=0)
    model = nn.MLP(2, [4, 1], dropout=0.5, seed=0)
    with pytest.raises(ValueError, match="dropout"):
        nn.fit(model, X, y, epochs=1, backend="tape", progress=False)


def test_ieee_results_not_exceptions():
    x = Value(1.0, "x")
    tape = compile(x.log() / x, [x])
    out = tape.run_batch(np.array([[0.0], [-1.0]]))
    assert out[0] == -np.inf and np.isnan(out[1])


def test_fused_layers_with_shared_weights_and_reused_sums():
    """A weight in two neurons (both gradients collected), sums read one by one."""
    xs = [Value(0.0, "x0"), Value(0.0, "x1")]
    w, v, b = Value(0.4, "w"), Value(-0.7, "v"), Value(0.1, "b")
    z0 = microgradx.sum([w * xs[0], v * xs[1], b])
    z1 = microgradx.sum([v * xs[0], w * xs[1], b])  # same inputs: fused with z0
    out = z0.tanh() * z1 + z0
    tape = compile(out, xs, [w, v, b])
    assert "(1 fused layers)" in repr(tape)
    X = np.array([[0.5, -1.0], [2.0, 0.3], [-0.2, 0.9]])
    g = tape.grad_batch(X, reduce="sum")
    for k, (a, c) in enumerate(X):
        # closed forms: out = tanh(z0)·z1 + z0
        s0, s1 = 0.4 * a - 0.7 * c + 0.1, -0.7 * a + 0.4 * c + 0.1
        t = np.tanh(s0)
        assert g.output[k] == pytest.approx(t * s1 + s0, rel=1e-12)
        d0, d1 = (1 - t * t) * s1 + 1.0, t  # ∂out/∂z0, ∂out/∂z1
        np.testing.assert_allclose(g.inputs[k], [0.4 * d0 - 0.7 * d1, -0.7 * d0 + 0.4 * d1],
                                   rtol=1e-12)  # fmt: skip
    s0 = X @ [0.4, -0.7] + 0.1
    s1 = X @ [-0.7, 0.4] + 0.1
    d0, d1 = (1 - np.tanh(s0) ** 2) * s1 + 1.0, np.tanh(s0)
    expected = [
        np.sum(d0 * X[:, 0] + d1 * X[:, 1]),  # w: in z0 on x0, in z1 on x1
        np.sum(d0 * X[:, 1] + d1 * X[:, 0]),  # v
        np.sum(d0 + d1),  # b: in both
    ]
    np.testing.assert_allclose(g.params, expected, rtol=1e-12)
