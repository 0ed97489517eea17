"""Copies and pickles of Values: ``copy.copy``, ``copy.deepcopy`` and ``pickle``.

:class:`Copyable` is mixed into :class:`microgradx.Value`. It knows the class only as
``type(self)`` and a node's fields only as the slots of that class, so it sits below
the engine and never imports it:

* ``copy.copy(v)``: a new node with every field of ``v``, sharing its operands;
* ``copy.deepcopy(v)``: a copy of the whole graph below ``v``, made without
  recursion (any depth), with shared operands still shared;
* ``pickle``: a leaf (an input, a parameter, a constant) pickles; a node with
  operands is refused with a message that says what to do instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from .graph import topological_order

__all__ = ["Copyable"]

_Node = TypeVar("_Node", bound="Copyable")

_allocate = object.__new__  # a node with no field set yet


class Copyable:
    """``__copy__``, ``__deepcopy__`` and ``__reduce_ex__`` for a slotted node class.

    The class that mixes it in has the fields ``data``, ``grad``, ``label``, ``op``,
    ``children``, ``arg``, ``scope`` and ``is_param`` (as :class:`microgradx.Value`).
    """

    __slots__ = ()

    if TYPE_CHECKING:  # the fields of the class that mixes this in
        data: float
        grad: float
        label: str
        op: str
        children: tuple[Any, ...]
        arg: float | None
        scope: str
        is_param: bool
        _tags: str | tuple[str, bool]

    def __copy__(self: _Node) -> _Node:
        """A new node with the same fields, sharing the operands (a shallow copy)."""
        return _renewed(self, self.children)

    def __deepcopy__(self: _Node, memo: dict[int, Any]) -> _Node:
        """A copy of the whole graph below this Value, made without recursion.

        Nodes are copied leaves first (topological order), so each node's operands
        are copied before it; a node reached twice is copied once (``memo``), so
        shared operands stay shared, at any depth.
        """
        root: Any = self  # a Value (graph.py reads Values)
        for node in topological_order(root):
            if id(node) in memo:
                continue
            memo[id(node)] = _renewed(node, tuple(memo[id(c)] for c in node.children))
        copied: _Node = memo[id(self)]
        return copied

    def __reduce_ex__(self, protocol: object) -> tuple:
        """Pickle a leaf (an input, a parameter, a constant); refuse a graph.

        Leaves carry no references, so inputs and parameters pickle. A node
        with operands is refused: pickling follows operands recursively, so a deep
        graph would exceed the recursion limit, and flattening it would lose which
        nodes separately pickled results share. Use ``copy.deepcopy`` for a copy,
        and ``model.save`` (JSON) to store a model.
        """
        if self.children:
            raise TypeError(
                f"cannot pickle a Value made by {self.op!r} together with its graph; "
                "pickle numbers (v.data) or leaves, copy graphs with copy.deepcopy, "
                "and save models with model.save(path)"
            )
        fields = (self.data, self.grad, self.label, self.op, self.arg, self.scope, self.is_param)
        return (_leaf_from_fields, (type(self), *fields))


_SLOTS: dict[type, tuple[str, ...]] = {}


def _slots(cls: type) -> tuple[str, ...]:
    """Every slot of ``cls`` and of its bases: the fields a copy takes over."""
    if cls not in _SLOTS:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            slots = klass.__dict__.get("__slots__", ())
            names += [slots] if isinstance(slots, str) else list(slots)
        _SLOTS[cls] = tuple(n for n in names if n not in ("__dict__", "__weakref__"))
    return _SLOTS[cls]


def _renewed(node: _Node, children: tuple[Any, ...]) -> _Node:
    """A new node of ``node``'s class with all its fields, but ``children`` as operands."""
    new = _allocate(type(node))
    for name in _slots(type(node)):
        value = getattr(node, name, _UNSET)  # a subclass's slot may never have been set
        if value is not _UNSET:
            setattr(new, name, value)
    if hasattr(node, "__dict__"):  # a subclass without __slots__ keeps its fields there
        new.__dict__.update(node.__dict__)
    new.children = children
    return new


_UNSET = object()


def _leaf_from_fields(
    cls: type[_Node],
    data: float,
    grad: float,
    label: str,
    op: str,
    arg: float | None,
    scope: str,
    is_param: bool,
) -> _Node:
    """A leaf rebuilt from its fields (the inverse of ``Copyable.__reduce_ex__``)."""
    node = _allocate(cls)
    node.data, node.grad, node.label, node.op = float(data), float(grad), str(label), str(op)
    node.children, node.arg = (), arg
    node._tags = str(scope)  # a scope and no parameter yet (see Value.__slots__)
    node.is_param = bool(is_param)
    return node
