"""Saving and loading models: state dicts, configs and the JSON file format.

A saved model is one JSON document (never pickle)::

    {"format": "microgradx.model", "version": 1, "class": "MLP",
     "config": {...constructor arguments...}, "state": {"layer0.neuron0.w0": 0.31, ...}}

Loading checks everything before it changes anything: a malformed or mismatched
document raises ``ValueError`` saying what is wrong, and leaves any model untouched.
The :class:`~microgradx.nn.Module` methods (``save``, ``load``, ``state_dict``, ...)
call the functions here.
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Mapping
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .module import Module

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MODEL_CLASSES",
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


def state_dict(model: Module) -> dict[str, float]:
    """Every parameter's value by name, e.g. ``{"layer0.neuron0.w0": 0.31, ...}``."""
    return {name: p.data for name, p in model.named_parameters()}


def load_state_dict(model: Module, state: Mapping[str, object]) -> None:
    """Set ``model``'s parameters from ``state`` (as made by :func:`state_dict`).

    Everything is checked first (same names, finite real numbers); on any problem a
    ``ValueError`` says what, and no parameter has changed.
    """
    if not isinstance(state, Mapping):
        raise ValueError(f"state must be a mapping of name -> number, got {type(state)}")
    named = model.named_parameters()
    expected = [name for name, _ in named]
    missing = [n for n in expected if n not in state]
    unexpected = [n for n in state if n not in set(expected)]
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
    values = []
    for name in expected:
        x = state[name]
        if isinstance(x, bool) or not isinstance(x, Real) or not math.isfinite(x):
            raise ValueError(f"parameter {name!r} must be a finite number, got {x!r}")
        values.append(float(x))
    for (_, p), x in zip(named, values):
        p.data = x


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
    """Write ``model``'s architecture and weights to ``path`` as JSON; returns the path."""
    path = Path(path)
    path.write_text(json.dumps(to_json(model), indent=1, allow_nan=False) + "\n")
    return path


def read_json(path: str | Path) -> object:
    """The JSON document in ``path``; ``ValueError`` if it is not text or not JSON."""
    try:
        text = Path(path).read_text()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text (JSON) file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from None


def from_json(cls: type[Module], doc: object, source: str = "document") -> Module:
    """A new model from a document made by :func:`to_json`, checked throughout.

    The document must hold ``cls`` or a subclass of it (``MLP`` insists on an MLP,
    ``Module`` accepts any registered model); ``source`` names it in errors.
    """
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"{source}: not a microgradx model file (format {FORMAT!r})")
    if doc.get("version") != FORMAT_VERSION:
        raise ValueError(f"{source}: unsupported version {doc.get('version')!r}")
    name = doc.get("class")
    klass = MODEL_CLASSES.get(name) if isinstance(name, str) else None
    if klass is None:
        raise ValueError(f"{source}: unknown model class {name!r}")
    if not issubclass(klass, cls):
        raise ValueError(f"{source}: holds a {name}, not a {cls.__name__}")
    config = doc.get("config")
    if not isinstance(config, dict):
        raise ValueError(f"{source}: 'config' must be an object, got {config!r:.60}")
    try:
        model = klass.from_config(config)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: invalid {name} config: {exc}") from None
    try:
        model.load_state_dict(doc.get("state"))  # type: ignore[arg-type]
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    return model


def load_weights(model: Module, path: str | Path) -> None:
    """Load weights saved in ``path`` into ``model`` (same architecture).

    Raises ``ValueError`` (and changes nothing) if the file is malformed or was saved
    from a different architecture (initialiser and seed aside).
    """
    other = from_json(type(model), read_json(path), source=str(path))
    mine = model.config()
    if other.config() != mine:
        diff = {
            k: (v, mine.get(k))
            for k, v in other.config().items()
            if mine.get(k) != v and k not in ("init", "seed")
        }
        if diff:
            raise ValueError(f"{path}: saved architecture differs: {diff}")
    model.load_state_dict(other.state_dict())
