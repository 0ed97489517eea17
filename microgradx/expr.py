"""A safe expression language: text -> a graph of Values.

Lecture graphs are easiest to write as text::

    >>> from microgradx import parse
    >>> e = parse("v = x*y; u = w + v; f = u*z", w=5, x=3, y=2, z=4)
    >>> e.output.data
    44.0
    >>> e.output.backward()
    >>> [leaf.grad for leaf in e.variables.values()]  # ∂f/∂x, ∂f/∂y, ∂f/∂w, ∂f/∂z
    [8.0, 12.0, 4.0, 11.0]

The language has numbers, names, ``+ - * / **``, unary ``-`` and ``+``, parentheses,
a function for every op in the table :data:`microgradx.OPS` that has a ``Value``
method, ops registered at run time included (:data:`FUNCTIONS` lists them), and lines
``name = expression`` (separated by ``;`` or newlines) that name intermediate
values. The last line is the output. Indentation means nothing (lines may be
indented, as text pasted from a slide often is), ``#`` starts a comment, and an
op's extra number may be any expression without names (``leaky_relu(x, 1/10)``).
Each operation becomes the matching :class:`~microgradx.Value` operation, so the
graph is the one you would build by hand: ``a - b`` is one ``sub`` node, ``x**2``
a ``pow`` node with exponent 2.

The text is read with :func:`ast.parse` and then walked with a whitelist: only the
constructs above are accepted, and nothing is ever passed to ``eval``, ``exec`` or
``compile``. Everything else (attribute access, indexing, strings, lambdas, calls
to other functions, ...) is an :class:`ExpressionError` that says where and why.
Limits on the text's length, bracket nesting and size keep hostile inputs cheap
to refuse; numbers are floats and all arithmetic goes through Values, so
``10**9**9`` is ``inf`` (IEEE) instead of a huge integer computation.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Mapping
from numbers import Real
from typing import cast

import numpy as np

from ._gc import paused
from .engine import Value
from .expr_rules import (
    _BINARY,
    FUNCTIONS,
    MAX_LENGTH,
    MAX_NESTING,
    MAX_NODES,
    ExpressionError,
    _check,
    _error,
    _indent,
    _names_in,
    _resolve,
)
from .ops import OPS

__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_NODES",
    "Expression",
    "ExpressionError",
    "identifier",
    "parse",
]


class Expression:
    """The graph built from an expression's text.

    Attributes:
        text: the text that was parsed.
        output: the Value of the last line.
        variables: name -> leaf Value for every given value the text uses, in
            order of first appearance (each labelled with its name).
        values: name -> Value for every name in the text: the variables and the
            intermediates named by ``name = ...`` lines (labelled with that name).
    """

    __slots__ = ("output", "text", "values", "variables")

    def __init__(
        self, text: str, output: Value, variables: dict[str, Value], values: dict[str, Value]
    ) -> None:
        self.text = text
        self.output = output
        self.variables = variables
        self.values = values

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        variables = ", ".join(f"{name}={v.data!r}" for name, v in self.variables.items())
        return f"Expression({text!r}, output={self.output.data!r}, variables: {variables or '-'})"


@paused  # building the graph of the text: no cycles to collect
def parse(text: str, /, **values: float | Value) -> Expression:
    """Build the graph of ``text`` with the given values for its names.

    Args:
        text: one expression, e.g. ``"(w + x*y)*z"``, or lines ``name = expression``
            separated by ``;`` or newlines, e.g. ``"v = x*y; u = w + v; f = u*z"``;
            the last line (an expression or an assignment) is the output.
        **values: a number (int, float, numpy real) for each name the text uses; it
            becomes a leaf ``Value`` labelled with the name. A ``Value`` is used as
            it is. Given names the text does not use are ignored.

    Returns:
        An :class:`Expression` with ``.output``, ``.variables`` and ``.values``.

    Raises:
        ExpressionError: for a syntax error, a construct outside the language, an
            unknown name, a bad value or a text beyond the limits.
    """
    if not isinstance(text, str):
        raise TypeError(f"the expression must be a str, not {type(text).__name__}")
    given = _normalised(values)
    _check_size(text)
    tree = _read(text)
    lines = re.split(r"\r\n|\r|\n", text)
    statements = _check(tree, lines)
    variables = _resolve(statements, given, lines)
    env: dict[str, float | Value] = dict(variables)
    named: dict[str, Value] = dict(variables)  # every name's Value, for lookups
    named_ids = {id(value) for value in named.values()}
    ordered: dict[str, Value] = {}  # the same, in order of first appearance
    output: float | Value = 0.0
    for statement in statements:
        expression = statement.value
        for node in _names_in(expression):  # names it uses, in order
            if node.id not in ordered and node.id in named:
                ordered[node.id] = named[node.id]
        result = _evaluate(expression, env, lines)
        if isinstance(statement, ast.Assign):
            name = cast(ast.Name, statement.targets[0]).id  # checked: one plain name
            result = _named(result, name, id(result) in named_ids)
            env[name] = named[name] = ordered[name] = result
            named_ids.add(id(result))
        output = result
    if not isinstance(output, Value):  # the text is a number, e.g. "3"
        output = Value(output)
    return Expression(text, output, variables, ordered)


# --- checks before parsing ------------------------------------------------------------


def identifier(name: str) -> str:
    """``name`` as Python reads an identifier: in NFKC form (``ℌ`` is ``H``, ``ﬁ`` is ``fi``)."""
    return unicodedata.normalize("NFKC", name)


def _normalised(values: Mapping[str, object]) -> dict[str, Value]:
    """The given values by name as the expression's names are read (NFKC, as Python does)."""
    given: dict[str, Value] = {}
    spelled: dict[str, str] = {}
    for name, value in values.items():
        key = identifier(name)
        if key in spelled:
            raise ExpressionError(
                f"{spelled[key]} and {name} are the same name {key} (Python reads names in "
                "NFKC form); give it once"
            )
        spelled[key] = name
        given[key] = _given_value(key, value)
    return given


def _given_value(name: str, value: object) -> Value:
    """The leaf for a given value: a Value as it is, a real number as a labelled leaf."""
    if name in FUNCTIONS:
        raise ExpressionError(f"{name} is the name of a function and cannot be given a value")
    if isinstance(value, Value):
        return value
    if isinstance(value, bool) or not isinstance(value, (Real, np.integer, np.floating)):
        raise ExpressionError(
            f"the value of {name} must be a number (int or float), "
            f"got {type(value).__name__}: {_short(value)}"
        )
    try:
        number = float(value)
    except (OverflowError, ValueError):
        raise ExpressionError(f"the value of {name} is too large for a float") from None
    return Value(number, label=name)


def _short(value: object) -> str:
    """The start of ``repr(value)``, for messages (never thousands of digits)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "a very long number"
    return text if len(text) <= 40 else text[:37] + "..."


def _check_size(text: str) -> None:
    """Refuse texts that are too long or too deeply bracketed, before Python reads them.

    Brackets inside comments (from ``#`` to the end of the line) do not count.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; the limit is {MAX_LENGTH:,}"
        )
    depth, line, column = 0, 1, 0
    comment = False
    for char in text:
        column += 1
        if char == "\n":
            line, column, comment = line + 1, 0, False
        elif char == "\r":
            comment = False
        elif comment:
            continue
        elif char == "#":
            comment = True
        elif char in "([{":
            depth += 1
            if depth > MAX_NESTING:
                raise ExpressionError(
                    f"brackets are nested more than {MAX_NESTING} deep; "
                    "name inner parts on their own lines (v = ...)",
                    line,
                    column,
                )
        elif char in ")]}" and depth:
            depth -= 1


def _read(text: str) -> ast.Module:
    """Python's parser, with its complaints turned into ExpressionErrors.

    Every line's indentation is removed first (it means nothing here); positions in
    the tree are then relative to the unindented lines (see :func:`_position`).
    """
    lines = re.split(r"\r\n|\r|\n", text)
    try:
        return ast.parse("\n".join(line[_indent(line) :] for line in lines), mode="exec")
    except SyntaxError as exc:
        line = exc.lineno or None
        column = max(exc.offset or 1, 1) if line else None
        if line is not None and column is not None and 0 < line <= len(lines):
            column += _indent(lines[line - 1])
        raise ExpressionError(f"syntax error: {exc.msg}", line, column) from None
    except ValueError as exc:  # e.g. a null character (before Python 3.12)
        raise ExpressionError(f"syntax error: {exc}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            "the expression is nested too deeply to read (too many operations inside "
            "one another); "
            "name inner parts on their own lines (v = ...)"
        ) from None


# --- evaluation ------------------------------------------------------------------------


def _number(value: int | float) -> float:
    """A literal as a float; an integer too large for a float is inf, as 1e400 is."""
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _evaluate(root: ast.expr, env: dict[str, float | Value], lines: list[str]) -> float | Value:
    """Build the Values of a checked expression (iteratively: no recursion on depth).

    Number literals stay floats until an operation meets them, so ``x**2`` keeps 2
    as the exponent (the node's ``arg``) and ``-3`` is the number −3, as in Python; operations
    between two numbers are made on a constant Value, never in Python arithmetic.
    """
    results: list[float | Value] = []
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if isinstance(node, ast.Constant):
            results.append(_number(cast(float, node.value)))  # checked: a real number
        elif isinstance(node, ast.Name):
            results.append(env[node.id])
        elif not ready:
            stack.append((node, True))
            if isinstance(node, ast.BinOp):
                operands: list[ast.AST] = [node.left, node.right]
            elif isinstance(node, ast.UnaryOp):
                operands = [node.operand]
            else:
                operands = list(cast(ast.Call, node).args)
            stack.extend((operand, False) for operand in reversed(operands))
        elif isinstance(node, ast.BinOp):
            right = results.pop()
            left = results.pop()
            if not isinstance(left, Value) and not isinstance(right, Value):
                left = Value(left)  # two numbers: still through a Value (IEEE, no bigints)
            results.append(_BINARY[type(node.op)](left, right))
        elif isinstance(node, ast.UnaryOp):
            operand = results.pop()
            results.append(-operand if isinstance(node.op, ast.USub) else operand)
        else:
            call = cast(ast.Call, node)  # checked: the only other construct
            count = len(call.args)
            args = results[len(results) - count :]
            del results[len(results) - count :]
            results.append(_call(call, args, lines))
    return results[0]


def _call(node: ast.Call, args: list[float | Value], lines: list[str]) -> Value:
    """Apply the op named by the call: operands first, then the op's extra number."""
    name = node.func.id  # type: ignore[attr-defined]  # checked: a Name in FUNCTIONS
    op = OPS[name]
    if op.arg_name is not None and op.arity is not None and len(args) > op.arity:
        number = args[op.arity]
        if isinstance(number, Value):
            if _names_in(node.args[op.arity]):
                raise _error(
                    f"the {op.arg_name} of {name} must be a number or an expression of "
                    f"numbers, e.g. {name}(x, 0.1) or {name}(x, 1/10)",
                    node.args[op.arity],
                    lines,
                )
            number = number.data  # a constant expression such as 1/10
        return Value.apply(op, *args[: op.arity], arg=number)
    if op.arg_name is not None:
        return Value.apply(op, *args, arg=op.arg_default)
    return Value.apply(op, *args)


def _named(result: float | Value, name: str, has_name: bool) -> Value:
    """The Value assigned to ``name``, labelled with it if it is new.

    ``v = x`` (a Value that already has a name) gives ``x`` a second name without
    changing its label; a number becomes a constant leaf labelled ``name``.
    """
    if not isinstance(result, Value):
        return Value(result, label=name)
    if not has_name:
        result.label = name
    return result
