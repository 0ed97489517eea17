"""Every op: forward against closed forms, gradients against central differences.

The truth here is independent of the engine: plain ``math`` reference functions,
differentiated numerically with a central difference written in this file.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from microgradx import OPS, Value

H = 1e-6


def central(f, args, i):
    """(f(x + h) − f(x − h)) / 2h in argument i, on plain floats."""
    up, down = list(args), list(args)
    up[i] += H
    down[i] -= H
    return (f(*up) - f(*down)) / (2 * H)


def ref_sigmoid(a):
    return 1 / (1 + math.exp(-a))


# op name -> (build from Values, reference on floats, points away from kinks)
SMOOTH = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, [(1.5, -2.0), (0.0, 3.0)]),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, [(1.5, -2.0), (-4.0, 0.5)]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [(1.5, -2.0), (0.0, 3.0)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [(1.5, -2.0), (-3.0, 0.25)]),
    "neg": (lambda a: -a, lambda a: -a, [(1.5,), (-0.3,)]),
    "pow": (lambda a, b: a**b, lambda a, b: a**b, [(1.5, 2.5), (0.7, -1.3), (2.0, 0.0)]),
    "exp": (lambda a: a.exp(), math.exp, [(0.3,), (-2.0,), (4.0,)]),
    "log": (lambda a: a.log(), math.log, [(0.3,), (2.0,), (50.0,)]),
    "tanh": (lambda a: a.tanh(), math.tanh, [(0.3,), (-2.0,), (0.0,)]),
    "sigmoid": (lambda a: a.sigmoid(), ref_sigmoid, [(0.3,), (-2.0,), (0.0,)]),
    "relu": (lambda a: a.relu(), lambda a: max(a, 0.0), [(0.3,), (-2.0,)]),
    "leaky_relu": (
        lambda a: a.leaky_relu(0.1),
        lambda a: a if a > 0 else 0.1 * a,
        [(0.3,), (-2.0,)],
    ),
    "abs": (lambda a: abs(a), abs, [(0.3,), (-2.0,)]),
    "max": (lambda a, b: a.max(b), max, [(0.3, 1.0), (2.0, -1.0)]),
    "min": (lambda a, b: a.min(b), min, [(0.3, 1.0), (2.0, -1.0)]),
    "sum": (
        lambda *v: __import__("microgradx").sum(v),
        lambda *v: math.fsum(v),
        [(1.0, 2.0, 3.0), (-0.5, 0.25, 4.0, 8.0)],
    ),
}


def test_table_covers_every_op():
    assert set(SMOOTH) == set(OPS)


@pytest.mark.parametrize(
    "name,point", [(name, p) for name, (_, _, points) in SMOOTH.items() for p in points]
)
def test_forward_and_gradient_match_reference(name, point):
    build, ref, _ = SMOOTH[name]
    leaves = [Value(x) for x in point]
    out = build(*leaves)
    assert out.op == name
    assert out.data == pytest.approx(ref(*point), rel=1e-12, abs=1e-12)
    out.backward()
    for i, leaf in enumerate(leaves):
        assert leaf.grad == pytest.approx(central(ref, point, i), rel=1e-6, abs=1e-6), (name, i)


def test_pow_with_number_exponent_is_one_operand_node():
    x = Value(3.0)
    y = x**2
    assert y.op == "pow" and y.children == (x,) and y.param == 2.0
    y.backward()
    assert y.data == 9.0 and x.grad == 6.0


def test_rpow_makes_exponent_an_operand():
    x = Value(3.0)
    y = 2**x
    assert y.op == "pow" and y.children[1] is x and y.children[0].data == 2.0
    y.backward()
    assert x.grad == pytest.approx(8 * math.log(2))


def test_sub_and_div_are_single_nodes():
    a, b = Value(6.0), Value(3.0)
    assert (a - b).op == "sub" and (a - b).children == (a, b)
    assert (a / b).op == "div" and (a / b).children == (a, b)
    assert (1 - a).children[1] is a and (1 - a).data == -5.0
    assert (1 / b).data == pytest.approx(1 / 3)


# --- edge cases: kinks, ties, domains -------------------------------------------


def grads(build, *points):
    leaves = [Value(p) for p in points]
    out = build(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


def test_relu_at_zero_has_zero_gradient():
    assert grads(lambda a: a.relu(), 0.0) == (0.0, [0.0])
    assert grads(lambda a: a.relu(), -0.0)[1] == [0.0]


def test_leaky_relu_kink_and_slope():
    assert grads(lambda a: a.leaky_relu(0.2), 0.0) == (0.0, [0.2])
    assert grads(lambda a: a.leaky_relu(), -3.0) == (pytest.approx(-0.03), [0.01])


def test_abs_at_zero_has_zero_gradient():
    assert grads(lambda a: abs(a), 0.0) == (0.0, [0.0])
    assert grads(lambda a: abs(a), -2.0) == (2.0, [-1.0])


def test_max_and_min_tie_split_the_gradient():
    assert grads(lambda a, b: a.max(b), 2.0, 2.0) == (2.0, [0.5, 0.5])
    assert grads(lambda a, b: a.min(b), 2.0, 2.0) == (2.0, [0.5, 0.5])
    assert grads(lambda a, b: a.max(b), 1.0, 2.0) == (2.0, [0.0, 1.0])
    assert grads(lambda a, b: a.min(b), 1.0, 2.0) == (1.0, [1.0, 0.0])


def test_max_propagates_nan():
    assert math.isnan(Value(math.nan).max(1.0).data)
    assert math.isnan(Value(1.0).min(math.nan).data)


def test_pow_negative_base_integer_exponent():
    data, (da, db) = grads(lambda a, b: a**b, -2.0, 3.0)
    assert data == -8.0
    assert da == 12.0  # 3·(−2)²
    assert math.isnan(db)  # ln of a negative base


def test_pow_negative_base_fractional_exponent_is_nan():
    data, (da, db) = grads(lambda a, b: a**b, -8.0, 1 / 3)
    assert math.isnan(data) and math.isnan(da) and math.isnan(db)
    assert math.isnan((Value(-8.0) ** 0.5).data)


def test_pow_zero_base():
    data, (da, db) = grads(lambda a, b: a**b, 0.0, 2.0)
    assert (data, da, db) == (0.0, 0.0, 0.0)
    data, (da, db) = grads(lambda a, b: a**b, 0.0, 0.0)
    assert (data, da, db) == (1.0, 0.0, 0.0)  # 0^0 = 1; both gradients 0
    data, (da,) = grads(lambda a: a**0.5, 0.0)
    assert data == 0.0 and da == math.inf  # ½·0^(−½)
    data, (da,) = grads(lambda a: a**-1.0, 0.0)
    assert data == math.inf and da == -math.inf


def test_log_domain():
    data, (da,) = grads(lambda a: a.log(), 0.0)
    assert data == -math.inf and da == math.inf
    assert math.isnan(Value(-1.0).log().data)


def test_exp_and_sigmoid_extremes():
    assert Value(1000.0).exp().data == math.inf
    assert Value(-1000.0).exp().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    # far in the tail the value is tiny but not rounded to zero
    assert Value(-40.0).sigmoid().data == pytest.approx(math.exp(-40), rel=1e-12)


def test_division_by_zero_follows_ieee():
    assert (Value(1.0) / 0).data == math.inf
    assert (Value(-1.0) / 0).data == -math.inf
    assert math.isnan((Value(0.0) / 0).data)
    assert grads(lambda a, b: a / b, 1.0, 0.0)[0] == math.inf
    _, (da, db) = grads(lambda a, b: a / b, 1.0, 0.0)
    assert da == math.inf and db == -math.inf


def test_numpy_forms_agree_with_float_forms():
    for name, (_, _, points) in SMOOTH.items():
        op = OPS[name]
        for point in points:
            args = list(point)
            if name == "leaky_relu":
                args.append(0.1)
            arrays = [np.full(3, x) for x in args]
            assert np.allclose(op.np_f(*arrays), op.forward(*args), rtol=1e-12)
            out = op.forward(*args)
            np_grads = op.np_df(np.full(3, out), *arrays)
            for g_np, g in zip(np_grads, op.local_grads(out, *args)):
                assert np.allclose(g_np, g, rtol=1e-12), name
