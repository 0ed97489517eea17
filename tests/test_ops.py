"""Every op: forward against closed forms, gradients against central differences.

The truth here is independent of the engine: plain ``math`` reference functions,
differentiated numerically with a central difference written in this file.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from op_cases import CASES, arity, build, central, close, near_kink, points, reference

import microgradx
from microgradx import OPS, Value, ops, parse
from microgradx.ops import Op


def test_table_covers_every_op():
    assert set(CASES) == set(OPS)


@pytest.mark.parametrize(("name", "point"), points())
def test_forward_and_gradient_match_reference(name, point):
    ref = reference(name)
    leaves = [Value(x) for x in point]
    out = build(name, leaves)
    assert out.op == name
    assert out.data == pytest.approx(ref(*point), rel=1e-12, abs=1e-12)
    out.backward()
    for i, leaf in enumerate(leaves):
        numeric = central(ref, point, i)
        assert close(leaf.grad, numeric, scale=ref(*point)), (name, i, leaf.grad, numeric)


def test_pow_with_number_exponent_is_one_operand_node():
    x = Value(3.0)
    y = x**2
    assert y.op == "pow" and y.children == (x,) and y.arg == 2.0 and y.param == 2.0
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
    for name, case in CASES.items():
        op = OPS[name]
        for point in case.points:
            args = [*point, *(() if case.arg is None else (case.arg,))]
            arrays = [np.full(3, x) for x in args]
            assert np.allclose(op.np_f(*arrays), op.forward(*args), rtol=1e-12)
            out = op.forward(*args)
            np_grads = op.np_df(np.full(3, out), *arrays)
            for g_np, g in zip(np_grads, op.local_grads(out, *args)):
                assert np.allclose(g_np, g, rtol=1e-12), name


def test_numpy_forms_default_to_the_float_forms():
    assert OPS["mul"].np_f is OPS["mul"].f and OPS["tanh"].np_df is OPS["tanh"].df
    assert OPS["tanh"].np_f is np.tanh  # given explicitly where math.* would not broadcast


# --- sin, cos, sqrt: one row each, IEEE at the edges -----------------------------------


def test_sin_cos_sqrt_values_and_closed_form_gradients():
    for x in (-2.0, 0.0, 0.7, 3.0):
        _, (ds,) = grads(lambda a: a.sin(), x)
        _, (dc,) = grads(lambda a: a.cos(), x)
        assert ds == pytest.approx(math.cos(x), rel=1e-15)
        assert dc == pytest.approx(-math.sin(x), rel=1e-15, abs=0)
    data, (dr,) = grads(lambda a: a.sqrt(), 2.25)
    assert (data, dr) == (1.5, pytest.approx(1 / 3))


def test_sqrt_domain_is_ieee():
    assert math.isnan(Value(-1.0).sqrt().data)
    data, (d,) = grads(lambda a: a.sqrt(), 0.0)
    assert data == 0.0 and d == math.inf  # 1/(2·√0)
    _, (d,) = grads(lambda a: a.sqrt(), -4.0)
    assert math.isnan(d)


def test_sin_cos_of_infinity_are_nan():
    assert math.isnan(Value(math.inf).sin().data)
    assert math.isnan(Value(-math.inf).cos().data)


# --- a new op at run time ----------------------------------------------------------------


def cube_op() -> Op:
    return Op(
        name="cube",
        symbol="³",
        arity=1,
        f=lambda a: a * a * a,
        df=lambda out, a: (3 * a * a,),
        formula="d/da a³ = 3a²",
    )


def test_an_op_registered_at_run_time_reaches_everything():
    with ops.registered(cube_op()):
        x = Value(2.0, label="x")
        y = x.cube()
        assert (y.op, y.data) == ("cube", 8.0)
        y.backward()
        assert x.grad == pytest.approx(central(lambda a: a**3, [2.0], 0))  # 3·2² = 12
        e = parse("cube(x) + x", x=2)
        assert e.output.data == 10.0 and "cube" in microgradx.expr.FUNCTIONS
        e.output.backward()
        assert e.variables["x"].grad == pytest.approx(13.0)
        assert microgradx.gradcheck(lambda a: a.cube() * a.sin(), [0.7])
        tape = microgradx.compile(y, inputs=[x])
        batch = np.array([[1.0], [-2.0], [0.5]])
        assert np.allclose(tape.run_batch(batch), batch[:, 0] ** 3)
        assert np.allclose(tape.grad_batch(batch).inputs[:, 0], 3 * batch[:, 0] ** 2)
        drawing = microgradx.draw(y).source
        assert "³" in drawing and "d/da a³ = 3a²" in drawing
    assert "cube" not in OPS and not hasattr(Value, "cube")
    assert "cube" not in microgradx.expr.FUNCTIONS


def test_register_refuses_duplicates_and_names_that_clash():
    with pytest.raises(ValueError, match="already registered"):
        ops.register(OPS["tanh"])
    clash = Op(name="backward", symbol="b", arity=1, f=lambda a: a, df=lambda out, a: (1.0,))
    with pytest.raises(ValueError, match=r"Value\.backward"):
        ops.register(clash)
    assert "backward" not in OPS
    with pytest.raises(ValueError, match="identifier"):
        Op(name="x y", symbol="?", arity=1, f=abs, df=abs)


def test_args_of_puts_operands_then_the_extra_number():
    x = Value(-2.0)
    y = x.leaky_relu(0.3)
    assert ops.args_of(y) == (-2.0, 0.3)
    assert ops.local_grads_of(y) == (0.3,)
    z = x**3
    assert ops.args_of(z) == (-2.0, 3.0) and ops.local_grads_of(z) == (12.0,)


def test_elementwise_functions_take_floats_arrays_and_values():
    assert ops.sin(0.5) == math.sin(0.5)
    assert np.allclose(ops.cos(np.array([0.0, 1.0])), [1.0, math.cos(1.0)])
    v = ops.log(Value(2.0))
    assert isinstance(v, Value) and v.op == "log" and v.data == math.log(2.0)
    assert math.isnan(ops.log(-1.0)) and ops.log(0.0) == -math.inf


def test_captions_and_symbols_come_from_the_row():
    assert OPS["mul"].caption(["x", "y"], None) == "x × y"
    assert OPS["max"].caption(["x", "y"], None) == "max(x, y)"
    assert OPS["pow"].caption(["x"], 2.0, fmt=lambda v: f"{v:g}") == "x^2"
    assert OPS["sum"].caption(["a", "b", "c", "d", "e"], None) == "Σ(a, b, c, …)"
    assert OPS["leaky_relu"].symbol_for(0.1) == "lrelu"


def test_readme_op_table_is_the_table():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- op table:")
    table = readme[readme.index("\n", start) + 1 : readme.index("<!-- end of op table -->")]
    assert table.strip() == ops.markdown_table()


@pytest.mark.parametrize("name", list(CASES))
def test_every_op_runs_on_the_tape_as_in_the_engine(name):
    case = CASES[name]
    width = len(case.points[0])
    rows = np.array([p for p in case.points if len(p) == width])
    inputs = [Value(x) for x in rows[0]]
    tape = microgradx.compile(build(name, inputs), inputs=inputs)
    got = tape.grad_batch(rows)
    for r, row in enumerate(rows):
        leaves = [Value(x) for x in row]
        out = build(name, leaves)
        out.backward()
        assert got.output[r] == pytest.approx(out.data, rel=1e-12, abs=1e-12), name
        for i, leaf in enumerate(leaves):
            assert got.inputs[r, i] == pytest.approx(leaf.grad, rel=1e-12, abs=1e-12), name


@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
@pytest.mark.parametrize("name", list(CASES))
def test_random_points_match_central_differences_away_from_kinks(name, data):
    case = CASES[name]
    point = tuple(
        data.draw(st.floats(low, high), label=f"x{i}")
        for i, (low, high) in zip(range(arity(name)), case.ranges)
    )
    assume(not near_kink(name, point))
    ref = reference(name)
    leaves = [Value(x) for x in point]
    out = build(name, leaves)
    out.backward()
    for i, leaf in enumerate(leaves):
        numeric = central(ref, point, i)
        assert close(leaf.grad, numeric, scale=ref(*point)), (name, point, i)


def test_points_at_a_kink_are_skipped():
    assert near_kink("relu", (1e-7,)) and not near_kink("relu", (1e-3,))
    assert near_kink("max", (1.0, 1.0 + 1e-6)) and not near_kink("max", (1.0, 1.1))
    assert not near_kink("tanh", (0.0,))
