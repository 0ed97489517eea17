"""Renamed keywords: an old name keeps working for a while, with a ``DeprecationWarning``.

``fit(engine="tape")`` is now ``fit(backend="tape")`` and ``draw(v, engine="neato")``
is ``draw(v, layout="neato")`` ("engine" is the autograd engine only). Every public
function that took an old keyword is wrapped by :func:`renamed_keywords`, or hands its
``**options`` to :func:`rename_options`; a module's renamed names (``nn.ENGINES``) go
through :func:`renamed_names`, and the command line's old flags through
:func:`renamed_flag`, all with the same :func:`renamed_message` or its wording.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

__all__ = [
    "outside_stacklevel",
    "rename_options",
    "renamed_flag",
    "renamed_keywords",
    "renamed_message",
    "renamed_names",
]

P = ParamSpec("P")
R = TypeVar("R")


def renamed_message(old: str, new: str) -> str:
    """The one sentence every renamed keyword or flag warns with."""
    return f"{old} is deprecated and will be removed; use {new} (same values)"


def outside_stacklevel() -> int:
    """The ``stacklevel`` of the first frame outside microgradx, as seen by our caller:
    the warning then points at the user's line, where Python shows it by default."""
    frame, level = sys._getframe(2), 2
    while frame.f_back is not None and _in_package(frame.f_globals.get("__name__", "")):
        frame, level = frame.f_back, level + 1
    return level


def _in_package(module: str) -> bool:
    return module == "microgradx" or module.startswith("microgradx.")


def rename_options(
    options: Mapping[str, Any], renames: Mapping[str, str], where: str
) -> dict[str, Any]:
    """``options`` with each old keyword of ``renames`` (``{old: new}``) under its new name.

    An old keyword warns with a ``DeprecationWarning`` naming the new one; both the old
    and the new keyword at once is a ``TypeError`` (which one was meant is unclear).
    """
    renamed = dict(options)
    for old, new in renames.items():
        if old not in renamed:
            continue
        if new in renamed:
            raise TypeError(
                f"{where} got both {new}= and its deprecated old name {old}=; pass only {new}="
            )
        warnings.warn(
            f"{where}: {renamed_message(f'{old}=', f'{new}=')}",
            DeprecationWarning,
            stacklevel=outside_stacklevel(),
        )
        renamed[new] = renamed.pop(old)
    return renamed


def renamed_names(module: str, renames: Mapping[str, tuple[str, Any]]) -> Callable[[str], Any]:
    """A module's ``__getattr__`` for names it renamed: ``{old: (new name, object)}``.

    ``module.OLD`` still gives the object, with a ``DeprecationWarning`` naming the new
    name; any other missing name is an ``AttributeError`` as usual.
    """

    def __getattr__(name: str) -> Any:
        if name not in renames:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        new, value = renames[name]
        warnings.warn(
            f"{module}.{name} is deprecated and will be removed; use {new}",
            DeprecationWarning,
            stacklevel=outside_stacklevel(),  # the user's line, however it was reached
        )
        return value

    return __getattr__


def renamed_keywords(**renames: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function whose keywords were renamed: ``@renamed_keywords(engine="backend")``.

    Calls with an old keyword go on under the new one, after the warning of
    :func:`rename_options`; the function's own signature shows only the new names.
    """

    def decorate(function: Callable[P, R]) -> Callable[P, R]:
        where = f"{getattr(function, '__name__', 'the function')}()"

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if not renames.keys() & kwargs.keys():
                return function(*args, **kwargs)
            return function(*args, **rename_options(kwargs, renames, where))

        return wrapper

    return decorate


def renamed_flag(command: str, new: str, old: str, values: tuple[Any, Any], default: Any) -> Any:
    """A command-line flag's value when the flag was renamed from ``old`` to ``new``.

    ``values`` is ``(value under new, value under old)``, ``None`` where not given. The
    old name still works, with a warning on stderr that names the new one; both names
    at once is a ``ValueError`` (which one was meant is unclear).
    """
    given, given_old = values
    if given_old is None:
        return default if given is None else given
    if given is not None:
        raise ValueError(f"{old} is the deprecated old name of {new}: give only {new}")
    print(f"{command}: warning: {renamed_message(old, new)}", file=sys.stderr)
    return given_old
