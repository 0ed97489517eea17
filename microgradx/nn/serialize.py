"""Saving and loading models: state dicts, configs and the JSON file format.

A saved model is one JSON document (never pickle)::

    {"format": "microgradx.model", "version": 1, "class": "MLP",
     "config": {...constructor arguments...}, "state": {"layer0.neuron0.w0": 0.31, ...}}

Loading checks everything before it changes anything: a malformed or mismatched
document raises ``ValueError`` saying what is wrong (and nothing else), and leaves
any model untouched. The checks come before anything is allocated and take time
linear in the file's size: a file larger than :data:`MAX_FILE_BYTES` is refused
unread, and the number of parameters the config implies is compared with the
number the file holds (and with :data:`MAX_PARAMETERS`) before a model is built.
Saving writes a temporary file and moves it into place, so a failed save leaves
the previous file whole.
The :class:`~microgradx.nn.Module` methods (``save``, ``load``, ``state_dict``, ...)
call the functions here.
"""

from __future__ import annotations

import inspect
import json
import math
import os
import stat
from collections.abc import Mapping
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .._atomic import atomic_write

if TYPE_CHECKING:
    from .module import Module

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_FILE_BYTES",
    "MAX_PARAMETERS",
    "MODEL_CLASSES",
    "check_parameter_count",
    "config_kwargs",
    "from_json",
    "load_state_dict",
    "load_weights",
    "read_json",
    "register_model",
    "save",
    "state_dict",
    "to_json",
]

FORMAT = "microgradx.model"
FORMAT_VERSION = 1

MAX_PARAMETERS = 1_000_000
"""The most parameters a model may have (each is a Python object; set it higher to allow more)."""

MAX_FILE_BYTES = 128 * 2**20
"""The largest model file read, in bytes (enough for :data:`MAX_PARAMETERS` weights)."""

#: Model classes a file may name in its ``"class"`` field, by class name.
MODEL_CLASSES: dict[str, type[Module]] = {}

M = TypeVar("M", bound="type[Module]")


def register_model(cls: M) -> M:
    """Let saved files name ``cls`` (by its class name); returns ``cls`` (a decorator)."""
    MODEL_CLASSES[cls.__name__] = cls
    return cls


def config_kwargs(cls: type, config: Mapping[str, Any]) -> dict[str, Any]:
    """The constructor arguments of ``cls`` for ``config``.

    A model whose initialiser was a function saves ``"init": None``; when ``cls``
    takes an ``init`` argument, such a config (or one without ``init``) is built with
    zero weights, since the saved state or the caller sets them next.
    """
    kwargs = dict(config)
    if "init" in inspect.signature(cls).parameters:
        kwargs["init"] = kwargs.get("init") or "zeros"
    return kwargs


def check_parameter_count(what: str, count: int) -> int:
    """``count`` if it is within :data:`MAX_PARAMETERS`, else a ``ValueError`` about ``what``."""
    if count > MAX_PARAMETERS:
        raise ValueError(
            f"{what} would have {count:,} parameters; the limit is {MAX_PARAMETERS:,} "
            "(every parameter is a Python object, so a scalar engine suits small networks; "
            "raise microgradx.nn.serialize.MAX_PARAMETERS to allow more)"
        )
    return count


def _finite(name: str, x: object) -> float:
    """``x`` as a finite float, or a ``ValueError`` naming the parameter."""
    if not isinstance(x, bool) and isinstance(x, Real):
        try:
            number = float(x)
        except (OverflowError, ValueError, TypeError):
            number = math.nan
        if math.isfinite(number):
            return number
    raise ValueError(f"parameter {name!r} must be a finite number, got {x!r:.40}")


def state_dict(model: Module) -> dict[str, float]:
    """Every parameter's value by name, e.g. ``{"layer0.neuron0.w0": 0.31, ...}``.

    Buffers (numbers that are state but not trained, such as batch norm's running
    statistics) follow the parameters under their own names.
    """
    state = {name: p.data for name, p in model.named_parameters()}
    state.update(model.named_buffers())
    return state


def load_state_dict(model: Module, state: Mapping[str, object]) -> None:
    """Set ``model``'s parameters from ``state`` (as made by :func:`state_dict`).

    Everything is checked first (same names, finite real numbers); on any problem a
    ``ValueError`` says what, and no parameter has changed.
    """
    if not isinstance(state, Mapping):
        raise ValueError(f"state must be a mapping of name -> number, got {type(state)}")
    named = model.named_parameters()
    buffers = [name for name, _ in model.named_buffers()]
    expected = [name for name, _ in named] + buffers
    known = set(expected)  # built once: loading is linear in the number of parameters
    missing = [n for n in expected if n not in state]
    unexpected = [n for n in state if n not in known]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} (e.g. {missing[:3]})")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} (e.g. {unexpected[:3]})")
        raise ValueError(
            f"state does not match this {type(model).__name__} "
            f"({len(expected)} parameters): " + "; ".join(parts)
        )
    values = [_finite(name, state[name]) for name in expected]
    for (_, p), x in zip(named, values):
        p.data = x
    if buffers:
        model.load_buffers(dict(zip(buffers, values[len(named) :])))


def to_json(model: Module) -> dict[str, Any]:
    """The JSON document of ``model``: format, class, config and state."""
    state = state_dict(model)
    bad = [n for n, x in state.items() if not math.isfinite(x)]
    if bad:
        raise ValueError(f"cannot save non-finite parameters, e.g. {bad[:3]}")
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "class": type(model).__name__,
        "config": model.config(),
        "state": state,
    }


def save(model: Module, path: str | Path) -> Path:
    """Write ``model``'s architecture and weights to ``path`` as JSON; returns the path.

    The file is written atomically: if writing fails, the previous file is intact.
    """
    text = json.dumps(to_json(model), indent=1, allow_nan=False) + "\n"
    return atomic_write(path, text)


def read_json(path: str | Path, what: str = "model file", max_items: int | None = None) -> object:
    """The JSON document in ``path``, checked for size before it is parsed.

    ``ValueError`` if ``path`` is not a regular file (a FIFO, a device such as
    ``/dev/zero``), is larger than :data:`MAX_FILE_BYTES`, holds more than
    ``max_items`` values (default: :data:`MAX_PARAMETERS` plus room for a config),
    is not UTF-8 text, not JSON or nested too deeply; ``OSError`` if it cannot be
    read. The values are counted on the raw bytes (every ``,`` ``{`` ``[``) before a
    single Python object is built, so a hostile file of millions of tiny values
    (``[{},{},...]``) is refused using no more memory than its own size.
    (``NaN`` and ``Infinity`` are read as floats; loading refuses them as parameters.)
    """
    if max_items is None:
        max_items = MAX_PARAMETERS + 10_000
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ValueError(f"{path}: not a regular file (a FIFO, device or folder); give a {what}")
    with open(path, "rb") as file:
        data = file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes, the limit for a {what}")
    items = data.count(b",") + data.count(b"{") + data.count(b"[")
    if items > max_items:
        raise ValueError(
            f"{path}: holds about {items:,} values, more than the {max_items:,} a {what} "
            "may hold (each becomes a Python object)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text (JSON) file") from None
    del data  # the text alone while parsing
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"{path}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, an integer of thousands of digits
        raise ValueError(f"{path}: not valid JSON: {exc}") from None


def _header(
    cls: type[Module], doc: object, source: str
) -> tuple[type[Module], dict[str, Any], dict[str, Any]]:
    """The class, config and state of a model document, checked (the parameter count
    the config implies against the state and the cap, every value finite) but not built."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{source}: not a microgradx model file (format {FORMAT!r})")
    version = doc.get("version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise ValueError(f"{source}: unsupported version {version!r:.40}")
    name = doc.get("class")
    klass = MODEL_CLASSES.get(name) if isinstance(name, str) else None
    if klass is None:
        raise ValueError(f"{source}: unknown model class {name!r:.60}")
    if not issubclass(klass, cls):
        raise ValueError(f"{source}: holds a {name}, not a {cls.__name__}")
    config = doc.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"{source}: 'config' must be an object, got {config!r:.60}")
    state = doc.get("state")
    if not isinstance(state, dict):
        raise ValueError(f"{source}: 'state' must be a mapping (an object) of name -> number")
    # Before building anything: the size the config implies, against the file and the cap.
    try:
        inspect.signature(klass).bind(**config_kwargs(klass, config))  # the arguments it takes
        count = klass.count_parameters(config)
        if count is not None:
            check_parameter_count(f"this {name}", count)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: invalid {name} config: {exc}") from None
    if count is not None and count != len(state):
        raise ValueError(
            f"{source}: the config describes {count:,} parameters "
            f"but the state holds {len(state):,}"
        )
    for key, x in state.items():
        _finite(key, x)
    return klass, config, state


def from_json(cls: type[Module], doc: object, source: str = "document") -> Module:
    """A new model from a document made by :func:`to_json`, checked throughout.

    The document must hold ``cls`` or a subclass of it (``MLP`` insists on an MLP,
    ``Module`` accepts any registered model); ``source`` names it in errors.
    """
    klass, config, state = _header(cls, doc, source)
    name = klass.__name__
    try:
        model = klass.from_config(config)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{source}: invalid {name} config: {exc}") from None
    try:
        model.load_state_dict(state)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    return model


def load_weights(model: Module, path: str | Path) -> None:
    """Load weights saved in ``path`` into ``model`` (same architecture).

    Raises ``ValueError`` (and changes nothing) if the file is malformed or was saved
    from a different architecture (initialiser and seed aside). The architecture is
    compared from the file's header (class and config) before any weight is read
    into a model, and no second model is built.
    """
    source = str(path)
    _, config, state = _header(type(model), read_json(path), source)
    mine = model.config()
    keys = (set(config) | set(mine)) - {"init", "seed"}
    diff = {k: (config.get(k), mine.get(k)) for k in sorted(keys) if config.get(k) != mine.get(k)}
    if diff:
        raise ValueError(f"{path}: saved architecture differs: {diff}")
    try:
        model.load_state_dict(state)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
