"""Property-based: random expression DAGs with shared subexpressions.

A random program is a list of steps, each applying an op to earlier results, so a
node is often used by several later ones. It is run twice: on Values (autograd) and
on plain floats (an evaluator written here, independent of the engine), whose central
differences are the truth for the gradients.

Runs are derandomized (the same examples every run), and the finite differences use
principled steps and tolerances (``op_cases.step`` and ``op_cases.close``), so a
test fails only for a real disagreement.
"""

from __future__ import annotations

from hypothesis import assume, given, settings
from op_cases import EPS
from programs import STEPS, programs, run

from microgradx import Value, gradcheck


def size(steps, inputs):
    """The largest magnitude computed by the program: the scale of its rounding errors."""
    pool = list(inputs)
    for name, operands in steps:
        pool.append(STEPS[name][1](*(pool[i] for i in operands)))
    return max(abs(v) for v in pool)


def richardson(f, x, i, scale):
    """∂f/∂xᵢ by central differences at h and h/2, and a bound on its error.

    D(h) = f' + c·h² + O(h⁴), so (4·D(h/2) − D(h))/3 = f' + O(h⁴); h = eps^(1/5)·max(1, |xᵢ|)
    balances that against rounding. The bound adds the rounding error, about
    eps·scale/h where ``scale`` is the largest magnitude the program computes (a
    difference of two huge, nearly equal numbers is noise of that size), and
    |D(h) − D(h/2)|, which bounds the truncation error left.
    """

    def central(h):
        up, down = list(x), list(x)
        up[i] += h
        down[i] -= h
        return (f(up) - f(down)) / (2 * h)

    h = EPS ** (1 / 5) * max(1.0, abs(x[i]))
    coarse, fine = central(h), central(h / 2)
    estimate = (4 * fine - coarse) / 3
    return estimate, abs(fine - coarse) + 16 * EPS * max(1.0, scale) / h


@settings(max_examples=150, deadline=None, derandomize=True)
@given(programs())
def test_autograd_matches_central_differences(program):
    inputs, steps = program
    try:  # a program whose floats overflow (cubes of cubes) has no finite differences
        size(steps, inputs)
    except OverflowError:
        assume(False)
    check(inputs, steps)


def check(inputs, steps):
    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves, on_values=True)
    assert out.data == _approx(run(steps, inputs, on_values=False))
    out.backward()
    scale = size(steps, inputs)
    for i, leaf in enumerate(leaves):
        numeric, error = richardson(lambda x: run(steps, x, False), inputs, i, scale)
        tolerance = 1e-7 * max(1.0, abs(numeric)) + error
        assert abs(leaf.grad - numeric) <= tolerance, (steps, i, leaf.grad, numeric)


def test_huge_intermediates_that_cancel():
    """x²⁷ made two ways and subtracted: the exact derivative is 0.25, but the float
    difference is rounding noise of size eps·x²⁷ ≈ 1e-8. A fixed h = 1e-6 turns that
    noise into a slope of 0.015 (0.235 against 0.25); the bound above accounts for it."""
    steps = [
        ("cube", [0]),  # x³
        ("cube", [1]),  # x⁹
        ("cube", [2]),  # x²⁷ by pow
        ("mul", [2, 2]),  # x¹⁸
        ("mul", [4, 2]),  # x²⁷ by products
        ("sub", [5, 3]),  # 0, up to rounding
    ]
    check([1.986], steps)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(programs())
def test_gradcheck_agrees_on_random_programs(program):
    inputs, steps = program
    report = gradcheck(lambda *xs: run(steps, xs, True), inputs, atol=1e-4, rtol=1e-4)
    assert report, str(report)


def _approx(x):
    import pytest

    return pytest.approx(x, rel=1e-12, abs=1e-12)
