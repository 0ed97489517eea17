"""The tape compiler: a topological order in, a flat program of instructions out.

Slots are positions in topological order; leaves are read from ``X`` (inputs) or
from the leaf vector (parameters, then constants). Each instruction is either one
operation (:class:`Node`) or a fused layer of neurons (:class:`Linear`).

**Fusion.** A neuron ``Σ wᵢ·hᵢ + b`` (one n-ary ``sum`` of products, as ``nn``
builds it) whose weights are leaves is recognised, and all neurons that read the
same inputs ``h`` become one matrix product ``Z = H·Wᵀ + b``; an activation applied
to every one of them becomes one call on the matrix. :func:`plan_layers` then says
where each fused layer's input matrix comes from (``X`` itself, or the whole output
of an earlier layer) so the runner can skip building it column by column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..engine import Value
from ..ops import OPS, Op

__all__ = ["Instruction", "LayerPlan", "Linear", "Node", "compile_program", "plan_layers"]


@dataclass(frozen=True)
class Node:
    """One operation: ``value[out] = op(value[args]..., arg)`` (``arg`` as ``Value.arg``)."""

    out: int
    op: Op
    args: tuple[int, ...]
    arg: float | None


@dataclass(frozen=True)
class Linear:
    """Neurons reading the same inputs, as one matrix product ``H·Wᵀ + b``.

    ``weights`` (n×k) and ``bias`` (n) index the leaf vector; ``act`` is an
    activation applied to every neuron, whose results are ``act_outs``.
    """

    outs: tuple[int, ...]
    inputs: tuple[int, ...]
    weights: np.ndarray
    bias: np.ndarray | None
    act: Op | None
    act_arg: float | None
    act_outs: tuple[int, ...]
    distinct: bool  # no leaf twice among the weights, nor among the biases
    # (first index, row stride) when the weights / biases sit in the leaf vector at
    # regular steps, as a model's parameters do: read and updated as views, not copies
    w_grid: tuple[int, int] | None = None
    b_grid: tuple[int, int] | None = None

    def gather_weights(self, leaves: np.ndarray) -> np.ndarray:
        """The (n×k) weight matrix from the leaf vector (a view when on a grid)."""
        if self.w_grid is None:
            return leaves[self.weights]
        start, stride = self.w_grid
        n, k = self.weights.shape
        end = start + n * stride
        if end <= len(leaves):  # rows of ``stride`` leaves, the first k of each
            return leaves[start:end].reshape(n, stride)[:, :k]
        size = leaves.itemsize
        return as_strided(leaves[start:], (n, k), (stride * size, size))

    def gather_bias(self, leaves: np.ndarray) -> np.ndarray:
        """The n biases from the leaf vector (a view when on a grid)."""
        assert self.bias is not None
        if self.b_grid is None:
            return leaves[self.bias]
        start, stride = self.b_grid
        return leaves[start : start + stride * (len(self.bias) - 1) + 1 : stride]

    def add_weights(self, leaf_grads: np.ndarray, dW: np.ndarray) -> None:
        """``leaf_grads[weights] += dW`` (the weights are distinct)."""
        if self.w_grid is None:
            leaf_grads[self.weights] += dW
        else:
            view = self.gather_weights(leaf_grads)
            view += dW

    def add_bias(self, leaf_grads: np.ndarray, db: np.ndarray) -> None:
        """``leaf_grads[bias] += db`` (the biases are distinct)."""
        if self.b_grid is None:
            leaf_grads[self.bias] += db
        else:
            view = self.gather_bias(leaf_grads)
            view += db


Instruction = Node | Linear

_op, _arg, _children = attrgetter("op"), attrgetter("arg"), attrgetter("children")

#: A neuron found in the graph: its input slots, weight leaf indices, bias leaf index.
_Neuron = tuple[tuple[int, ...], list[int], "int | None"]


def compile_program(
    order: Sequence[Value], slot: Mapping[Value, int], leaf: Mapping[int, int]
) -> list[Instruction]:
    """The instructions computing every non-leaf node of ``order``, layers fused.

    ``slot`` maps each Value to its position in ``order``; ``leaf`` maps the slots of
    parameters and constants to their index in the leaf vector.
    """
    return _Compiler(order, slot, leaf).program()


@dataclass(frozen=True)
class LayerPlan:
    """How the runner feeds and reads the fused layers of a program.

    Attributes:
        feeds: per instruction, ``-1`` when a fused layer reads the inputs in column
            order (``X`` itself), ``j`` when it reads the whole output of fused layer
            j, else ``None`` (its input matrix is stacked column by column).
        columns: per instruction, the ``(column, slot)`` pairs of a fused layer's
            pre-activations and of its outputs that something else reads one by one.
    """

    feeds: list[int | None]
    columns: list[tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]]


def plan_layers(
    program: Sequence[Instruction],
    x_slots: tuple[int, ...],
    out: int,
    read: Sequence[int] = (),
) -> LayerPlan:
    """Plan the fused layers of ``program``; ``x_slots`` are the input slots by column.

    ``out`` and the slots in ``read`` are read one by one after the run.
    """
    produced: dict[tuple[int, ...], int] = {}
    feeds: list[int | None] = []
    for k, ins in enumerate(program):
        feed = None
        if isinstance(ins, Linear):
            if ins.inputs == x_slots:
                feed = -1
            elif ins.inputs in produced:
                feed = produced[ins.inputs]
            produced[ins.act_outs if ins.act is not None else ins.outs] = k
        feeds.append(feed)
    singly = {out, *read}
    for k, ins in enumerate(program):
        if isinstance(ins, Node):
            singly.update(ins.args)
        elif feeds[k] is None:
            singly.update(ins.inputs)
    columns: list = []
    for ins in program:
        if isinstance(ins, Node):
            columns.append(((), ()))
            continue
        z = tuple((c, s) for c, s in enumerate(ins.outs) if s in singly)
        a = tuple((c, s) for c, s in enumerate(ins.act_outs) if s in singly)
        columns.append((z, a) if ins.act is not None else ((), z))
    return LayerPlan(feeds, columns)


class _Compiler:
    """Turns a topological order into instructions, fusing layers of neurons.

    Written for speed on large graphs (an MLP's loss has a node per weight): the
    per-node work is done by C-level loops (``map``, ``Counter``, comprehensions)
    wherever it can, and only ``sum`` nodes are examined as candidate neurons.
    """

    def __init__(
        self, order: Sequence[Value], slot: Mapping[Value, int], leaf: Mapping[int, int]
    ) -> None:
        self.order, self.slot, self.leaf = order, slot, leaf
        # how many times each node is an operand (one pass in C over every edge)
        self.n_users: Counter[Value] = Counter(chain.from_iterable(map(_children, order)))

    def unary_user(self, v: Value) -> Value | None:
        """The only user of ``v``, if ``v`` is used once and by a one-operand op; else None.

        Found without a pass over the graph: in a depth-first order (the one
        :func:`~microgradx.graph.topological_order` gives), a node reached only through a
        one-operand user is finished just before that user, so the user is the next node
        in ``order``. The check below makes any other order merely miss a fusion.
        """
        if self.n_users[v] != 1:
            return None
        after = self.slot[v] + 1
        if after < len(self.order):
            user = self.order[after]
            if len(user.children) == 1 and user.children[0] is v:
                return user
        return None

    def neuron(self, v: Value) -> _Neuron | None:
        """``(inputs, weights, bias)`` slots if ``v`` is ``Σ wᵢ·hᵢ (+ b)``, else None."""
        slot, leaf = self.slot, self.leaf
        children = v.children
        bias = None
        last = children[-1]
        if not last.children and slot[last] in leaf:
            bias = leaf[slot[last]]
            children = children[:-1]
        if not children:
            return None
        # every operand a product with no extra number, used by this sum alone
        # (``map`` with attribute getters: the loops run in C, once per weight)
        if set(map(_op, children)) != {"mul"} or set(map(_arg, children)) != {None}:
            return None
        if max(map(self.n_users.__getitem__, children)) != 1:
            return None
        weights, xs = zip(*map(_children, children))
        w = list(map(leaf.get, map(slot.__getitem__, weights)))
        if None in w:  # a weight that is not a leaf (leaf holds only leaves)
            return None
        return tuple(map(slot.__getitem__, xs)), w, bias  # type: ignore[return-value]

    def program(self) -> list[Instruction]:
        neurons: dict[Value, _Neuron] = {}
        groups: dict[tuple, list[Value]] = {}
        for v in [v for v in self.order if v.op == "sum" and v.children]:
            found = self.neuron(v)
            if found is not None:
                neurons[v] = found
                groups.setdefault((found[0], found[2] is not None), []).append(v)
        first_of = {members[0]: key for key, members in groups.items()}
        skip = set(neurons)
        for v in neurons:  # the products inside fused neurons are never computed
            skip.update(v.children)
        program: list[Instruction] = []
        done: set[Value] = set()
        slot = self.slot
        for v in self.order:
            if not v.children or v in done:
                continue
            if v in first_of:
                ins = self.linear(groups[first_of[v]], neurons)
                program.append(ins)
                done.update(self.order[s] for s in ins.act_outs)
                continue
            if v in skip:
                continue
            program.append(
                Node(slot[v], OPS[v.op], tuple(map(slot.__getitem__, v.children)), v.arg)
            )
        return program

    def linear(self, members: list[Value], neurons: Mapping[Value, _Neuron]) -> Linear:
        inputs = neurons[members[0]][0]
        weights = np.array([neurons[m][1] for m in members], dtype=int)
        has_bias = neurons[members[0]][2] is not None
        bias = np.array([neurons[m][2] for m in members], dtype=int) if has_bias else None
        # one activation applied to every neuron (and nothing else using the sums)?
        act, act_arg = None, None
        act_outs: tuple[int, ...] = ()
        found = [self.unary_user(m) for m in members]
        acts = [a for a in found if a is not None]
        if len(acts) == len(members) and all(self.n_users[m] == 1 for m in members):
            first = acts[0]
            if OPS[first.op].arity == 1 and all(
                a.op == first.op and a.arg == first.arg for a in acts
            ):
                act, act_arg = OPS[first.op], first.arg
                act_outs = tuple(self.slot[a] for a in acts)
        w_grid = _grid(weights)
        b_grid = None if bias is None else _grid(bias[:, None])
        return Linear(
            outs=tuple(self.slot[m] for m in members),
            inputs=inputs,
            weights=weights,
            bias=bias,
            act=act,
            act_arg=act_arg,
            act_outs=act_outs,
            # indices on a grid are distinct; otherwise count them
            distinct=(w_grid is not None or len(np.unique(weights)) == weights.size)
            and (bias is None or b_grid is not None or len(np.unique(bias)) == len(bias)),
            w_grid=w_grid,
            b_grid=b_grid,
        )


def _grid(index: np.ndarray) -> tuple[int, int] | None:
    """``(start, stride)`` if ``index[i, j] = start + stride·i + j``, rows apart; else None."""
    n, k = index.shape
    start = int(index[0, 0])
    stride = int(index[1, 0]) - start if n > 1 else k
    if stride < k:
        return None
    regular = start + stride * np.arange(n)[:, None] + np.arange(k)[None, :]
    return (start, stride) if np.array_equal(index, regular) else None
