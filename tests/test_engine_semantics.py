"""Engine semantics: backward without a graph, float conversions, copies and pickles."""

from __future__ import annotations

import copy
import math
import pickle

import pytest

import microgradx as mx
from microgradx import OPS, Value, nn
from microgradx.graph import topological_order


def test_backward_on_a_result_made_under_no_grad_raises():
    x = Value(2.0, "x")
    with mx.no_grad():
        y = x * x + 1
    with pytest.raises(RuntimeError, match=r"no_grad\(\).*no graph"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0


def test_backward_on_a_leaf_still_gives_one():
    x = Value(2.0, "x")
    x.backward()
    assert x.grad == 1.0  # ∂x/∂x


@pytest.mark.parametrize("number", [0.0, -0.0, 1.0, -2.5, math.inf, math.nan, 1e-300])
def test_bool_int_and_format_follow_float(number):
    v = Value(number)
    assert bool(v) is bool(number)
    for spec in (".2f", "g", ">12.3e", "+.1%"):
        assert format(v, spec) == format(number, spec)
        assert f"{v:{spec}}" == f"{number:{spec}}"
    if math.isfinite(number):
        assert int(v) == int(number)
    else:
        with pytest.raises((OverflowError, ValueError)):
            int(number)
        with pytest.raises(type(_int_error(number))):
            int(v)
    assert f"{v}" == str(v)  # no spec: the Value as it prints


def _int_error(number: float) -> Exception:
    try:
        int(number)
    except (OverflowError, ValueError) as exc:
        return exc
    raise AssertionError("int() of a non-finite float should raise")


def _chain(n: int) -> tuple[Value, Value, Value]:
    x, w = Value(0.5, "x"), Value(1.0, "w")
    y = x
    for _ in range(n):
        y = y * w + x
    return y, x, w


def test_deepcopy_of_a_deep_graph_is_iterative_and_keeps_sharing():
    y, x, w = _chain(50_000)  # 100,000 operations, far past the recursion limit
    y.label = "y"
    z = copy.deepcopy(y)
    assert z is not y and z.data == y.data and z.label == "y"
    order = topological_order(z)
    leaves = [v for v in order if not v.children]
    # the copy shares its two leaves throughout, as the original does, and is separate
    assert sorted(v.label for v in leaves) == ["w", "x"]
    assert all(v is not x and v is not w for v in leaves)
    assert len(order) == len(topological_order(y))
    z.backward()
    x2 = next(v for v in leaves if v.label == "x")
    assert x2.grad == 50_001.0  # ∂y/∂x with w = 1: one path per step, plus the start
    assert x.grad == 0.0


def test_deepcopy_of_a_container_keeps_identity_between_its_values():
    x = Value(1.0, "x")
    y = x * 2
    xs, ys = copy.deepcopy([x, y])
    assert ys.children[0] is xs


def test_shallow_copy_shares_operands():
    x = Value(1.0, "x")
    y = x * 3
    y2 = copy.copy(y)
    assert y2 is not y and y2.children[0] is x and y2.data == 3.0 and y2.op == "mul"


def test_leaves_and_parameters_pickle():
    x = Value(1.5, "x")
    x.grad, x.is_param = 0.25, True
    with mx.scope("s"):
        c = Value(2.0)
    x2, c2 = pickle.loads(pickle.dumps([x, c]))
    assert (x2.data, x2.grad, x2.label, x2.is_param) == (1.5, 0.25, "x", True)
    assert c2.scope == "s" and c2.is_leaf
    params = nn.MLP(2, [3, 1], seed=0).parameters()
    again = pickle.loads(pickle.dumps(params))
    assert [p.data for p in again] == [p.data for p in params]
    assert all(p.is_param for p in again)


def test_pickling_a_deep_graph_refuses_clearly():
    y, _, _ = _chain(1_000)
    with pytest.raises(TypeError, match="cannot pickle a Value made by 'add'"):
        pickle.dumps(y)


def _fields(v: Value) -> tuple:
    return (v.data, v.grad, v.label, v.op, v.arg, v.scope, v.is_param, type(v))


def test_copies_keep_every_field_and_the_class():
    from microgradx.micrograd import Value as FaceValue

    with mx.scope("layer"):
        w = Value(0.5, "w")
        y = (w * 3.0).leaky_relu(0.2) ** 2
    w.is_param, w.grad, y.grad, y.label = True, 0.75, -1.5, "y"
    for copied in (copy.copy(y), copy.deepcopy(y)):
        assert copied is not y
        assert _fields(copied) == (y.data, -1.5, "y", "pow", 2.0, "layer", False, Value)
    w2 = copy.deepcopy(y).children[0].children[0].children[0]
    assert w2 is not w and _fields(w2) == (0.5, 0.75, "w", "", None, "layer", True, Value)
    face = FaceValue(2.0, label="a") * FaceValue(3.0)
    assert type(copy.copy(face)) is FaceValue and type(copy.deepcopy(face)) is FaceValue
    assert copy.deepcopy(face).children[0].label == "a"


def test_a_pickled_leaf_comes_back_as_its_class_with_every_field():
    from microgradx.micrograd import Value as FaceValue

    with mx.scope("s"):
        x = FaceValue(1.25, label="x")
    x.grad, x.is_param = -2.0, True
    back = pickle.loads(pickle.dumps(x))
    assert _fields(back) == (1.25, -2.0, "x", "", None, "s", True, FaceValue)


def test_pickles_that_name_the_engine_module_still_load():
    x = Value(3.0, "x")
    x.grad, x.is_param = 0.5, True
    fresh = pickle.dumps(x, protocol=0)  # protocol 0 names the rebuilding function as text
    assert b"cmicrogradx.copying\n_leaf_from_fields\n" in fresh
    # the same leaf as pickled when the engine module rebuilt leaves itself
    older = fresh.replace(b"cmicrogradx.copying\n", b"cmicrogradx.engine\n")
    assert _fields(pickle.loads(older)) == (3.0, 0.5, "x", "", None, "", True, Value)


def test_copies_of_subclasses_take_over_their_own_fields_set_or_not():
    import copy

    class Noted(Value):
        __slots__ = ("note",)

    class Free(Value):  # no __slots__: fields in a __dict__
        pass

    bare = Noted(1.0, "a")  # its note never set
    twin = copy.copy(bare)
    assert type(twin) is Noted and twin.data == 1.0 and not hasattr(twin, "note")
    noted = Noted(2.0)
    noted.note = "kept"
    f = noted * 3.0
    deep = copy.deepcopy(f)
    leaf = deep.children[0]
    assert leaf is not noted and leaf.note == "kept" and deep.data == 6.0
    free = Free(4.0)
    free.extra = [1]
    dup = copy.copy(free)
    assert type(dup) is Free and dup.extra == [1] and dup.data == 4.0


def test_an_ops_extra_number_is_taken_by_position_or_by_its_name():
    import inspect

    x = Value(-2.0)
    by_name, by_position = x.leaky_relu(slope=0.1), x.leaky_relu(0.1)
    assert by_name.data == by_position.data == -0.2 and by_name.arg == 0.1
    by_name.backward()
    assert x.grad == 0.1  # d/dx of slope·x below 0
    assert x.leaky_relu().arg == OPS["leaky_relu"].arg_default
    assert "slope=" in OPS["leaky_relu"].usage
    assert "slope" in str(inspect.signature(Value.leaky_relu))
    with pytest.raises(TypeError, match=r"takes one number, its slope"):
        x.leaky_relu(0.1, slope=0.2)
    with pytest.raises(TypeError, match=r"takes one number, its slope"):
        x.leaky_relu(alpha=0.2)
