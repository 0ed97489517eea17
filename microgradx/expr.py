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
import operator
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Real
from typing import Any, cast

import numpy as np

from ._gc import paused
from .engine import Value
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

MAX_LENGTH = 10_000
"""The longest text accepted, in characters."""

MAX_NESTING = 100
"""The deepest nesting of brackets accepted."""

MAX_NODES = 5_000
"""The most numbers, names, operations and lines accepted in one text."""


class _Functions(Sequence[str]):
    """The names of the functions an expression may call: every op with a method.

    A live view of :data:`microgradx.OPS`, so ops registered at run time are
    callable in expressions at once.
    """

    def _names(self) -> list[str]:
        return [name for name, op in OPS.items() if op.method]

    def __getitem__(self, i):  # type: ignore[override]
        return self._names()[i]

    def __len__(self) -> int:
        return len(self._names())

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __contains__(self, name: object) -> bool:
        op = OPS.get(name) if isinstance(name, str) else None
        return op is not None and op.method

    def __repr__(self) -> str:
        return repr(tuple(self._names()))


FUNCTIONS: Sequence[str] = _Functions()
"""The functions an expression may call (a live view of the op table)."""


def _arguments(name: str) -> tuple[int, int]:
    """The fewest and most arguments the function ``name`` takes."""
    op = OPS[name]
    if op.arity is None:
        return 1, MAX_NODES
    if op.arg_name is None:
        return op.arity, op.arity
    return op.arity + (op.arg_default is None), op.arity + 1


_BINARY: dict[type, Callable[[Any, Any], Value]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}

_OPERATOR_SYMBOLS = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.Invert: "~",
    ast.Not: "not",
}

# Plain words for the constructs that are refused, by AST node type name.
_REFUSED = {
    "Attribute": "attribute access (a.b) is not allowed",
    "Subscript": "indexing (a[...]) is not allowed",
    "Lambda": "lambda functions are not allowed",
    "ListComp": "comprehensions are not allowed",
    "SetComp": "comprehensions are not allowed",
    "DictComp": "comprehensions are not allowed",
    "GeneratorExp": "comprehensions are not allowed",
    "List": "lists are not allowed",
    "Tuple": "tuples (values separated by commas) are not allowed",
    "Set": "sets are not allowed",
    "Dict": "dictionaries are not allowed",
    "Compare": "comparisons (<, ==, ...) are not allowed",
    "BoolOp": "'and' and 'or' are not allowed",
    "IfExp": "'if ... else' expressions are not allowed",
    "NamedExpr": "':=' is not allowed; write 'name = expression' on its own line",
    "Starred": "'*' unpacking is not allowed",
    "JoinedStr": "strings are not allowed; use numbers and names",
    "FormattedValue": "strings are not allowed; use numbers and names",
    "Await": "'await' is not allowed",
    "Yield": "'yield' is not allowed",
    "YieldFrom": "'yield' is not allowed",
    "Slice": "slices are not allowed",
    # statements
    "AugAssign": "augmented assignment (x += ...) is not allowed; write 'x2 = x + ...'",
    "AnnAssign": "type annotations are not allowed; write 'name = expression'",
    "Import": "imports are not allowed",
    "ImportFrom": "imports are not allowed",
    "FunctionDef": "function definitions are not allowed",
    "AsyncFunctionDef": "function definitions are not allowed",
    "ClassDef": "class definitions are not allowed",
    "Delete": "'del' is not allowed",
}

_STATEMENT_HINT = "each line must be an expression or 'name = expression'"


class ExpressionError(ValueError):
    """An expression that cannot be read: bad syntax, a refused construct, a limit.

    Attributes:
        message: what is wrong, in plain words.
        line: the line (from 1) where the problem is, or ``None``.
        column: the column (from 1) where the problem is, or ``None``.

    ``str(error)`` puts the position first: ``line 1, column 2: attribute access
    (a.b) is not allowed``.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        if line is not None and column is not None:
            text = f"line {line}, column {column}: {message}"
        elif line is not None:
            text = f"line {line}: {message}"
        else:
            text = message
        super().__init__(text)


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


def _indent(source: str) -> int:
    """How many characters of indentation ``source`` (one line) starts with."""
    return len(source) - len(source.lstrip(" \t\f"))


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


# --- the whitelist ----------------------------------------------------------------------


def _position(node: ast.AST, lines: list[str]) -> tuple[int | None, int | None]:
    """(line, column) of ``node``, both counted from 1, the column in characters."""
    line = getattr(node, "lineno", None)
    offset = getattr(node, "col_offset", None)
    if line is None or offset is None:
        return line, None
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = _indent(source)  # removed before parsing (see _read)
    # ast counts columns in UTF-8 bytes; count characters instead.
    column = len(source[indent:].encode("utf-8")[:offset].decode("utf-8", errors="ignore"))
    return line, indent + column + 1


def _as_written(name: str, node: ast.AST, lines: list[str]) -> str:
    """``name``, and how the text spells it when Python read it otherwise (``H (written ℌ)``)."""
    try:
        written = ast.get_source_segment("\n".join(lines), node) or name
    except (AttributeError, IndexError, TypeError):
        written = name
    return name if written == name else f"{name} (written {written}; names are read in NFKC form)"


def _error(message: str, node: ast.AST, lines: list[str]) -> ExpressionError:
    return ExpressionError(message, *_position(node, lines))


def _check(tree: ast.Module, lines: list[str]) -> list[ast.Assign | ast.Expr]:
    """Walk the whole tree and refuse anything outside the language; return its lines."""
    size = sum(1 for node in ast.walk(tree) if isinstance(node, (ast.expr, ast.stmt)))
    if size > MAX_NODES:
        raise ExpressionError(
            f"the expression is too large: {size:,} numbers, names and operations; "
            f"the limit is {MAX_NODES:,}"
        )
    body = tree.body
    if not body:
        raise ExpressionError("the expression is empty; write something like 'x*y + 1'")
    for i, statement in enumerate(body):
        if isinstance(statement, ast.Assign):
            _check_target(statement, lines)
        elif not isinstance(statement, ast.Expr):
            kind = type(statement).__name__
            message = _REFUSED.get(kind) or f"'{_keyword(kind)}' statements are not allowed"
            raise _error(f"{message}; {_STATEMENT_HINT}", statement, lines)
        _check_expression(statement.value, lines)
        if isinstance(statement, ast.Expr) and i < len(body) - 1:
            raise _error(
                "this line's value is never used; name it ('v = ...') or make it the last line",
                statement,
                lines,
            )
    return body  # type: ignore[return-value]  # checked above: only Assign and Expr


def _keyword(kind: str) -> str:
    """``"AsyncWith"`` -> ``"async with"``: a statement's keyword, for messages."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()


def _check_target(statement: ast.Assign, lines: list[str]) -> None:
    if len(statement.targets) != 1:
        raise _error(
            "chained assignment (a = b = ...) is not allowed; assign one name per line",
            statement.targets[1],
            lines,
        )
    target = statement.targets[0]
    if isinstance(target, ast.Name):
        _check_name(target, lines)
        if target.id in FUNCTIONS:
            raise _error(
                f"cannot assign to {target.id}: it is the name of a function", target, lines
            )
        return
    if isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
        raise _error("assign one name at a time ('v = expression')", target, lines)
    kind = type(target).__name__
    raise _error(_REFUSED.get(kind, "you can only assign to a name"), target, lines)


def _check_name(node: ast.Name, lines: list[str]) -> None:
    if node.id.startswith("__"):
        raise _error(f"names that start with '__' (like {node.id}) are not allowed", node, lines)


def _check_expression(root: ast.expr, lines: list[str]) -> None:
    """Refuse the first construct outside the language, in reading order."""
    stack: list[ast.AST] = [root]
    while stack:
        node = stack.pop()
        children: list[ast.AST] = []
        if isinstance(node, ast.Constant):
            _check_number(node, lines)
        elif isinstance(node, ast.Name):
            _check_name(node, lines)
            if node.id in FUNCTIONS:
                raise _error(f"{node.id} is a function; call it like {node.id}(x)", node, lines)
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
                raise _error(f"the operator {symbol} is not allowed; use + - * / **", node, lines)
            children = [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
                raise _error(f"the operator {symbol} is not allowed", node, lines)
            children = [node.operand]
        elif isinstance(node, ast.Call):
            children = _check_call(node, lines)
        else:
            kind = type(node).__name__
            raise _error(_REFUSED.get(kind, f"{kind} is not allowed"), node, lines)
        stack.extend(reversed(children))


def _check_number(node: ast.Constant, lines: list[str]) -> None:
    value = node.value
    if isinstance(value, bool) or value is None:
        raise _error(f"{value} is not a number", node, lines)
    if isinstance(value, (str, bytes)):
        raise _error("strings are not allowed; use numbers and names", node, lines)
    if isinstance(value, complex):
        raise _error("complex numbers are not allowed", node, lines)
    if not isinstance(value, (int, float)):
        raise _error(f"{value!r:.20} is not a number", node, lines)


def _check_call(node: ast.Call, lines: list[str]) -> list[ast.AST]:
    """Check a call's function and its arguments; return the nodes left to check."""
    func = node.func
    if isinstance(func, (ast.Call, ast.BinOp, ast.UnaryOp, ast.Constant)):
        raise _error(f"only functions can be called, by name: {', '.join(FUNCTIONS)}", func, lines)
    if not isinstance(func, ast.Name):
        return [func]  # a.b(), x[0](), (lambda: 0)(), ...: checking it gives the error
    _check_name(func, lines)
    if func.id not in FUNCTIONS:
        raise _error(
            f"{func.id}() is not a function you can call here; "
            f"the functions are {', '.join(FUNCTIONS)}",
            func,
            lines,
        )
    if node.keywords:
        raise _error(
            f"keyword arguments are not allowed; write {func.id}(x, ...) with plain values",
            node.keywords[0],
            lines,
        )
    fewest, most = _arguments(func.id)
    if not fewest <= len(node.args) <= most:
        if fewest == most:
            wanted = f"{fewest} argument{'s' if fewest > 1 else ''}"
        else:
            wanted = f"{fewest} or {most} arguments"
        raise _error(f"{func.id} takes {wanted}, got {len(node.args)}", node, lines)
    return list(node.args)


def _names_in(root: ast.expr) -> list[ast.Name]:
    """The names an (already checked) expression uses, in reading order."""
    names: list[ast.Name] = []
    stack: list[ast.AST] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            names.append(node)
        elif isinstance(node, ast.BinOp):
            stack += [node.right, node.left]
        elif isinstance(node, ast.UnaryOp):
            stack.append(node.operand)
        elif isinstance(node, ast.Call):
            stack.extend(reversed(node.args))
    return names


def _resolve(
    statements: list[ast.Assign | ast.Expr], given: dict[str, Value], lines: list[str]
) -> dict[str, Value]:
    """Check every name has a value when it is used; return the variables in order."""
    assigned_at = {  # name -> where it is assigned; the first assignment wins (reversed)
        cast(ast.Name, s.targets[0]).id: "line {}, column {}".format(
            *_position(s.targets[0], lines)
        )
        for s in reversed(statements)
        if isinstance(s, ast.Assign)
    }
    variables: dict[str, Value] = {}
    assigned: set[str] = set()
    missing: dict[str, ast.Name] = {}
    for statement in statements:
        for node in _names_in(statement.value):
            name = node.id
            if name in given:
                variables.setdefault(name, given[name])
            elif name in assigned:
                continue
            elif name in assigned_at:
                raise _error(
                    f"{name} is used before it is assigned (at {assigned_at[name]})",
                    node,
                    lines,
                )
            else:
                missing.setdefault(name, node)
        if isinstance(statement, ast.Assign):
            target = cast(ast.Name, statement.targets[0])  # checked: one plain name
            name = target.id
            if name in given:
                raise _error(
                    f"cannot assign to {name}: it is given as a value ({name}=...); "
                    "choose another name",
                    target,
                    lines,
                )
            if name in assigned:
                raise _error(
                    f"{name} is already assigned (at {assigned_at[name]}); choose another name",
                    target,
                    lines,
                )
            assigned.add(name)
    if missing:
        names = list(missing)
        listed = ", ".join(_as_written(name, missing[name], lines) for name in names)
        example = " ".join(f"{name}=3" for name in names[:3])
        first = missing[names[0]]
        raise _error(f"no value for {listed}: give each a number, e.g. {example}", first, lines)
    return variables


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
