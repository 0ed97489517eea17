"""The ``Value`` methods made from the op table: ``x.tanh()``, ``x.max(y)``, ``x.leaky_relu(0.1)``.

Every row of :data:`microgradx.OPS` with ``method=True`` becomes a method of the
class given to :func:`install` (the engine gives it ``Value``), and the methods
follow the table: a row registered later gets its method, a row taken out with
:func:`microgradx.ops.unregister` loses it. A method reaches the engine only
through ``self`` (``self._make``, ``self.apply``), so this module sits below it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ops import OPS, Op, subscribe
from .reals import to_float

__all__ = ["TableMethods", "install"]

if TYPE_CHECKING:
    from .engine import Value

    class _TableMethodsType(type):
        # ``Value.tanh`` and the other methods made from the op table, for type checkers.
        def __getattr__(cls, name: str) -> Callable[..., Value]: ...

    class TableMethods(metaclass=_TableMethodsType):
        # ``x.tanh()`` and the other methods made from the op table, for type checkers.
        def __getattr__(self, name: str) -> Callable[..., Value]: ...

else:

    class TableMethods:
        """Marks a class whose methods :func:`install` makes from the op table."""

        __slots__ = ()


def install(cls: type) -> None:
    """Give ``cls`` a method per row with ``method=True``, now and whenever the table changes.

    A row whose name is already an attribute of ``cls`` (``backward``, ``data``) is
    refused with ``ValueError``: a row never replaces a hand-written method.
    """
    made: set[str] = set()  # names of the methods made here (the others are hand-written)

    def on_table_change(op: Op, added: bool) -> None:
        if not op.method:
            return
        if added:
            if op.name in made or hasattr(cls, op.name):
                raise ValueError(
                    f"op {op.name!r} would replace {cls.__name__}.{op.name}; choose another name"
                )
            setattr(cls, op.name, _method_for(op))
            made.add(op.name)
        elif op.name in made:
            delattr(cls, op.name)
            made.discard(op.name)

    subscribe(on_table_change)


def _method_for(op: Op) -> Callable[..., Any]:
    """``Value.<op.name>``: applies ``op`` to ``self``, further operands and its number."""
    name = op.name
    method: Callable[..., Any]
    if op.arg_name is not None:
        if op.arity != 1:
            raise ValueError(f"op {name!r}: an extra number is supported for one operand only")

        arg_name, default = op.arg_name, op.arg_default

        def with_arg(self: Value, *args: float, **named: float) -> Value:
            # the number by position, or by its name: x.leaky_relu(0.1), x.leaky_relu(slope=0.1)
            if len(args) + len(named) > 1 or set(named) - {arg_name}:
                usage = f"x.{name}({arg_name}=…)"
                raise TypeError(f"{name}() takes one number, its {arg_name}: {usage}")
            arg = args[0] if args else named.get(arg_name, default)
            if arg is None:
                raise TypeError(f"{name}() needs its {arg_name}")
            return self._make(OPS[name], (self,), to_float(arg))

        either = inspect.Parameter.POSITIONAL_OR_KEYWORD  # what help() and inspect show
        with_arg.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter("self", either),
                inspect.Parameter(arg_name, either, default=default),
            ]
        )
        method, signature = with_arg, f"({arg_name}={default!r})"
    elif op.arity == 1:

        def unary(self: Value) -> Value:
            return self._make(OPS[name], (self,))

        method, signature = unary, "()"
    else:

        def n_ary(self: Value, *others: float | Value) -> Value:
            return self.apply(OPS[name], self, *others)

        method, signature = n_ary, "(other)" if op.arity == 2 else "(*others)"
    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"x.{name}{signature}: the op {name!r} (drawn {op.symbol}). Local derivative: "
        f"{op.formula or 'see OPS[' + repr(name) + ']'}."
    )
    return method
