"""The engine: the chain rule, accumulation, switches, errors and deep graphs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microgradx as mx
from microgradx import Value


@pytest.fixture
def lecture(lecture):
    """The shared lecture graph as ``f, (w, x, y, z)``."""

    def build():
        f, n = lecture()
        return f, tuple(n[name] for name in "wxyz")

    return build


def test_lecture_example(lecture):
    f, (w, x, y, z) = lecture()
    f.backward()
    assert f.data == 44.0
    # closed form: ∂f/∂w = z, ∂f/∂x = z·y, ∂f/∂y = z·x, ∂f/∂z = w + x·y
    assert (w.grad, x.grad, y.grad, z.grad) == (4.0, 8.0, 12.0, 11.0)


@pytest.mark.parametrize("h", [1e-3, 1e-6, 0.5])
def test_nudging_w_changes_f_by_grad_times_h(h, lecture):
    f, (w, _, _, _) = lecture()
    f.backward()
    nudged = (Value(5 + h) + Value(3) * Value(2)) * Value(4)
    assert nudged.data - f.data == pytest.approx(w.grad * h, rel=1e-9)
    assert nudged.data - f.data == pytest.approx(4 * h, rel=1e-9)


def test_reused_node_gradients_add_up():
    a = Value(1)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_node_used_on_two_paths():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0


def test_backward_twice_doubles_leaves_not_intermediates():
    x, y = Value(3.0), Value(2.0)
    v = x * y
    f = v + x
    f.backward()
    assert (x.grad, y.grad, v.grad, f.grad) == (3.0, 3.0, 1.0, 1.0)
    f.backward()
    assert (x.grad, y.grad) == (6.0, 6.0)  # leaves accumulate
    assert (v.grad, f.grad) == (1.0, 1.0)  # intermediates are reset


def test_backward_with_upstream_gradient():
    x = Value(2.0)
    y = x * x
    y.backward(3.0)
    assert y.grad == 3.0 and x.grad == 12.0
    with pytest.raises(TypeError, match="str"):
        y.backward("1")


def test_backward_on_a_leaf():
    x = Value(2.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_zero_grad_resets_whole_graph(lecture):
    f, leaves = lecture()
    f.backward()
    f.zero_grad()
    assert f.grad == 0.0 and all(v.grad == 0.0 for v in leaves)
    f.backward()
    assert [v.grad for v in leaves] == [4.0, 8.0, 12.0, 11.0]


def test_sum_is_one_node_and_matches_chain():
    xs = [Value(float(i)) for i in range(5)]
    s = mx.sum(xs)
    assert s.op == "sum" and s.children == tuple(xs) and s.data == 10.0
    s.backward()
    assert [x.grad for x in xs] == [1.0] * 5
    assert mx.sum([]).data == 0.0
    assert mx.sum([1, 2.5]).data == 3.5


def test_dot_is_sum_of_products():
    ws = [Value(1.0), Value(-2.0), Value(0.5)]
    xs = [3.0, 4.0, 2.0]
    d = mx.dot(ws, xs)
    assert d.op == "sum" and [c.op for c in d.children] == ["mul"] * 3
    assert d.data == 3.0 - 8.0 + 1.0
    d.backward()
    assert [w.grad for w in ws] == xs
    with pytest.raises(ValueError, match="2 weights but 3 inputs"):
        mx.dot(ws[:2], xs)


def test_no_grad_records_no_children():
    x = Value(2.0)
    with mx.no_grad():
        assert not mx.is_grad_enabled()
        y = x * 3 + 1
    assert mx.is_grad_enabled()
    assert y.data == 7.0 and y.children == () and y.is_leaf
    assert x.grad == 0.0


def test_no_grad_restores_on_error():
    with pytest.raises(RuntimeError), mx.no_grad():
        raise RuntimeError
    assert mx.is_grad_enabled() and (Value(1) + 1).children


def test_detect_anomaly_forward_names_the_op():
    with pytest.raises(FloatingPointError, match=r"log.*'q'=0\.0"), mx.detect_anomaly():
        Value(0, label="q").log()
    # outside the block the same computation is just -inf
    assert Value(0).log().data == -math.inf


def test_detect_anomaly_backward_names_the_gradient():
    x = Value(0.0, label="x")
    with mx.detect_anomaly():
        y = x**0.5  # forward is 0, fine
        with pytest.raises(FloatingPointError, match=r"backward of 'pow'.*'x'"):
            y.backward()


@pytest.mark.parametrize("bad", ["a", None, True, 1j, [1], (1,), {"a": 1}])
def test_bad_operands_raise_type_error_naming_the_type(bad):
    name = type(bad).__name__
    x = Value(1.0)
    for attempt in (
        lambda: x + bad,
        lambda: bad + x,
        lambda: x * bad,
        lambda: bad * x,
        lambda: x - bad,
        lambda: x / bad,
        lambda: bad / x,
        lambda: x**bad,
        lambda: x.max(bad),
        lambda: x.min(bad),
        lambda: Value(bad),
    ):
        with pytest.raises(TypeError, match=name):
            attempt()


def test_numpy_scalars_are_accepted():
    x = Value(np.float32(1.5))
    y = x * np.int64(2) + np.float64(0.5)
    assert type(x.data) is float and y.data == 3.5
    assert (np.int32(2) * x).data == 3.0


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


def test_repr(lecture):
    f, _ = lecture()
    f.label = "f"
    assert repr(f) == "Value(data=44.0, grad=0.0, label='f')"
    assert repr(Value(2) * 3) == "Value(data=6.0, grad=0.0, op='mul')"
    assert repr(Value(1.5)) == "Value(data=1.5, grad=0.0)"


def test_attributes():
    x = Value(3, "x")
    y = -x
    assert x.is_leaf and x.op == "" and x.children == () and x.label == "x"
    assert not y.is_leaf and y.op == "neg" and y.children == (x,)
    assert float(y) == -3.0 and +y is y
    assert not hasattr(x, "__dict__")  # __slots__: small nodes


def test_no_reference_cycles(lecture):
    """Reference counting alone frees a graph: no Value waits for the cyclic collector."""
    import gc

    def live_values() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is Value)

    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        before = live_values()
        f, nodes = lecture()
        f.backward()
        assert live_values() == before + 7
        del f, nodes
        assert live_values() == before  # freed without any collection
    finally:
        if enabled:
            gc.enable()


def test_scope_tags_values_and_nests():
    with mx.scope("layer0") as path:
        assert path == "layer0"
        w = Value(1.0)
        with mx.scope("neuron1") as inner:
            assert inner == "layer0/neuron1"
            v = w * 2
    u = v + 1
    assert (w.scope, v.scope, u.scope) == ("layer0", "layer0/neuron1", "")
    with pytest.raises(ValueError, match="scope name"), mx.scope("a/b"):
        pass


def test_deep_chain_of_a_million_operations(million_chain):
    x, v, n = million_chain  # v = x + x + ... + x = (n + 1)·x
    x.grad = 0.0  # the chain is shared by the session: start from no gradient
    v.backward()
    assert v.data == (n + 1) * 0.5
    assert x.grad == n + 1
    assert mx.stats(v).depth == n


def test_arg_holds_the_extra_number_and_param_is_a_read_only_alias():
    x = Value(3.0)
    y = x**2
    z = x.leaky_relu(0.2)
    assert (y.arg, z.arg, x.arg) == (2.0, 0.2, None)
    assert y.param == 2.0 and z.param == 0.2
    with pytest.raises(AttributeError):
        y.param = 3.0  # type: ignore[misc]


def test_apply_by_name_is_the_method():
    x = Value(0.5)
    assert Value.apply("tanh", x).data == x.tanh().data
    assert Value.apply("pow", x, arg=2).data == 0.25 and Value.apply("pow", x, arg=2).arg == 2.0
    assert Value.apply("max", 1.0, x).data == 1.0
    with pytest.raises(ValueError, match="no op named"):
        Value.apply("nope", x)
    with pytest.raises(TypeError, match="takes 1 operand"):
        Value.apply("tanh", x, x)


def test_comparisons_read_the_numbers():
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1.0 and b >= 2 and not a > 1
    with pytest.raises(TypeError):
        assert a < "2"


def test_methods_come_from_the_table_with_their_formula():
    from microgradx import OPS

    for name, op in OPS.items():
        assert hasattr(Value, name) == op.method, name
        if op.method:
            assert op.formula in getattr(Value, name).__doc__


def test_micrograd_names_for_lecture_code():
    """A micrograd-style graph walk (``_prev``, ``_op``) reads the same graph."""
    a, b = Value(2.0, "a"), Value(-3.0, "b")
    c = a * b
    d = c + a
    assert c._prev == {a, b} and d._prev == {c, a} and a._prev == set()
    assert (c._op, d._op, a._op) == ("×", "+", "")

    def trace(root):  # as the peer's drawing notebook writes it
        nodes, edges = set(), set()
        stack = [root]
        while stack:
            v = stack.pop()
            if v not in nodes:
                nodes.add(v)
                for child in v._prev:
                    edges.add((child, v))
                    stack.append(child)
        return nodes, edges

    nodes, edges = trace(d)
    assert nodes == {a, b, c, d} and edges == {(a, c), (b, c), (c, d), (a, d)}
