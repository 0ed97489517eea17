"""Readable names for the Values of one graph: what drawings, captions and tables show.

One rule decides every name a student reads, in this order:

1. the Value's ``label`` (cut with "…" past :data:`MAX_LABEL` characters); a label several
   Values share is numbered in topological
   order (``w0₁``, ``w0₂``: every neuron of an MLP has a ``w0``);
2. else the name the calling code bound it to: the first frame outside microgradx
   (a notebook cell, a script, a test) is searched, its local names first, then its
   global names, in the order they were bound; a list or tuple of Values bound to a
   name gives ``name[i]``; names starting with ``_`` are skipped;
3. else a short formula of named operands, while it stays short (at most
   :data:`MAX_FORMULA` characters): ``x·y``, ``w+x·y``, ``tanh(z)``, ``x²``;
   an unlabelled constant shows its number inside formulas (``2·x``);
4. else a generated short name: ``t1``, ``t2``, ... for results of operations and
   ``c1``, ``c2``, ... for constants, numbered in topological order, skipping any
   name already in use.

Every name is used for one Value only (a second ``x·y`` computed
elsewhere gets a generated name), so a caption never points at two boxes. Internal
ids such as ``#6`` are never shown. The result is deterministic: the same code gives
the same names.

>>> from microgradx import Value
>>> x, y, z = Value(3.0, "x"), Value(2.0, "y"), Value(4.0, "z")
>>> f = (x * y + 1) * z
>>> names = Namer(f, bound={})    # bound: names found in the calling code
>>> names(f), names(f.children[0]), names(f.children[0].children[0])
('(x·y+1)·z', 'x·y+1', 'x·y')
>>> names.term(f.children[0])     # inside math: ∂f/∂(x·y+1)
'(x·y+1)'
>>> Namer(f, bound={id(f): "f"})(f)
'f'
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from types import FrameType

from ..engine import Value
from ..graph import topological_order
from ..ops import OPS
from .formatting import format_number, printable

__all__ = ["MAX_FORMULA", "Namer", "caller_names", "display_name", "printable"]

#: Longest formula used as a name; longer ones give way to a generated name.
MAX_FORMULA = 12
#: Longest label shown; a longer one is cut with an ellipsis (the drawing stays readable).
MAX_LABEL = 40
_LIBRARY = __name__.split(".")[0]  # "microgradx"
# names and numbers bind tightest (precedence 3); infix ops say theirs in the op table
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_NESTED = ("<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>", "<lambda>")
_MAX_SEQUENCE = 256  # lists longer than this are not searched for Values


def caller_names(frame: FrameType | None = None) -> dict[int, str]:
    """Names the calling code bound Values to, as ``{id(value): name}``.

    Starts at ``frame`` (default: the caller of this function) and walks outwards
    to the first frame whose module is not part of microgradx; searches its local
    names (and, inside a comprehension or lambda, those of the enclosing code), then
    its global names. The first name found for a Value wins.
    """
    if frame is None:
        frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != _LIBRARY and not module.startswith(_LIBRARY + "."):
            break
        frame = frame.f_back
    if frame is None:
        return {}
    found: dict[int, str] = {}
    spaces = [frame.f_locals]
    # a comprehension or lambda sees its enclosing function's names too
    while frame.f_code.co_name in _NESTED and frame.f_back is not None:
        frame = frame.f_back
        spaces.append(frame.f_locals)
    if frame.f_globals is not frame.f_locals:
        spaces.append(frame.f_globals)
    for space in spaces:
        for name, obj in list(space.items()):
            if not isinstance(name, str) or name.startswith("_"):
                continue
            if isinstance(obj, Value):
                found.setdefault(id(obj), name)
            elif isinstance(obj, (list, tuple)) and 0 < len(obj) <= _MAX_SEQUENCE:
                for i, item in enumerate(obj):
                    if isinstance(item, Value):
                        found.setdefault(id(item), f"{name}[{i}]")
    return found


def _numbered(
    base: str, counts: Counter[str], used: set[str], digits: dict[int, int] | None = None
) -> str:
    """``base`` with the next number not in ``used`` (``t1``, ``t2``; ``w0₁`` with
    subscript ``digits``); the name is marked as used."""
    while True:
        counts[base] += 1
        number = str(counts[base])
        name = base + (number.translate(digits) if digits else number)
        if name not in used:
            used.add(name)
            return name


def _shown_label(label: str) -> str:
    """A label as names show it: printable, and at most :data:`MAX_LABEL` characters."""
    text = printable(label)
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


class Namer:
    """The names of every Value of one graph (see the module docstring for the rule).

    Args:
        root: the graph's output; every Value below it gets a name.
        bound: ``{id(value): name}`` from the calling code; by default
            :func:`caller_names` is asked (the first frame outside microgradx).
        order: the graph's topological order, when the caller has it already.

    Call it on a Value to get its name; :meth:`kind` says which rule gave it.
    """

    def __init__(
        self,
        root: Value,
        bound: Mapping[int, str] | None = None,
        order: Iterable[Value] | None = None,
    ) -> None:
        if bound is None:
            bound = caller_names(sys._getframe(1))
        self.order = list(order) if order is not None else topological_order(root)
        self._names: dict[Value, str] = {}
        self._kinds: dict[Value, str] = {}
        labels = Counter(_shown_label(v.label) for v in self.order if v.label)
        used = set(labels)
        repeats: Counter[str] = Counter()
        for v in self.order:  # rules 1 and 2
            if v.label:
                name = _shown_label(v.label)
                if labels[name] > 1:  # several Values share the label: number each one
                    name = _numbered(name, repeats, used, _SUBSCRIPTS)
                self._set(v, name, "label")
            elif id(v) in bound and bound[id(v)] not in used:
                used.add(bound[id(v)])
                self._set(v, bound[id(v)], "bound")
        self._formulas: dict[Value, tuple[str, int]] = {}
        self._precedence: dict[Value, int] = {}
        for v in self.order:  # rule 3, operands before results
            if v in self._names or not v.children:
                continue
            formula = self._formula(v)
            if formula is not None and len(formula[0]) <= MAX_FORMULA:
                self._formulas[v] = formula
                if formula[0] not in used:
                    used.add(formula[0])
                    self._set(v, formula[0], "formula")
                    self._precedence[v] = formula[1]
        counters: Counter[str] = Counter()
        for v in self.order:  # rule 4
            if v not in self._names:
                self._set(v, _numbered("t" if v.children else "c", counters, used), "generated")

    def _set(self, v: Value, name: str, kind: str) -> None:
        self._names[v] = name
        self._kinds[v] = kind

    def _operand(self, v: Value) -> tuple[str, int] | None:
        """An operand inside a formula: its name (precedence 3) or its own formula."""
        if v in self._names:
            return self._names[v], self._precedence.get(v, 3)
        if not v.children:  # an unlabelled constant shows its number
            text = format_number(v.data)
            return text, (3 if v.data >= 0 else 0)
        return self._formulas.get(v)

    def _formula(self, v: Value) -> tuple[str, int] | None:
        """``(text, precedence)`` of what ``v`` computes from named operands, if it can."""
        parts = [self._operand(c) for c in v.children]
        if any(p is None for p in parts):
            return None
        args = [p for p in parts if p is not None]
        op = OPS[v.op]
        arg = v.arg
        prec = op.precedence
        if prec is not None and len(args) == 2:
            left = args[0][0] if args[0][1] >= prec else f"({args[0][0]})"
            # a − (b + c) and a / (b · c) need brackets on the right at equal precedence
            right_ok = args[1][1] > prec or (args[1][1] == prec and op.name in ("add", "mul"))
            right = args[1][0] if right_ok else f"({args[1][0]})"
            return f"{left}{op.short}{right}", prec
        if op.symbol == "−" and len(args) == 1:
            inner = args[0][0] if args[0][1] >= 2 else f"({args[0][0]})"
            return f"−{inner}", 2
        if arg is not None and len(args) == 1 and op.arg_symbol == "^{arg}":
            base = args[0][0] if args[0][1] >= 3 else f"({args[0][0]})"
            exponent = format_number(arg)
            if exponent.lstrip("-").isdigit():
                return f"{base}{exponent.translate(_SUPERSCRIPTS)}", 3
            return f"{base}^{exponent}", 3
        return f"{op.symbol}({', '.join(a[0] for a in args)})", 3

    def __call__(self, v: Value) -> str:
        """The name of ``v`` (a Value of this graph)."""
        try:
            return self._names[v]
        except KeyError:
            raise KeyError(f"{v!r} is not part of this graph") from None

    def term(self, v: Value) -> str:
        """The name of ``v`` ready to sit inside math: ``(w+x·y)`` for a formula name.

        ``∂f/∂(x·y)`` and ``(w+x·y) × z`` read unambiguously where ``∂f/∂x·y`` would not;
        a name that is itself a derivative is wrapped too: ``∂(∂f/∂x)/∂y``.
        """
        name = self(v)
        if self._precedence.get(v, 3) < 3 or ("/" in name and not name.startswith("(")):
            return f"({name})"
        return name

    def operand(self, v: Value) -> str:
        """How ``v`` reads as an operand in a formula: its term, or a constant's number."""
        if self._kinds.get(v) == "generated" and not v.children:
            text = format_number(v.data)
            return text if v.data >= 0 else f"({text})"
        return self.term(v)

    def kind(self, v: Value) -> str:
        """Which rule named ``v``: ``"label"``, ``"bound"``, ``"formula"`` or ``"generated"``."""
        return self._kinds[v]

    def is_given(self, v: Value) -> bool:
        """True when the name comes from the user (a label or a bound name)."""
        return self._kinds[v] in ("label", "bound")


def display_name(node: Value, root: Value | None = None) -> str:
    """The name a drawing shows for ``node`` in the graph of ``root`` (default ``node``).

    Uses the rule of :mod:`microgradx.viz.names` with the names bound in the calling
    code, e.g. after ``v = x * y``, ``display_name(v)`` is ``"v"``.
    """
    return Namer(root if root is not None else node, caller_names(sys._getframe(1)))(node)
