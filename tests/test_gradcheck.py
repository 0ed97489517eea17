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
