"""gradcheck and numeric_grad: they pass correct gradients and catch wrong ones."""

from __future__ import annotations

import math

import pytest

from microgradx import GradcheckReport, Value, gradcheck, numeric_grad


def test_numeric_grad_matches_closed_form():
    # f = x²·y: ∂f/∂x = 2xy, ∂f/∂y = x²
    f = lambda x, y: x**2 * y  # noqa: E731
    assert numeric_grad(f, [3.0, 2.0], 0) == pytest.approx(12.0, rel=1e-8)
    assert numeric_grad(f, [3.0, 2.0], 1) == pytest.approx(9.0, rel=1e-8)
    assert numeric_grad(f, [3.0, 2.0], -1) == pytest.approx(9.0, rel=1e-8)


def test_report_passes_for_correct_gradients():
    report = gradcheck(lambda x, y: (x * y).tanh() + x.exp() / y, [0.3, 1.7])
    assert isinstance(report, GradcheckReport)
    assert report and report.ok and len(report) == 2
    x0 = report["x0"]
    # closed form of ∂/∂x: y·(1 − tanh²(xy)) + eˣ/y
    expected = 1.7 * (1 - math.tanh(0.51) ** 2) + math.exp(0.3) / 1.7
    assert x0.analytic == pytest.approx(expected, rel=1e-12)
    assert x0.numeric == pytest.approx(expected, rel=1e-7)
    assert report.output == pytest.approx(math.tanh(0.51) + math.exp(0.3) / 1.7)


def test_report_catches_a_broken_graph():
    # Rebuilding x² from its number cuts it out of the graph: autograd sees 0.
    report = gradcheck(lambda x: Value(x.data**2) + x, [3.0])
    assert not report
    row = report[0]
    assert row.analytic == 1.0 and row.numeric == pytest.approx(7.0, rel=1e-6)
    assert not row.ok
    assert "FAIL" in str(report) and "MISMATCH" in str(report)


def test_report_table_lists_every_input_by_label():
    x, y = Value(0.5, "x"), Value(2.0, "y")
    report = gradcheck(lambda a, b: a * b, [x, y])
    text = str(report)
    assert text.splitlines()[0].split()[:4] == ["input", "value", "autograd", "numeric"]
    assert text.splitlines()[1].startswith("x ") and text.splitlines()[2].startswith("y ")
    assert "all gradients match" in text
    assert x.grad == 0.0 and y.grad == 0.0  # the caller's Values are left alone


def test_non_finite_gradients_are_reported_not_hidden():
    # √|x| at 0: the chain rule gives 0 · inf = nan; the central difference is 0.
    report = gradcheck(lambda x: abs(x) ** 0.5, [0.0], eps=1e-8)
    assert math.isnan(report[0].analytic) and report[0].numeric == 0.0
    assert not report


def test_bad_arguments():
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 3.0, [1.0])
    with pytest.raises(TypeError, match="sequence"):
        gradcheck(lambda x: x, 1.0)
    with pytest.raises(TypeError, match="str"):
        gradcheck(lambda x: x, ["a"])
    with pytest.raises(IndexError):
        numeric_grad(lambda x: x, [1.0], 1)
    with pytest.raises(ValueError, match="eps"):
        numeric_grad(lambda x: x, [1.0], 0, eps=0)


def test_second_order_rows_for_every_pair_against_closed_forms():
    # f = x²·y + sin y: ∂²/∂x² = 2y, ∂²/∂x∂y = 2x, ∂²/∂y² = −sin y
    x, y = Value(3.0, "x"), Value(2.0, "y")
    report = gradcheck(lambda a, b: a * a * b + b.sin(), [x, y], order=2)
    assert report and len(report) == 4
    assert [row.name for row in report] == ["∂²/∂x²", "∂²/∂x∂y", "∂²/∂y∂x", "∂²/∂y²"]
    expected = [4.0, 6.0, 6.0, -math.sin(2.0)]
    for row, value in zip(report, expected):
        assert row.analytic == pytest.approx(value, rel=1e-14)
        assert row.numeric == pytest.approx(value, rel=1e-8)
    assert x.grad == 0.0 and y.grad == 0.0


def test_second_order_catches_a_derivative_graph_cut_from_its_inputs():
    # A rule whose derivative reads .data is right in first order, but its derivative
    # graph is cut: the second derivative comes out 0 instead of −2·tanh·(1 − tanh²).
    from microgradx import ops

    row = ops.Op(
        name="flat_tanh",
        symbol="tanh",
        arity=1,
        f=math.tanh,
        df=lambda out, a: (1.0 - out * out if isinstance(out, float) else 1.0 - out.data**2,),
        np_f=__import__("numpy").tanh,
    )
    with ops.registered(row):
        assert gradcheck(lambda a: a.flat_tanh(), [0.5])
        report = gradcheck(lambda a: a.flat_tanh(), [0.5], order=2)
    assert not report
    assert report[0].analytic == 0.0
    t = math.tanh(0.5)
    assert report[0].numeric == pytest.approx(-2 * t * (1 - t * t), rel=1e-8)


def test_order_must_be_one_or_two():
    with pytest.raises(ValueError, match="order"):
        gradcheck(lambda a: a, [1.0], order=3)


def test_default_step_scales_with_the_input():
    from microgradx.gradcheck import default_step

    assert default_step(0.5) == default_step(1.0) == pytest.approx(6.06e-6, rel=1e-3)
    assert default_step(-1000.0) == 1000 * default_step(1.0)
