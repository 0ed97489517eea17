"""The expression language: indentation, constant parameters, comments, and a fuzz test."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microgradx import Value
from microgradx.expr import MAX_NESTING, ExpressionError, parse


def test_leading_indentation_is_accepted():
    e = parse("   x*y + 1", x=2, y=3)
    assert e.output.data == 7.0
    block = """
        v = x*y
          u = v + 1
        u * 2
    """
    assert parse(block, x=2, y=3).output.data == 14.0


def test_positions_in_indented_text_point_at_the_original_columns():
    with pytest.raises(ExpressionError) as info:
        parse("v = x*y\n    u = v.real", x=1, y=2)
    assert (info.value.line, info.value.column) == (2, 9)  # the 'v' of 'v.real'
    with pytest.raises(ExpressionError) as info:
        parse("    x +* 2", x=1)
    assert info.value.line == 1 and info.value.column is not None and info.value.column >= 7


def test_constant_expressions_give_an_ops_extra_number():
    x = Value(-2.0, "x")
    e = parse("leaky_relu(x, 1/10)", x=x)
    assert e.output.op == "leaky_relu" and e.output.arg == 0.1 and e.output.children == (x,)
    assert e.output.data == pytest.approx(-0.2)
    e.output.backward()
    assert x.grad == pytest.approx(0.1)  # the slope, for x < 0
    assert parse("leaky_relu(x, exp(-2) + 2**-3)", x=-1).output.arg == math.exp(-2) + 0.125
    with pytest.raises(ExpressionError, match="must be a number or an expression of numbers"):
        parse("leaky_relu(x, y/10)", x=1, y=2)


def test_brackets_in_comments_do_not_count_as_nesting():
    text = "v = x + 1  # " + "(" * (MAX_NESTING + 1) + "\ny = 2 # ]]]]"
    assert parse(text + "\nv*y", x=3).output.data == 8.0
    with pytest.raises(ExpressionError, match="nested more than"):
        parse("(" * (MAX_NESTING + 1) + "x" + ")" * (MAX_NESTING + 1), x=1)


@pytest.mark.parametrize("value", [10**400, -(10**400), 10**5000], ids=["big", "-big", "huge"])
def test_a_value_too_large_for_a_float_is_an_expression_error(value):
    with pytest.raises(ExpressionError, match="the value of x is too large for a float"):
        parse("x+1", x=value)


# --- fuzzing: whatever the text, parse returns or raises ExpressionError ---------------

_ALPHABET = "xyzvw0123456789.+-*/%@()[]{},:;=#'\"\\ \t\n\r_eEjabl<>!&|^~`$?"
_FUNCTIONS = ["exp", "log", "tanh", "relu", "leaky_relu", "max", "min", "abs", "sin", "sqrt"]

numbers = st.one_of(
    st.integers(0, 10**6).map(str),
    st.sampled_from(["1e400", "0.5", "1e-320", "0x1f", "1_000", "9" * 400, "1j", "nan"]),
)
atoms = st.one_of(numbers, st.sampled_from(["x", "y", "z", "__x", "True", "None", "'s'"]))


def _combine(inner):
    unary = st.tuples(st.sampled_from(["-", "+", "~", "not "]), inner).map("".join)
    binary = st.tuples(
        inner, st.sampled_from(["+", "-", "*", "/", "**", "%", "//", "<", " and ", ","]), inner
    ).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
    calls = st.tuples(st.sampled_from([*_FUNCTIONS, "print", "x"]), st.lists(inner, max_size=3))
    call = calls.map(lambda t: f"{t[0]}({', '.join(t[1])})")
    wrapped = inner.map(lambda s: f"({s})") | inner.map(lambda s: f"[{s}]")
    attribute = inner.map(lambda s: f"({s}).__class__")
    return unary | binary | call | wrapped | attribute


expressions = st.recursive(atoms, _combine, max_leaves=30)
programs = st.lists(
    st.tuples(
        st.sampled_from(["", "v = ", "w = ", "x = ", "  u = ", "v += ", "del "]), expressions
    ).map("".join),
    min_size=1,
    max_size=4,
).flatmap(lambda lines: st.sampled_from(["\n", "; ", "\n    "]).map(lambda sep: sep.join(lines)))
values = st.one_of(
    st.floats(), st.integers(-(10**500), 10**500), st.sampled_from([0, -0.0, 1e308])
)


def _parses_or_refuses(text: str, x, y) -> None:
    try:
        e = parse(text, x=x, y=y)
    except ExpressionError:
        return
    assert isinstance(e.output, Value)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=st.text(_ALPHABET, max_size=80), x=values, y=values)
def test_random_text_only_ever_raises_expression_error(text, x, y):
    _parses_or_refuses(text, x, y)


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(text=programs, x=values, y=values)
def test_random_syntax_trees_only_ever_raise_expression_error(text, x, y):
    _parses_or_refuses(text, x, y)
