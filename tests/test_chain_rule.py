"""The chain-rule step, node by node (``Value._backward``), and inputs that ops switch off.

``_backward()`` is checked against closed-form derivatives of a tanh neuron and against
central differences on random graphs; the switch-off rule (relu, max, min pass exactly 0
to an input they switch off, even from an inf upstream) against PyTorch.
"""

from __future__ import annotations

import math
import os
import random

import numpy as np
import pytest

import microgradx
from microgradx import Value, compare_with_torch, grad, parse
from microgradx.gradcheck import numeric_grad
from microgradx.graph import topological_order

if os.environ.get("CI", "").lower() == "true":
    import torch  # CI installs PyTorch: a missing one is a failure, not a skip
else:
    torch = pytest.importorskip("torch")


def neuron() -> tuple[Value, dict[str, Value]]:
    """o = tanh(x1·w1 + x2·w2 + b), a two-input neuron with every node labelled."""
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)


def closed_form(v: dict[str, Value]) -> dict[str, float]:
    """The neuron's gradients by hand: do/dn = 1 − tanh(n)², then sums and products."""
    t = math.tanh(v["n"].data)
    dn = 1.0 - t * t
    return dict(
        o=1.0, n=dn, b=dn, s=dn, x1w1=dn, x2w2=dn,
        x1=dn * v["w1"].data, w1=dn * v["x1"].data,
        x2=dn * v["w2"].data, w2=dn * v["x2"].data,
    )  # fmt: skip


def test_backward_by_hand_node_by_node_matches_the_closed_form():
    o, v = neuron()
    o.grad = 1.0
    # output first, each node after all of its users, as the lecture does it by hand
    for name in ["o", "n", "s", "x2w2", "x1w1", "b", "x1", "w1", "x2", "w2"]:
        v[name]._backward()
    expected = closed_form(v)
    for name, node in v.items():
        assert node.grad == pytest.approx(expected[name], rel=1e-12, abs=1e-15), name
    assert v["w2"].grad == 0.0 and v["x2"].grad == pytest.approx(0.5, rel=1e-9)


def test_one_step_moves_gradient_only_to_the_operands():
    o, v = neuron()
    o.grad = 1.0
    o._backward()
    assert v["n"].grad == pytest.approx(1.0 - o.data**2, rel=1e-12)
    assert all(v[k].grad == 0.0 for k in ("s", "b", "x1", "w1", "x1w1"))


def test_backward_step_on_a_leaf_does_nothing_and_steps_accumulate():
    x = Value(3.0, "x")
    x.grad = 5.0
    x._backward()
    assert x.grad == 5.0
    y = Value(2.0, "y")
    f = x * y
    f.grad = 1.0
    f._backward()
    f._backward()  # as in micrograd: a second call adds again
    assert (x.grad, y.grad) == (5.0 + 2 * 2.0, 2 * 3.0)


def test_backward_is_the_step_over_the_reverse_topological_order():
    # random graphs with shared nodes and every op shape (n-ary sum, x**k, relu, max);
    # the step applied by hand equals central differences, as backward() does
    rng = random.Random(7)
    for _ in range(40):
        leaves = [Value(rng.uniform(0.5, 2.0), f"x{i}") for i in range(3)]
        pool = list(leaves)
        for _ in range(8):
            a, b = rng.sample(pool, 2)  # two different nodes: no relu(0), no max tie
            pool.append(
                rng.choice(
                    [a + b, a * b, a / (b * b + 1.0), a - b, a**2, a.tanh(), (a - b).relu(),
                     a.max(b), Value.apply("sum", a, b, a), a.exp() * 0.1, (a * a + 1.0).log()]
                )
            )  # fmt: skip
        out = pool[-1] + 0.5 * pool[-2]
        for node in topological_order(out):
            node.grad = 0.0
        out.grad = 1.0
        for node in topological_order(out, reverse=True):
            node._backward()
        stepped = [x.grad for x in leaves]

        def f(*xs: Value, out: Value = out, leaves: list[Value] = leaves) -> Value:
            return _rebuild(out, dict(zip(leaves, xs)))

        for i in range(len(leaves)):
            assert stepped[i] == pytest.approx(numeric_grad(f, leaves, i), rel=1e-5, abs=1e-6)
        for x in leaves:
            x.grad = 0.0
        out.backward()
        assert [x.grad for x in leaves] == pytest.approx(stepped, rel=1e-12, abs=1e-12)


def _rebuild(out: Value, given: dict[Value, Value]) -> Value:
    """The graph of ``out`` again, with the leaves replaced by ``given`` (for differences)."""
    new: dict[Value, Value] = dict(given)
    for node in topological_order(out):
        if node in new:
            continue
        if not node.children:
            new[node] = Value(node.data)
            continue
        operands = [new[c] for c in node.children]
        new[node] = Value.apply(node.op, *operands, arg=node.arg)
    return new[out]


# --- inputs switched off receive exactly 0 (as in PyTorch) ----------------------------


def torch_grads(expr: str, **values: float) -> list[float]:
    leaves = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()
    }
    env = {**leaves, "relu": torch.relu, "sqrt": torch.sqrt, "max": torch.maximum,
           "min": torch.minimum, "log": torch.log, "abs": torch.abs}  # fmt: skip
    out = eval(expr, {"__builtins__": {}}, env)  # test-only: our own fixed strings
    out.backward()
    return [0.0 if t.grad is None else float(t.grad) for t in leaves.values()]


SWITCHED = [
    ("sqrt(relu(x))", dict(x=-1.0)),  # relu off, sqrt'(0) = inf upstream
    ("log(relu(x))", dict(x=-2.0)),  # log'(0) = inf
    ("sqrt(max(x, y) - 1.0)", dict(x=1.0, y=-3.0)),  # y loses
    ("sqrt(1.0 - min(x, y))", dict(x=1.0, y=4.0)),  # y loses
    ("sqrt(abs(x))", dict(x=0.0)),  # abs does not switch: sign(0)·inf = nan, as PyTorch
    ("sqrt(x * y)", dict(x=0.0, y=2.0)),  # a product does not switch: 0·inf = nan
    ("max(x, y)", dict(x=math.nan, y=1.0)),  # nan: no winner, no tie; both pass it on
    ("min(x, y)", dict(x=2.0, y=math.nan)),
    ("relu(x)", dict(x=math.nan)),
]


@pytest.mark.parametrize(("expr", "values"), SWITCHED)
def test_switched_off_inputs_match_pytorch_in_engine_grad_and_tape(expr, values):
    expected = torch_grads(expr, **values)
    e = parse(expr, **values)
    leaves = [e.variables[k] for k in values]
    e.output.backward()
    engine = [x.grad for x in leaves]
    numbers = [g.data for g in grad(e.output, leaves)]
    tape = microgradx.compile(e.output, leaves).grad(list(values.values()))[0].tolist()
    for got in (engine, numbers, tape):
        np.testing.assert_array_equal(got, expected)  # equal, nan where PyTorch has nan


def test_relu_switched_off_gives_zero_where_the_old_rule_gave_nan():
    x = Value(-1.0, "x")
    y = x.relu().sqrt()
    y.backward()
    assert y.data == 0.0 and x.grad == 0.0


def test_random_expressions_agree_with_pytorch_including_inf_and_nan():
    # small integers make zeros, ties and 0/0 common: where forward values are finite
    # and where they are not, every gradient equals PyTorch's (nan where it has nan)
    unary = ["relu", "abs", "sqrt", "log", "tanh", "exp", "sigmoid"]
    binary = ["+", "-", "*", "/", "max", "min"]

    def build(rng: random.Random, depth: int) -> str:
        if depth == 0 or rng.random() < 0.2:
            return rng.choice("xyz")
        if rng.random() < 0.5:
            return f"{rng.choice(unary)}({build(rng, depth - 1)})"
        op, a, b = rng.choice(binary), build(rng, depth - 1), build(rng, depth - 1)
        return f"{op}({a}, {b})" if op in ("max", "min") else f"({a} {op} {b})"

    checked = 0
    for seed in range(400):
        rng = random.Random(seed)
        text = build(rng, 4)
        choices = [-2.0, -1.0, 0.0, 0.0, 1.0, 2.0, 0.5] + ([math.nan] if seed % 10 == 0 else [])
        values = {k: rng.choice(choices) for k in "xyz"}
        report = compare_with_torch(text, values, tol=1e-9, show=False)
        worst = max((abs(r.grad) for r in report.rows if math.isfinite(r.grad)), default=1.0)
        assert report.max_grad_diff <= 1e-12 * max(1.0, worst), (text, values, report.table())
        checked += 1
    assert checked == 400


def test_lesson_frames_and_exercises_pass_zero_to_a_switched_off_input():
    from microgradx import backward_steps
    from microgradx.exercises import true_gradients

    x = Value(-1.0, "x")
    y = x.relu().sqrt()
    y.label = "y"
    assert backward_steps(y)[-1].grads[x] == 0.0  # the old caption sum gave inf·0 = nan
    grads, terms = true_gradients(y)
    assert grads[x] == 0.0 and [t.local for t in terms[x]] == [0.0]
