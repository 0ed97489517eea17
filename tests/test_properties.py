"""Property-based: random expression DAGs with shared subexpressions.

A random program is a list of steps, each applying an op to earlier results, so a
node is often used by several later ones. It is run twice: on Values (autograd) and
on plain floats (an evaluator written here, independent of the engine), whose central
differences are the truth for the gradients.
"""

from __future__ import annotations

import math
import sys

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from microgradx import Value, gradcheck

# Smooth ops only, with operands kept in their domains, so that finite differences
# are trustworthy: name -> (on Values, on floats, arity).
STEPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b, 2),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, 2),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, 2),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1), 2),
    "tanh": (lambda a: a.tanh(), math.tanh, 1),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: 1 / (1 + math.exp(-a)), 1),
    "exp": (lambda a: (a.tanh()).exp(), lambda a: math.exp(math.tanh(a)), 1),
    "log": (lambda a: (a * a + 1).log(), lambda a: math.log(a * a + 1), 1),
    "square": (lambda a: a**2, lambda a: a**2, 1),
    "cube": (lambda a: a**3, lambda a: a**3, 1),
    "neg": (lambda a: -a, lambda a: -a, 1),
    "scale": (lambda a: 0.5 * a - 1.5, lambda a: 0.5 * a - 1.5, 1),
}


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(
        st.lists(
            st.floats(-2, 2, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
            min_size=n_inputs,
            max_size=n_inputs,
        )
    )
    steps = []
    for k in range(draw(st.integers(1, 12))):
        name = draw(st.sampled_from(sorted(STEPS)))
        arity = STEPS[name][2]
        operands = [draw(st.integers(0, n_inputs + k - 1)) for _ in range(arity)]
        steps.append((name, operands))
    return inputs, steps


def run(steps, inputs, on_values):
    pool = list(inputs)
    for name, operands in steps:
        fn = STEPS[name][0] if on_values else STEPS[name][1]
        pool.append(fn(*(pool[i] for i in operands)))
    # the output uses the last node and, through it or directly, shared ones
    return pool[-1] + pool[0] * 0.25


@settings(max_examples=150, deadline=None)
@given(programs())
def test_autograd_matches_central_differences(program):
    inputs, steps = program
    leaves = [Value(x) for x in inputs]
    out = run(steps, leaves, on_values=True)
    h = 1e-6
    try:  # a program whose floats overflow (cubes of cubes) has no finite differences
        values = [run(steps, inputs, False)] + [run(steps, p, False) for p in _around(inputs, h)]
    except OverflowError:
        assume(False)
    assert out.data == _approx(values[0])
    out.backward()
    for i, leaf in enumerate(leaves):
        up, down = values[1 + 2 * i], values[2 + 2 * i]
        numeric = (up - down) / (2 * h)
        # each f(x ± h) carries rounding of order ε·|f|, which the difference divides by 2h
        rounding = 16 * sys.float_info.epsilon * max(abs(up), abs(down)) / h
        tolerance = 1e-4 * max(1.0, abs(numeric)) + rounding
        assert abs(leaf.grad - numeric) <= tolerance, (steps, i, leaf.grad, numeric)


@settings(max_examples=60, deadline=None)
@given(programs())
def test_gradcheck_agrees_on_random_programs(program):
    inputs, steps = program
    report = gradcheck(lambda *xs: run(steps, xs, True), inputs, atol=1e-4, rtol=1e-4)
    assert report, str(report)


def _around(inputs, h):
    """The points x ± h along each coordinate: up then down for input 0, 1, ..."""
    for i in range(len(inputs)):
        for step in (h, -h):
            moved = list(inputs)
            moved[i] += step
            yield moved


def _approx(x):
    import pytest

    return pytest.approx(x, rel=1e-12, abs=1e-12)
