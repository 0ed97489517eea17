"""The expression language: same graphs as by hand, hostile texts refused, limits."""

from __future__ import annotations

import ast
import builtins
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import microgradx
from microgradx import Expression, ExpressionError, Value, parse
from microgradx import expr as expr_module
from microgradx.graph import topological_order

# Every op with a Value method is a function of the language, in table order.
LISTED = ", ".join(name for name, op in microgradx.OPS.items() if op.method)


def shape(root: Value) -> list[tuple]:
    """The graph as comparable data: per node its op, arg, label, data and operands."""
    order = topological_order(root)
    index = {id(node): i for i, node in enumerate(order)}
    return [(n.op, n.arg, n.label, n.data, tuple(index[id(c)] for c in n.children)) for n in order]


def grads(root: Value) -> list[float]:
    return [n.grad for n in topological_order(root)]


def leaves(**values: float) -> dict[str, Value]:
    return {name: Value(float(v), label=name) for name, v in values.items()}


# --- the lecture example ------------------------------------------------------------------


def test_lecture_example_values_and_gradients():
    e = parse("v = x*y; u = w + v; f = u*z", w=5, x=3, y=2, z=4)
    assert e.output.data == 44.0
    assert e.output.label == "f"
    e.output.backward()
    got = {name: leaf.grad for name, leaf in e.variables.items()}
    assert got == {"w": 4.0, "x": 8.0, "y": 12.0, "z": 11.0}


def test_lecture_example_names_and_orders():
    e = parse("v = x*y\nu = w + v\nf = u*z", w=5, x=3, y=2, z=4)
    assert list(e.variables) == ["x", "y", "w", "z"]  # order of first appearance
    assert list(e.values) == ["x", "y", "v", "w", "u", "z", "f"]
    assert {name: v.label for name, v in e.values.items()} == {n: n for n in e.values}
    assert [e.values[n].data for n in ("v", "u", "f")] == [6.0, 11.0, 44.0]
    assert all(leaf.is_leaf for leaf in e.variables.values())
    assert e.values["f"] is e.output
    assert e.values["v"] is e.values["u"].children[1]


def test_lecture_example_equals_graph_by_hand(lecture):
    e = parse("v = x*y; u = w + v; f = u*z", w=5, x=3, y=2, z=4)
    f, _ = lecture()  # built with Python's operators
    assert shape(e.output) == shape(f)
    e.output.backward()
    f.backward()
    assert grads(e.output) == grads(f)


@pytest.mark.parametrize(
    ("text", "by_hand"),
    [
        ("(w + x*y)*z", lambda w, x, y, z: (w + x * y) * z),
        ("a - b", lambda a, b: a - b),
        ("a / b", lambda a, b: a / b),
        ("x**2", lambda x: x**2),
        ("x**-1.5", lambda x: x**-1.5),
        ("2**x", lambda x: 2**x),
        ("x**y", lambda x, y: x**y),
        ("-x + +y", lambda x, y: -x + +y),
        ("3 - x / 4", lambda x: 3 - x / 4),
        ("exp(x) * log(y)", lambda x, y: x.exp() * y.log()),
        ("tanh(x) + sigmoid(y)", lambda x, y: x.tanh() + y.sigmoid()),
        ("relu(x - 5) + abs(-y)", lambda x, y: (x - 5).relu() + abs(-y)),
        (
            "leaky_relu(x) + leaky_relu(-y, 0.2)",
            lambda x, y: x.leaky_relu() + (-y).leaky_relu(0.2),
        ),
        ("max(x, y) * min(x, 1)", lambda x, y: x.max(y) * x.min(1)),
        ("x*x*x", lambda x: x * x * x),
        ("(x + 1) * (x + 1)", lambda x: (x + 1) * (x + 1)),
    ],
)
def test_same_graph_as_by_hand(text, by_hand):
    names = by_hand.__code__.co_varnames[: by_hand.__code__.co_argcount]
    numbers = dict(zip(names, [5.0, 3.0, 2.0, 4.0]))
    e = parse(text, **numbers)
    h = leaves(**numbers)
    expected = by_hand(*(h[n] for n in names))
    assert shape(e.output) == shape(expected)
    e.output.backward()
    expected.backward()
    assert grads(e.output) == grads(expected)
    assert [leaf.grad for leaf in e.variables.values()] == [h[n].grad for n in e.variables]


def test_each_operator_is_one_node_of_its_own_op():
    cases = {"a - b": "sub", "a / b": "div", "a + b": "add", "a * b": "mul", "a ** b": "pow"}
    for text, op in cases.items():
        out = parse(text, a=2, b=3).output
        assert (out.op, len(out.children)) == (op, 2), text
    square = parse("a**2", a=3).output
    assert (square.op, square.arg, len(square.children)) == ("pow", 2.0, 1)
    assert parse("-a", a=1).output.op == "neg"
    assert parse("+a", a=1).output.op == ""  # unary plus is the value itself


def test_numbers_meeting_numbers_still_go_through_values():
    out = parse("2*3 + 1").output
    assert out.data == 7.0
    assert [n.op for n in topological_order(out)].count("mul") == 1
    assert parse("3").output.data == 3.0
    assert parse("-3").output.data == -3.0


def test_given_value_objects_are_used_as_they_are():
    x = Value(3.0, label="input")
    e = parse("x * 2", x=x)
    assert e.variables["x"] is x
    assert x.label == "input"
    assert e.output.children[0] is x


def test_numpy_and_int_values_become_float_leaves():
    e = parse("a + b + c", a=np.float32(1.5), b=np.int64(2), c=3)
    assert [type(v.data) for v in e.variables.values()] == [float, float, float]
    assert e.output.data == 6.5


def test_assigning_a_number_makes_a_labelled_constant():
    e = parse("c = 2; f = c*x", x=3)
    assert e.values["c"].data == 2.0
    assert e.values["c"].label == "c"
    assert "c" not in e.variables
    assert e.output.data == 6.0


def test_renaming_keeps_the_original_label():
    e = parse("v = x; f = v*2", x=3)
    assert e.values["v"] is e.variables["x"]
    assert e.variables["x"].label == "x"


def test_output_may_be_an_expression_line():
    e = parse("v = x*y\nv + 1", x=3, y=2)
    assert e.output.data == 7.0
    assert e.output.label == ""


def test_huge_powers_are_ieee_infinity_not_big_integers():
    assert parse("10**9**9").output.data == math.inf
    assert parse("x**9**9", x=10).output.data == math.inf
    assert parse("0x" + "f" * 400).output.data == math.inf


def test_division_by_zero_is_ieee():
    assert parse("1/0").output.data == math.inf
    assert math.isnan(parse("x/0", x=0).output.data)


def test_repr_names_text_output_and_variables():
    e = parse("(w + x*y)*z", w=5, x=3, y=2, z=4)
    assert (
        repr(e) == "Expression('(w + x*y)*z', output=44.0, variables: w=5.0, x=3.0, y=2.0, z=4.0)"
    )
    assert isinstance(e, Expression)


def test_exported_from_package():
    assert {"parse", "Expression", "ExpressionError"} <= set(microgradx.__all__)


def test_never_calls_eval_or_exec(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    assert parse("v = exp(x) * y; f = v - 1", x=0, y=2).output.data == 1.0


# --- hostile and refused texts -------------------------------------------------------------

HOSTILE = [
    "__import__('os').system('x')",
    "().__class__.__bases__",
    "open('f')",
    "lambda: 0",
    "[1]*10**9",
    "'a'*10**9",
    "x.__class__",
    "(" * 10_000 + "x" + ")" * 10_000,
    "(" * 4_999 + "x" + ")" * 4_999,
    "(" * 10_000,
    "x" * 10_001,
    "x+" * 5_000 + "x",
    "-" * 9_000 + "x",
    "1\n" * 6_000,
    "9" * 9_000,
    "x\0",
    "import os",
    "exec('1')",
    "eval('1')",
    "compile('1', 'f', 'eval')",
    "getattr(x, 'a')",
    "x.real",
    "[x for x in ()]",
    "{}",
    "__builtins__",
    "f'{x}'",
    "b'x'",
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:30]))
def test_hostile_inputs_are_refused(text):
    with pytest.raises(ExpressionError):
        parse(text, x=3)


def test_deep_brackets_never_reach_the_python_parser(monkeypatch):
    def no_parse(*args, **kwargs):
        raise AssertionError("ast.parse was called")

    monkeypatch.setattr(expr_module.ast, "parse", no_parse)
    for text in ["(" * 4_999 + "x" + ")" * 4_999, "(" * 10_000, "[" * 200, "x" * 10_001]:
        with pytest.raises(ExpressionError):
            parse(text, x=1)


def test_bracket_limit_reports_the_bracket_too_many():
    with pytest.raises(ExpressionError) as info:
        parse("x + " + "(" * 101 + "x" + ")" * 101, x=1)
    assert (info.value.line, info.value.column) == (1, 5 + 100)
    assert "nested more than 100" in str(info.value)
    deep_enough = "(" * 100 + "x" + ")" * 100
    assert parse(deep_enough, x=2).output.data == 2.0


def test_length_limit_message():
    with pytest.raises(ExpressionError) as info:
        parse("1+" * 5_001 + "1")
    assert str(info.value) == "the expression is 10,003 characters long; the limit is 10,000"
    assert info.value.line is None and info.value.column is None


def test_node_limit():
    term = "*".join(["x"] * 50)  # 50 names and 49 products: 99 nodes

    def sum_of(terms: int) -> str:  # terms * 99 + (terms - 1) sums + 1 line
        return " + ".join([term] * terms)

    with pytest.raises(ExpressionError) as info:
        parse(sum_of(60), x=1)
    assert str(info.value) == (
        "the expression is too large: 6,000 numbers, names and operations; the limit is 5,000"
    )
    assert parse(sum_of(50), x=1).output.data == 50.0  # 5,000 nodes: just within


def test_too_deep_for_the_parser_is_a_plain_error():
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("-" * 9_000 + "x", x=1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.__class__", "line 1, column 1: attribute access (a.b) is not allowed"),
        ("x + x[0]", "line 1, column 5: indexing (a[...]) is not allowed"),
        ("v = 1\nf = lambda: 0", "line 2, column 5: lambda functions are not allowed"),
        ("x + 'a'", "line 1, column 5: strings are not allowed; use numbers and names"),
        ("x + b'a'", "line 1, column 5: strings are not allowed; use numbers and names"),
        ("[x, 1]", "line 1, column 1: lists are not allowed"),
        ("x, 1", "line 1, column 1: tuples (values separated by commas) are not allowed"),
        ("x < 1", "line 1, column 1: comparisons (<, ==, ...) are not allowed"),
        ("x and 1", "line 1, column 1: 'and' and 'or' are not allowed"),
        ("not x", "line 1, column 1: the operator not is not allowed"),
        ("x % 2", "line 1, column 1: the operator % is not allowed; use + - * / **"),
        ("x // 2", "line 1, column 1: the operator // is not allowed; use + - * / **"),
        ("1 if x else 2", "line 1, column 1: 'if ... else' expressions are not allowed"),
        ("sum(x for x in y)", "line 1, column 1: sum() is not a function you can call here; "
         f"the functions are {LISTED}"),
        ("exp(*x)", "line 1, column 5: '*' unpacking is not allowed"),
        ("leaky_relu(x, slope=0.1)",
         "line 1, column 15: keyword arguments are not allowed; "
         "write leaky_relu(x, ...) with plain values"),
        ("leaky_relu(x, x)",
         "line 1, column 15: the slope of leaky_relu must be a number or an expression of "
         "numbers, e.g. leaky_relu(x, 0.1) or leaky_relu(x, 1/10)"),
        ("max(x)", "line 1, column 1: max takes 2 arguments, got 1"),
        ("exp(x, x)", "line 1, column 1: exp takes 1 argument, got 2"),
        ("leaky_relu()", "line 1, column 1: leaky_relu takes 1 or 2 arguments, got 0"),
        ("exp + 1", "line 1, column 1: exp is a function; call it like exp(x)"),
        ("tanh(x)(1)", f"line 1, column 1: only functions can be called, by name: {LISTED}"),
        ("__x + 1", "line 1, column 1: names that start with '__' (like __x) are not allowed"),
        ("True + x", "line 1, column 1: True is not a number"),
        ("None", "line 1, column 1: None is not a number"),
        ("2j * x", "line 1, column 1: complex numbers are not allowed"),
        ("(v := x)", "line 1, column 2: ':=' is not allowed; "
         "write 'name = expression' on its own line"),
        ("x += 1", "line 1, column 1: augmented assignment (x += ...) is not allowed; "
         "write 'x2 = x + ...'; each line must be an expression or 'name = expression'"),
        ("import os", "line 1, column 1: imports are not allowed; "
         "each line must be an expression or 'name = expression'"),
        ("for i in x: pass", "line 1, column 1: 'for' statements are not allowed; "
         "each line must be an expression or 'name = expression'"),
        ("a = b = x", "line 1, column 5: chained assignment (a = b = ...) is not allowed; "
         "assign one name per line"),
        ("a, b = x, x", "line 1, column 1: assign one name at a time ('v = expression')"),
        ("x.y = 1", "line 1, column 1: attribute access (a.b) is not allowed"),
        ("x; x", "line 1, column 1: this line's value is never used; "
         "name it ('v = ...') or make it the last line"),
        ("exp = 1", "line 1, column 1: cannot assign to exp: it is the name of a function"),
        ("x = 1", "line 1, column 1: cannot assign to x: it is given as a value (x=...); "
         "choose another name"),
        ("v = x; v = 2", "line 1, column 8: v is already assigned (at line 1, column 1); "
         "choose another name"),
        ("v = u + 1\nu = 2", "line 1, column 5: u is used before it is assigned "
         "(at line 2, column 1)"),
        ("", "the expression is empty; write something like 'x*y + 1'"),
        ("# only a comment", "the expression is empty; write something like 'x*y + 1'"),
        ("x +* 2", "line 1, column 4: syntax error: invalid syntax"),
        ("(x + 1", "line 1, column 1: syntax error: '(' was never closed"),
        ("αβ + x.y", "line 1, column 6: attribute access (a.b) is not allowed"),
    ],
)  # fmt: skip
def test_error_messages(text, message):
    with pytest.raises(ExpressionError) as info:
        parse(text, x=3)
    assert str(info.value) == message
    error = info.value
    if error.line is None:
        assert error.column is None
    else:
        assert message.startswith(f"line {error.line}, column {error.column}: ")
    assert isinstance(error, ValueError)


def test_unknown_names_are_listed_in_one_error():
    with pytest.raises(ExpressionError) as info:
        parse("a*x + b*c + a", x=1)
    assert str(info.value) == (
        "line 1, column 1: no value for a, b, c: give each a number, e.g. a=3 b=3 c=3"
    )
    assert (info.value.line, info.value.column) == (1, 1)


def test_an_assigned_name_is_not_unknown():
    with pytest.raises(ExpressionError, match=r"no value for q: give each a number, e\.g\. q=3"):
        parse("v = x*2\nf = v + q", x=1)


@pytest.mark.parametrize(
    ("value", "shown"),
    [(True, "bool: True"), ("3", "str: '3'"), (None, "NoneType: None"), (2j, "complex: 2j"),
     ([1], "list: [1]"), (np.bool_(True), f"{type(np.bool_(True)).__name__}: {np.True_!r}")],
)  # fmt: skip
def test_bad_given_values_are_named(value, shown):
    with pytest.raises(ExpressionError) as info:
        parse("x + 1", x=value)
    assert str(info.value) == f"the value of x must be a number (int or float), got {shown}"


def test_function_names_cannot_be_given_values():
    with pytest.raises(ExpressionError, match="exp is the name of a function"):
        parse("x", x=1, exp=2)


def test_text_must_be_a_string():
    with pytest.raises(TypeError, match="must be a str, not bytes"):
        parse(b"x", x=1)  # type: ignore[arg-type]


def test_a_variable_may_be_called_text():
    assert parse("text * 2", text=4).output.data == 8.0


def test_error_attributes_default_to_none():
    error = ExpressionError("bad")
    assert (error.message, error.line, error.column, str(error)) == ("bad", None, None, "bad")
    assert str(ExpressionError("bad", 3)) == "line 3: bad"


# --- random expressions ----------------------------------------------------------------------

NAMES = ["a", "b", "c"]
numbers = st.one_of(
    st.integers(0, 1_000),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
)


@st.composite
def leaf_terms(draw):
    """(text, python) for a number or a name; python takes the name -> float map."""
    if draw(st.booleans()):
        name = draw(st.sampled_from(NAMES))
        return name, lambda env, name=name: env[name]
    number = draw(numbers)
    return repr(number), lambda env, number=number: np.float64(number)


def _combine(children):
    binary = st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children).map(
        lambda t: (
            f"({t[1][0]} {t[0]} {t[2][0]})",
            lambda env, op=t[0], left=t[1][1], right=t[2][1]: {
                "+": np.add,
                "-": np.subtract,
                "*": np.multiply,
                "/": np.divide,
            }[op](left(env), right(env)),
        )
    )
    negated = children.map(lambda c: (f"-{c[0]}", lambda env, f=c[1]: np.negative(f(env))))
    return binary | negated


expressions = st.recursive(leaf_terms(), _combine, max_leaves=25)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    expression=expressions,
    env=st.fixed_dictionaries(
        {n: st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False) for n in NAMES}
    ),
)
def test_random_expressions_match_float_arithmetic(expression, env):
    text, python = expression
    with np.errstate(all="ignore"):  # x/0 is ±inf or nan, as in the engine
        expected = float(python(env))
    got = parse(text, **env).output.data
    if math.isnan(expected):
        assert math.isnan(got), text
    else:
        assert got == expected, text


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    expression=expressions,
    env=st.fixed_dictionaries(
        {n: st.floats(0.5, 10, allow_nan=False, allow_infinity=False) for n in NAMES}
    ),
)
def test_random_expressions_have_the_gradients_of_the_graph_by_hand(expression, env):
    text, _ = expression
    e = parse(text, **env)
    tree = ast.parse(text, mode="eval").body
    h = leaves(**env)

    def build(node):  # the same text built by hand with Python's operators on Values
        if isinstance(node, ast.Constant):
            return float(node.value)  # numbers are floats, so -0 is -0.0 as in the language
        if isinstance(node, ast.Name):
            return h[node.id]
        if isinstance(node, ast.UnaryOp):
            return -build(node.operand)
        left, right = build(node.left), build(node.right)
        if not isinstance(left, Value) and not isinstance(right, Value):
            left = Value(float(left))
        ops = {ast.Add: "__add__", ast.Sub: "__sub__", ast.Mult: "__mul__", ast.Div: "__truediv__"}
        if isinstance(left, Value):
            return getattr(left, ops[type(node.op)])(right)
        return getattr(right, "__r" + ops[type(node.op)][2:])(left)

    by_hand = build(tree)
    if not isinstance(by_hand, Value):
        by_hand = Value(float(by_hand))
    assert [op for op, *_ in shape(e.output)] == [op for op, *_ in shape(by_hand)]
    with np.errstate(all="ignore"):
        e.output.backward()
        by_hand.backward()
    for name, leaf in e.variables.items():
        a, b = leaf.grad, h[name].grad
        assert a == b or (math.isnan(a) and math.isnan(b)), (text, name)
    assert set(e.variables) == {n for n in NAMES if n in text}


@pytest.mark.parametrize("name", [name for name, op in microgradx.OPS.items() if op.method])
def test_every_op_with_a_method_is_a_function(name):
    from op_cases import CASES, build

    case = CASES[name]
    point = case.points[0]
    names = ["a", "b", "c", "d"][: len(point)]
    extra = "" if case.arg is None else f", {case.arg!r}"
    e = parse(f"{name}({', '.join(names)}{extra})", **dict(zip(names, point)))
    expected = build(name, [Value(x, label=n) for n, x in zip(names, point)])
    assert shape(e.output) == shape(expected)


def test_names_are_matched_as_python_reads_them_nfkc():
    # Python reads the identifier ℌ as H (NFKC), so a value given as ℌ must reach it.
    expr = parse("ℌ*2 + ﬁ", **{"ℌ": 3, "ﬁ": 1})
    assert expr.output.data == 7.0 and set(expr.variables) == {"H", "fi"}
    with pytest.raises(ExpressionError, match=r"no value for H \(written ℌ; names are read"):
        parse("ℌ*2")
    with pytest.raises(ExpressionError, match="ℌ and H are the same name H"):
        parse("H*2", **{"ℌ": 3, "H": 4})


def test_the_command_line_matches_names_as_python_reads_them(capsys):
    from microgradx.cli import main

    assert main(["graph", "ℌ*2", "ℌ=3"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "output = 6"
