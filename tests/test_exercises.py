"""check_backprop: hand-computed gradients checked against independent truths."""

from __future__ import annotations

import math

import pytest

from microgradx import Value, check_backprop, numeric_grad
from microgradx.exercises import BackpropReport, true_gradients


@pytest.fixture
def lecture_graph(lecture):
    """f = (w + x·y)·z at w=5, x=3, y=2, z=4: ∂f/∂w = z, ∂f/∂x = zy, ∂f/∂y = zx, ∂f/∂z = w + xy."""

    def build():
        f, nodes = lecture()
        return f, tuple(nodes[name] for name in ("w", "x", "y", "z", "v", "u"))

    return build


def test_right_answers_pass_and_nothing_changes_a_grad(lecture_graph):
    f, nodes = lecture_graph()
    for k, node in enumerate(nodes):
        node.grad = 100.0 + k  # sentinels: check_backprop must leave them alone
    report = check_backprop(f, {"w": 4, "x": 8, "y": 12, "z": 11, "v": 4, "u": 4, "f": 1})
    assert isinstance(report, BackpropReport)
    assert report and report.ok and len(report) == 7 and not report.wrong
    assert [node.grad for node in nodes] == [100.0 + k for k in range(len(nodes))]
    assert f.grad == 0.0


def test_a_wrong_answer_shows_the_true_value_and_its_chain_rule_terms(lecture_graph):
    f, _ = lecture_graph()
    report = check_backprop(f, {"x": 8.0, "y": 6.0})  # ∂f/∂y = z·x = 12, not 6
    assert not report
    assert report["x"].ok and not report["y"].ok
    row = report["y"]
    assert row.answer == 6.0 and row.true == 12.0
    # y has one user, v = x·y: upstream ∂f/∂v = z = 4, local ∂v/∂y = x = 3
    assert [(t.user, t.upstream, t.local) for t in row.terms] == [("v", 4.0, 3.0)]
    text = str(report)
    assert "WRONG" in text and "1 of 2 right" in text
    assert "∂f/∂y = ∂f/∂v·∂v/∂y = (4)(3) = 12" in text
    assert report.wrong == (row,)


def test_a_node_with_several_users_sums_their_terms():
    # g = x·y + x²: x is used by the mul and by the square; ∂g/∂x = y + 2x
    x, y = Value(1.5, "x"), Value(-2.0, "y")
    m = x * y
    m.label = "m"
    s = x**2
    s.label = "s"
    g = m + s
    g.label = "g"
    report = check_backprop(g, {x: -2.0})  # forgot the x² path
    row = report[0]
    assert not report and row.true == pytest.approx(-2.0 + 3.0)
    assert sorted((t.user, t.product) for t in row.terms) == [("m", -2.0), ("s", 3.0)]
    assert math.fsum(t.product for t in row.terms) == row.true


def test_true_gradients_agree_with_finite_differences():
    def fn(a, b, c):
        h = (a * b).tanh() + (c / b).exp() - a.leaky_relu(0.1) * c**3
        return h.sigmoid() * a.log()

    point = [1.3, -0.7, 0.4]
    leaves = [Value(p, n) for p, n in zip(point, "abc")]
    grads, _ = true_gradients(fn(*leaves))
    for i, leaf in enumerate(leaves):
        assert grads[leaf] == pytest.approx(numeric_grad(fn, point, i), rel=1e-6, abs=1e-9)


def test_tolerance_is_relative_with_an_absolute_floor(lecture_graph):
    f, _ = lecture_graph()
    assert check_backprop(f, {"x": 8.04})  # 0.5 % off: a rounded hand calculation
    assert not check_backprop(f, {"x": 8.2})  # 2.5 % off
    assert check_backprop(f, {"x": 8.2}, rel_tol=0.03)
    assert check_backprop(f, {"f": 1.00005})  # abs_tol


def test_nodes_by_value_label_or_variable_name():
    a, b = Value(2.0), Value(-3.0, "b")
    out = a * b + a
    report = check_backprop(out, {a: -2.0, "b": 2.0})
    assert report and [row.name for row in report] == ["a", "b"]
    report = check_backprop(out, {"a": -1.0})  # the variable name of an unlabelled node
    assert not report and report["a"].true == -2.0
    assert "∂out/∂a = ∂out/∂out·∂out/∂a + ∂out/∂(a·b)·∂(a·b)/∂a = (1)(1) + (1)(-3) = -2" in str(
        report
    )


def test_bad_keys_and_answers_are_errors_that_say_what_to_do(lecture_graph):
    f, _ = lecture_graph()
    with pytest.raises(KeyError, match="labels: f, u, v, w, x, y, z"):
        check_backprop(f, {"q": 1.0})
    with pytest.raises(ValueError, match="not part of the output's graph"):
        check_backprop(f, {Value(1.0, "x"): 1.0})
    twin = Value(1.0, "t") + Value(2.0, "t")
    with pytest.raises(ValueError, match="2 nodes are labelled 't'"):
        check_backprop(twin, {"t": 1.0})
    with pytest.raises(TypeError, match="must be a number or None"):
        check_backprop(f, {"x": "8"})
    with pytest.raises(TypeError, match="non-empty"):
        check_backprop(f, {})
    with pytest.raises(TypeError, match="output must be a Value"):
        check_backprop(3.0, {"x": 1.0})


def test_unanswered_questions_are_listed_but_never_solved(lecture_graph):
    f, _ = lecture_graph()
    report = check_backprop(f, {"x": 8.0, "y": None, "z": 5.0})
    assert not report  # an open question keeps the report falsy
    assert [row.name for row in report.open] == ["y"] and not report["y"].answered
    assert [row.name for row in report.wrong] == ["z"]
    text = str(report)
    assert "not answered yet" in text and "1 of 3 right, 1 not answered yet" in text
    assert "∂f/∂y" not in text  # the open question's solution is not printed
    assert "∂f/∂z = ∂f/∂f·∂f/∂z = (1)(11) = 11" in text
