"""Second derivatives: every op, closed forms, kinks, random graphs, an MLP's Hessian.

The truths: central differences of the first derivative (itself checked against
finite differences of ``math`` references in ``test_ops.py``), and closed forms
written here with ``math``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from op_cases import CASES, EPS, arity, build, near_kink, points, step
from programs import programs, run

import microgradx
from microgradx import Value, derivative, grad, gradient, hessian
from microgradx.graph import topological_order
from microgradx.nn import MLP


def first(name, point):
    """∂f/∂xⱼ for every j at ``point``, from the engine (first order, numbers)."""
    leaves = [Value(x) for x in point]
    return [g.data for g in grad(build(name, leaves), leaves)]


def second(name, point):
    """The Hessian of op ``name`` at ``point`` through the derivative graph."""
    leaves = [Value(x) for x in point]
    d = grad(build(name, leaves), leaves, create_graph=True)
    return [[h.data for h in grad(di, leaves)] for di in d]


def differenced(g, point, j):
    """(g(x + h·eⱼ) − g(x − h·eⱼ)) / 2h for a vector function g, h = eps^(1/3)·max(1, |xⱼ|)."""
    h = step(point[j])
    up, down = list(point), list(point)
    up[j] += h
    down[j] -= h
    return [(a - b) / (2 * h) for a, b in zip(g(up), g(down))]


@pytest.mark.parametrize(("name", "point"), points())
def test_every_op_second_derivatives_match_differences_of_the_first(name, point):
    check_second_derivatives(name, point)


def check_second_derivatives(name, point):
    """The Hessian of op ``name`` at ``point`` equals central differences of its gradient."""
    H = second(name, point)
    scale = max(1.0, *(abs(d) for d in first(name, point)))
    for j in range(len(point)):
        column = differenced(lambda p: first(name, p), point, j)
        for i, numeric in enumerate(column):
            # rounding of the difference: eps·|∂f|/h; the rest is the 1e-5 relative bound
            tolerance = 1e-5 * max(1.0, abs(numeric)) + 4 * EPS * scale / step(point[j])
            assert abs(H[i][j] - numeric) <= tolerance, (name, point, i, j, H[i][j], numeric)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(data=st.data())
@pytest.mark.parametrize("name", list(CASES))
def test_every_op_at_random_points_away_from_kinks(name, data):
    point = tuple(
        data.draw(st.floats(low, high), label=f"x{i}")
        for i, (low, high) in zip(range(arity(name)), CASES[name].ranges)
    )
    assume(not near_kink(name, point))
    check_second_derivatives(name, point)


@pytest.mark.parametrize(
    ("name", "x"),
    [(name, p[0]) for name, case in CASES.items() if case.d2 for p in case.points],
)
def test_closed_form_second_derivatives(name, x):
    d2 = derivative(lambda v: build(name, [v]), order=2)(x)
    assert d2 == pytest.approx(CASES[name].d2(x), rel=1e-12, abs=1e-15)


def test_tanh_and_sigmoid_second_derivatives_on_a_grid():
    for x in np.linspace(-4, 4, 17):
        t, s = math.tanh(x), 1 / (1 + math.exp(-x))
        assert derivative(Value.tanh, 2)(x) == pytest.approx(-2 * t * (1 - t * t), abs=1e-15)
        assert derivative(Value.sigmoid, 2)(x) == pytest.approx(
            s * (1 - s) * (1 - 2 * s), abs=1e-15
        )


def test_every_op_in_the_table_has_a_second_derivative_case():
    assert {name for name, _ in points()} == set(microgradx.OPS)


# --- kinks ----------------------------------------------------------------------------------


def test_piecewise_linear_ops_have_zero_second_derivative_at_their_kinks():
    for f in (Value.relu, Value.abs, lambda v: v.leaky_relu(0.1)):
        for x in (-1.0, 0.0, 1.0):
            assert derivative(f, 2)(x) == 0.0
    assert derivative(Value.relu, 1)(0.0) == 0.0  # relu'(0) = 0, as in first order


def test_max_routes_second_derivatives_as_forward():
    h = hessian(lambda x, y: (x * x).max(y))
    assert h(3.0, 1.0).tolist() == [[2.0, 0.0], [0.0, 0.0]]  # x² wins: ∂²/∂x² = 2
    assert h(1.0, 3.0).tolist() == [[0.0, 0.0], [0.0, 0.0]]  # y wins: linear
    assert h(2.0, 4.0).tolist() == [[1.0, 0.0], [0.0, 0.0]]  # tie: half of 2
    assert hessian(lambda x, y: (x * x).min(y))(3.0, 1.0).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_pow_mixed_derivative_at_exponent_zero():
    # ∂²(a^b)/∂a∂b = a^(b−1)·(1 + b·ln a) = 1/a at b = 0
    H = hessian(lambda a, b: a**b)(2.0, 0.0)
    assert H[0][1] == pytest.approx(0.5) and H[1][0] == pytest.approx(0.5)
    assert H[1][1] == pytest.approx(math.log(2.0) ** 2)


def test_sqrt_second_derivative_and_its_edge():
    assert derivative(Value.sqrt, 2)(4.0) == pytest.approx(-0.25 * 4.0**-1.5)
    assert derivative(Value.sqrt, 2)(0.0) == -math.inf


# --- random graphs and a network ---------------------------------------------------------


@settings(max_examples=60, deadline=None, derandomize=True)
@given(programs())
def test_random_graphs_second_derivatives_match_differences(program):
    inputs, steps = program

    def gradient_at(xs):
        leaves = [Value(x) for x in xs]
        return [g.data for g in grad(run(steps, leaves, True), leaves)]

    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves, True)
    out.backward()
    # how large the terms of the first derivative get: the scale of its rounding error
    scale = max(abs(n.grad) * max(1.0, abs(n.data)) for n in topological_order(out))
    d = grad(out, leaves, create_graph=True)
    for j, x in enumerate(inputs):
        column = differenced(gradient_at, inputs, j)
        for i, numeric in enumerate(column):
            analytic = grad(d[i], leaves[j]).data
            tolerance = 1e-5 * max(1.0, abs(numeric)) + 64 * EPS * scale / step(x)
            assert abs(analytic - numeric) <= tolerance, (steps, i, j, analytic, numeric)


def test_hessian_of_a_small_mlp_loss_matches_differences_of_its_gradient():
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    params = model.parameters()
    X = [(0.5, -1.0), (1.5, 0.3), (-0.7, 0.8)]
    Y = [1.0, -0.5, 0.25]

    def loss():
        return microgradx.sum((model(list(x)) - y) ** 2 for x, y in zip(X, Y))

    def gradient_at(theta):
        for p, t in zip(params, theta):
            p.data = t
        return [g.data for g in grad(loss(), params)]

    theta = [p.data for p in params]
    first_order = grad(loss(), params, create_graph=True)
    H = np.array([[h.data for h in grad(g, params)] for g in first_order])
    assert np.allclose(H, H.T, rtol=1e-12, atol=1e-12)
    numeric = np.array([differenced(gradient_at, theta, j) for j in range(len(theta))]).T
    gradient_at(theta)
    assert np.allclose(H, numeric, rtol=1e-5, atol=1e-6)
    assert all(p.grad == 0.0 for p in params)  # grad never touches .grad


# --- grad, derivative, gradient, hessian ---------------------------------------------------


def leaves_of(nodes):
    return tuple(nodes[name] for name in "wxyz")


def test_grad_returns_constants_and_touches_no_grad(lecture):
    f, n = lecture()
    leaves = leaves_of(n)
    dw, dx, dy, dz = grad(f, leaves)
    assert [d.data for d in (dw, dx, dy, dz)] == [4.0, 8.0, 12.0, 11.0]  # z, yz, xz, w + xy
    assert all(d.is_leaf for d in (dw, dx, dy, dz))
    assert [d.label for d in (dw, dx)] == ["∂f/∂w", "∂f/∂x"]
    assert all(v.grad == 0.0 for v in topological_order(f))
    assert grad(f, leaves[1]).data == 8.0  # one input: one Value


def test_create_graph_builds_the_backward_pass_as_values(lecture):
    f, n = lecture()
    w, x, y, z = leaves_of(n)
    dw, dx, *_ = grad(f, [w, x, y, z], create_graph=True)
    assert dw is z  # ∂f/∂w = z: a Value of the forward graph itself
    assert (dx.op, dx.label, set(dx.children)) == ("mul", "∂f/∂x", {y, z})
    # differentiate again: ∂²f/∂x∂z = y, ∂²f/∂x∂y = z
    assert [g.data for g in grad(dx, [y, z, w])] == [4.0, 2.0, 0.0]
    assert z.label == "z" and f.label == "f"  # forward labels untouched


def test_derivative_graph_draws_and_steps():
    x = Value(0.5, "x")
    f = x.tanh()
    f.label = "f"
    d = grad(f, x, create_graph=True)
    source = d.draw().source
    assert "∂f/∂x" in source and "tanh" in source
    frames = microgradx.backward_steps(d)
    assert len(frames) == len(topological_order(d, leaves=False)) + 1


def test_grad_of_an_unused_input_is_zero_and_of_an_intermediate_is_its_gradient(lecture):
    f, n = lecture()
    other = Value(1.0, "other")
    v = n["v"]  # x·y
    d_other, d_v = grad(f, [other, v])
    assert (d_other.data, d_v.data) == (0.0, 4.0)
    assert grad(f, [other], create_graph=True)[0].data == 0.0


def test_grad_refuses_what_is_not_a_value():
    with pytest.raises(TypeError, match="Value"):
        grad(3.0, [Value(1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        grad(Value(1.0), [2.0])  # type: ignore[list-item]


def test_derivative_composes_and_checks_its_order():
    cube = lambda v: v * v * v  # noqa: E731
    assert derivative(cube)(2.0) == 12.0
    assert derivative(derivative(cube))(2.0) == 12.0  # 6x
    assert derivative(cube, 3)(2.0) == 6.0 and derivative(cube, 4)(2.0) == 0.0
    assert derivative(cube, 0)(2.0) == 8.0
    with pytest.raises(ValueError, match="order"):
        derivative(cube, -1)


def test_gradient_and_hessian_functions():
    f = lambda x, y: x * x * y + y.sin()  # noqa: E731
    assert gradient(f)(3.0, 2.0) == pytest.approx([12.0, 9.0 + math.cos(2.0)])
    H = hessian(f)(3.0, 2.0)
    assert np.allclose(H, [[4.0, 6.0], [6.0, -math.sin(2.0)]], rtol=1e-14, atol=0)


def test_newton_step_from_the_second_derivative():
    # minimise f(x) = x⁴ − 3x² + x: Newton x ← x − f'/f'' converges in a few steps
    f = lambda v: v**4 - 3 * v**2 + v  # noqa: E731
    d1, d2 = derivative(f), derivative(f, 2)
    x = 1.5
    for _ in range(8):
        x -= d1(x) / d2(x)
    assert abs(4 * x**3 - 6 * x + 1) < 1e-12 and 12 * x**2 - 6 > 0


def test_higher_derivatives_are_named_by_their_order():
    x, y = Value(0.5, "x"), Value(2.0, "y")
    f = x * x * y
    f.label = "f"
    dx = grad(f, x, create_graph=True)
    dxy, dxx = grad(dx, [y, x], create_graph=True)
    assert (dx.label, dxy.label, dxx.label) == ("∂f/∂x", "∂²f/∂x∂y", "∂²f/∂x²")
    assert (dxy.data, dxx.data) == (1.0, 4.0)  # 2x, 2y
    assert grad(dxx, y).label == "∂³f/∂x²∂y"


def test_backward_nodes_are_framed_apart_from_the_forward_values_they_read(lecture):
    f, n = lecture()
    _, x, y, z = leaves_of(n)
    dx = grad(f, x, create_graph=True)
    assert dx.scope == "backward" and y.scope == z.scope == f.scope == ""
    source = dx.draw(clusters=True).source
    assert "cluster" in source and "backward" in source
    with microgradx.scope("model"):
        inner = grad(x * x, x, create_graph=True)
    assert inner.scope == "model/backward"


def test_deep_chains_need_no_recursion():
    # f = sin(sin(…sin(x))) 20 000 deep; f' = Π cos(sᵢ), f'' by differences of f'
    x = Value(0.3, "x")
    y = x
    for _ in range(20_000):
        y = y.sin()
    d = grad(y, x, create_graph=True)
    second_derivative = grad(d, x).data

    def first_at(v):
        s, product = v, 1.0
        for _ in range(20_000):
            product *= math.cos(s)
            s = math.sin(s)
        return product

    assert d.data == pytest.approx(first_at(0.3), rel=1e-12)
    h = step(0.3)
    numeric = (first_at(0.3 + h) - first_at(0.3 - h)) / (2 * h)
    assert second_derivative == pytest.approx(numeric, rel=1e-5)


def test_derivative_order_beyond_the_cap_is_a_clear_error():
    from microgradx.autodiff import MAX_ORDER

    with pytest.raises(ValueError, match=f"at most {MAX_ORDER}, got 1,000,000,000.*grows"):
        derivative(lambda x: x.tanh(), order=10**9)
    # the cap itself still works: d^12/dx^12 of exp is exp
    assert derivative(lambda x: x.exp(), order=MAX_ORDER)(0.5) == pytest.approx(math.exp(0.5))
