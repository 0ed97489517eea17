"""Random programs for property tests: lists of steps, each an op on earlier results.

A program is run on Values (autograd) or on plain floats (an evaluator written here,
independent of the engine). Shared by the first- and second-order property tests.
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

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
