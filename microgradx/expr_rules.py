"""The expression language's rules: what a text may contain, checked node by node.

:func:`microgradx.parse` reads a text with Python's own parser (``ast``) and then walks
the tree against a whitelist: numbers, names, ``+ - * / **``, unary minus, calls of the
op table's functions, and ``name = expression`` lines. Anything else is an
:class:`ExpressionError` with its position and a plain message, before any of the text
is evaluated. The limits on size and nesting are here too.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any, cast

from .engine import Value
from .ops import OPS

__all__ = ["FUNCTIONS", "MAX_LENGTH", "MAX_NESTING", "MAX_NODES", "ExpressionError"]

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


def _indent(source: str) -> int:
    """How many characters of indentation ``source`` (one line) starts with."""
    return len(source) - len(source.lstrip(" \t\f"))
