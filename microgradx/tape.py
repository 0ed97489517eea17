"""The compiled tape: trace a scalar graph once, replay it fast over numpy batches.

A scalar graph is the best way to *see* backpropagation, but rebuilding tens of
thousands of Python objects per training step is slow. :func:`compile` walks the
graph once and records it as a flat program (a *tape*): one instruction per
operation, with the positions ("slots") of its operands. Replaying the tape on a
batch ``X`` of shape ``(batch, n_inputs)`` evaluates every node as a numpy array
over the batch, then runs the same chain rule backwards::

    forward:   value[node] = op.np_f(value[operand], ...)
    backward:  grad[operand] += op.np_df(value[node], ...)[i] * grad[node]

The numpy forms come from the op table (:mod:`microgradx.ops`), so a new op needs
nothing here. ``max``, ``relu`` and friends are evaluated per row, so a graph whose
branches depend on the data stays exact.

**Fusion.** A neuron ``Σ wᵢ·hᵢ + b`` (one n-ary ``sum`` of products, as ``nn``
builds it) whose weights are leaves is recognised, and all neurons that read the
same inputs ``h`` are executed as one matrix product ``Z = H·Wᵀ + b``; an
activation applied to every one of them becomes one call on the matrix. Backward
uses ``∂J/∂W = dZᵀ·H``, ``∂J/∂b = Σ_rows dZ`` and ``∂J/∂H = dZ·W``. The scalar
graph, its drawing and its gradients are unchanged: only execution differs.

Example::

    >>> import numpy as np
    >>> from microgradx import Value, compile
    >>> x, w = Value(0.0, "x"), Value(2.0, "w")
    >>> tape = compile((w * x).tanh(), inputs=[x], params=[w])
    >>> tape.run_batch(np.array([[0.0], [0.5]])).round(4).tolist()
    [0.0, 0.7616]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .engine import Value
from .graph import topological_order
from .ops import OPS, Op

__all__ = ["Tape", "TapeGrads", "compile"]


@dataclass(frozen=True)
class TapeGrads:
    """Gradients from :meth:`Tape.grad_batch`.

    Attributes:
        output: the output for every row, shape ``(batch,)``.
        inputs: ∂output/∂input for every row, shape ``(batch, n_inputs)``.
        params: ∂output/∂param reduced over the rows (mean or sum), shape ``(n_params,)``.
    """

    output: np.ndarray
    inputs: np.ndarray
    params: np.ndarray


# Instructions. Slots are positions in topological order; leaves are read from
# ``X`` (inputs) or from the leaf vector (parameters, then constants).


@dataclass(frozen=True)
class _Node:
    """One operation: ``value[out] = op(value[args]..., param)``."""

    out: int
    op: Op
    args: tuple[int, ...]
    param: float | None


@dataclass(frozen=True)
class _Linear:
    """Neurons reading the same inputs, as one matrix product ``H·Wᵀ + b``.

    ``weights`` (n×k) and ``bias`` (n) index the leaf vector; ``act`` is an
    activation applied to every neuron, whose results are ``act_outs``.
    """

    outs: tuple[int, ...]
    inputs: tuple[int, ...]
    weights: np.ndarray
    bias: np.ndarray | None
    act: Op | None
    act_param: float | None
    act_outs: tuple[int, ...]
    distinct: bool  # no leaf twice among the weights, nor among the biases


def compile(  # noqa: A001 - the tape's verb, as in "compile the graph"
    output: Value, inputs: Sequence[Value], params: Sequence[Value] = ()
) -> Tape:
    """Trace ``output``'s graph once into a :class:`Tape`.

    Args:
        output: the Value to compute (e.g. a sample's loss).
        inputs: leaf Values fed from the columns of ``X`` at run time, in order.
        params: leaf Values whose current ``.data`` is read at every call (so an
            optimizer can change them between calls) and whose gradients are
            returned. Every other leaf is a constant, frozen at compile time.
    """
    return Tape(output, inputs, params)


class Tape:
    """A graph recorded as a flat program; see the module docstring."""

    def __init__(self, output: Value, inputs: Sequence[Value], params: Sequence[Value] = ()):
        if not isinstance(output, Value):
            raise TypeError(f"compile() needs a Value as output, got {type(output).__name__}")
        inputs, params = _leaf_list("inputs", inputs), _leaf_list("params", params)
        both = {id(v) for v in inputs} & {id(v) for v in params}
        if both:
            raise ValueError("a Value cannot be both an input and a parameter")
        order = topological_order(output)
        slot = {v: i for i, v in enumerate(order)}
        missing = [v for v in (*inputs, *params) if v not in slot]
        if missing:
            names = ", ".join(v.label or repr(v) for v in missing)
            hint = " (was the graph built under no_grad()?)" if not output.children else ""
            raise ValueError(f"not in the output's graph: {names}{hint}")
        self.inputs, self.params = list(inputs), list(params)
        self.n_inputs, self.n_params = len(inputs), len(params)
        self.size = len(order)
        self._out = slot[output]
        self._input_col = {slot[v]: j for j, v in enumerate(inputs)}
        named = set(inputs) | set(params)
        constants = [v for v in order if not v.children and v not in named]
        # leaf vector: parameters first (read at call time), then constants (frozen)
        self._leaf = {slot[v]: i for i, v in enumerate([*params, *constants])}
        self._constants = np.array([v.data for v in constants], dtype=float)
        self._program = _Compiler(order, slot, self._leaf).program()
        self._needs_grad = self._grad_slots(order, slot)
        # leaves read one by one (by unfused operations); fused layers index the leaf vector
        used = set()
        for ins in self._program:
            used.update(ins.args if isinstance(ins, _Node) else ins.inputs)
        self._loose = {s: i for s, i in self._leaf.items() if s in used}
        self._plan_layers()

    def _plan_layers(self) -> None:
        """Where each fused layer's input matrix comes from, and which columns to keep.

        ``_feeds[k]`` is ``-1`` when layer k reads the inputs in column order (``X``
        itself), ``j`` when it reads the whole output of fused layer j, else None.
        ``_columns[k]`` lists the (column, slot) pairs of its pre-activations and
        outputs that something else reads one by one.
        """
        x_slots = tuple(sorted(self._input_col, key=self._input_col.get))
        produced: dict[tuple[int, ...], int] = {}
        self._feeds: list[int | None] = []
        read_whole: set[int] = set()
        for k, ins in enumerate(self._program):
            feed = None
            if isinstance(ins, _Linear):
                if ins.inputs == x_slots:
                    feed = -1
                elif ins.inputs in produced:
                    feed = produced[ins.inputs]
                    read_whole.add(k)
                produced[ins.act_outs if ins.act is not None else ins.outs] = k
            self._feeds.append(feed)
        singly = {self._out}
        for k, ins in enumerate(self._program):
            if isinstance(ins, _Node):
                singly.update(ins.args)
            elif self._feeds[k] is None:
                singly.update(ins.inputs)
        self._columns: list[tuple] = []
        for ins in self._program:
            if isinstance(ins, _Node):
                self._columns.append(((), ()))
                continue
            z = [(c, s) for c, s in enumerate(ins.outs) if s in singly]
            a = [(c, s) for c, s in enumerate(ins.act_outs) if s in singly]
            self._columns.append((tuple(z), tuple(a)) if ins.act is not None else ((), tuple(z)))

    def _grad_slots(self, order: list[Value], slot) -> set[int]:
        """Slots whose gradient matters: those depending on an input or a parameter."""
        needs = {slot[v] for v in (*self.inputs, *self.params)}
        for v in order:
            if any(slot[c] in needs for c in v.children):
                needs.add(slot[v])
        return needs

    def __repr__(self) -> str:
        fused = sum(isinstance(i, _Linear) for i in self._program)
        return (
            f"<Tape: {self.size} nodes, {len(self._program)} instructions "
            f"({fused} fused layers), {self.n_inputs} inputs, {self.n_params} params>"
        )

    # --- running ---------------------------------------------------------------------------

    def _check(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(
                f"X must have shape (batch, {self.n_inputs}): one column per input; "
                f"got shape {X.shape}"
            )
        return X

    def _leaves(self) -> np.ndarray:
        params = np.array([p.data for p in self.params], dtype=float)
        return np.concatenate([params, self._constants])

    def _forward(self, X: np.ndarray):
        leaves = self._leaves()
        values: dict[int, object] = {}
        for slot, j in self._input_col.items():
            values[slot] = X[:, j]
        for slot, i in self._loose.items():
            values[slot] = float(leaves[i])
        saved: dict[int, tuple] = {}  # per fused layer: H, W, Z, A
        with np.errstate(all="ignore"):
            for k, ins in enumerate(self._program):
                if isinstance(ins, _Node):
                    args = [values[a] for a in ins.args]
                    if ins.param is not None:
                        args.append(ins.param)
                    values[ins.out] = ins.op.np_f(*args)
                    continue
                feed = self._feeds[k]
                if feed is None:
                    H = np.column_stack([np.broadcast_to(values[s], len(X)) for s in ins.inputs])
                else:
                    H = X if feed == -1 else saved[feed][3]
                W = leaves[ins.weights]
                Z = H @ W.T
                if ins.bias is not None:
                    Z += leaves[ins.bias]
                A = Z
                if ins.act is not None:
                    extra = () if ins.act_param is None else (ins.act_param,)
                    A = ins.act.np_f(Z, *extra)
                z_cols, a_cols = self._columns[k]
                for col, s in z_cols:
                    values[s] = Z[:, col]
                for col, s in a_cols:
                    values[s] = A[:, col]
                saved[k] = (H, W, Z, A)
        return values, leaves, saved

    def run_batch(self, X) -> np.ndarray:
        """The output for every row of ``X`` (shape ``(batch, n_inputs)``)."""
        X = self._check(X)
        values = self._forward(X)[0]
        return np.broadcast_to(np.asarray(values[self._out], dtype=float), (len(X),)).copy()

    def __call__(self, values: Sequence[float]) -> float:
        """The output at one point: ``values`` holds one number per input."""
        return float(self.run_batch(np.asarray(values, dtype=float).reshape(1, -1))[0])

    def grad(self, values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Gradients at one point: ``(∂out/∂inputs, ∂out/∂params)``."""
        g = self.grad_batch(np.asarray(values, dtype=float).reshape(1, -1), reduce="sum")
        return g.inputs[0], g.params

    def grad_batch(self, X, reduce: str = "mean") -> TapeGrads:
        """Forward and backward over a batch.

        Input gradients are per row; parameter gradients are reduced over the rows
        with ``reduce="mean"`` (the average gradient) or ``"sum"``.
        """
        if reduce not in ("mean", "sum"):
            raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
        X = self._check(X)
        B = len(X)
        values, leaves, saved = self._forward(X)
        needs = self._needs_grad
        grads: dict[int, object] = {self._out: np.ones(B)}
        block_grads: dict[int, np.ndarray] = {}  # ∂out/∂(a fused layer's output matrix)
        leaf_grads = np.zeros(len(leaves))
        dX = np.zeros((B, self.n_inputs))
        with np.errstate(all="ignore"):
            for k in range(len(self._program) - 1, -1, -1):
                ins = self._program[k]
                if isinstance(ins, _Node):
                    upstream = grads.pop(ins.out, None)
                    if upstream is None:
                        continue
                    args = [values[a] for a in ins.args]
                    if ins.param is not None:
                        args.append(ins.param)
                    locals_ = ins.op.np_df(values[ins.out], *args)
                    for a, local in zip(ins.args, locals_):
                        if a in needs:
                            _accumulate(grads, a, local * upstream)
                    continue
                H, W, Z, A = saved.pop(k)
                z_cols, a_cols = self._columns[k]
                shape = (B, len(ins.outs))
                dA = _add_columns(block_grads.pop(k, None), a_cols, grads, shape)
                if dA is None:  # nothing downstream needs this layer
                    continue
                if ins.act is None:
                    dZ = dA
                else:
                    args = (Z,) if ins.act_param is None else (Z, ins.act_param)
                    dZ = dA * ins.act.np_df(A, *args)[0]
                    dZ = _add_columns(dZ, z_cols, grads, shape)  # pre-activations used elsewhere
                if ins.distinct:
                    leaf_grads[ins.weights] += dZ.T @ H
                    if ins.bias is not None:
                        leaf_grads[ins.bias] += dZ.sum(axis=0)
                else:  # a weight used twice collects both gradients
                    np.add.at(leaf_grads, ins.weights, dZ.T @ H)
                    if ins.bias is not None:
                        np.add.at(leaf_grads, ins.bias, dZ.sum(axis=0))
                dH = dZ @ W
                feed = self._feeds[k]
                if feed == -1:
                    dX += dH
                elif feed is not None:
                    before = block_grads.get(feed)
                    block_grads[feed] = dH if before is None else before + dH
                else:
                    for col, s in enumerate(ins.inputs):
                        if s in needs:
                            _accumulate(grads, s, dH[:, col])
        input_grads = dX
        for slot, j in self._input_col.items():
            if slot in grads:
                input_grads[:, j] += grads[slot]
        for slot, i in self._loose.items():
            if i < self.n_params and slot in grads:
                leaf_grads[i] += np.sum(grads[slot])
        params = leaf_grads[: self.n_params]
        if reduce == "mean":
            params = params / B
        out = np.broadcast_to(np.asarray(values[self._out], dtype=float), (B,)).copy()
        return TapeGrads(output=out, inputs=input_grads, params=params)


def _leaf_list(name: str, items: Sequence[Value]) -> list[Value]:
    if isinstance(items, Value):
        items = [items]
    items = list(items)
    for v in items:
        if not isinstance(v, Value):
            raise TypeError(f"{name} must be Values, got {type(v).__name__}")
        if v.children:
            raise ValueError(f"{name} must be leaves (Values not made by an op), got {v!r}")
    if len({id(v) for v in items}) != len(items):
        raise ValueError(f"{name} lists a Value twice")
    return items


def _accumulate(grads: dict, slot: int, g) -> None:
    if slot in grads:
        grads[slot] = grads[slot] + g
    else:
        grads[slot] = g


def _add_columns(M: np.ndarray | None, cols, grads: dict, shape) -> np.ndarray | None:
    """``M`` plus, as columns, the gradients of the slots in ``cols`` (column, slot)."""
    for col, s in cols:
        g = grads.pop(s, None)
        if g is not None:
            if M is None:
                M = np.zeros(shape)
            M[:, col] += g
    return M


class _Compiler:
    """Turns a topological order into instructions, fusing layers of neurons."""

    def __init__(self, order, slot, leaf) -> None:
        self.order, self.slot, self.leaf = order, slot, leaf
        self.users: dict[Value, list[Value]] = {}
        for v in order:
            for c in v.children:
                self.users.setdefault(c, []).append(v)

    def neuron(self, v: Value):
        """``(inputs, weights, bias)`` slots if ``v`` is ``Σ wᵢ·hᵢ (+ b)``, else None."""
        if v.op != "sum" or not v.children:
            return None
        children = list(v.children)
        bias = None
        last = children[-1]
        if not last.children and self.slot[last] in self.leaf:
            bias = self.leaf[self.slot[last]]
            children = children[:-1]
        if not children:
            return None
        h, w = [], []
        for c in children:
            if c.op != "mul" or c.param is not None or len(self.users.get(c, ())) != 1:
                return None
            weight, x = c.children
            if weight.children or self.slot[weight] not in self.leaf:
                return None
            h.append(self.slot[x])
            w.append(self.leaf[self.slot[weight]])
        return tuple(h), w, bias

    def program(self) -> list:
        neurons = {}
        groups: dict[tuple, list[Value]] = {}
        for v in self.order:
            found = self.neuron(v)
            if found is not None:
                neurons[v] = found
                groups.setdefault((found[0], found[2] is not None), []).append(v)
        first_of = {members[0]: key for key, members in groups.items()}
        skip = {m for members in groups.values() for m in members}
        for v in neurons:  # the products inside fused neurons are never computed
            skip.update(v.children)
        program: list = []
        done: set[Value] = set()
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
                _Node(self.slot[v], OPS[v.op], tuple(self.slot[c] for c in v.children), v.param)
            )
        return program

    def linear(self, members: list[Value], neurons) -> _Linear:
        inputs = neurons[members[0]][0]
        weights = np.array([neurons[m][1] for m in members], dtype=int)
        has_bias = neurons[members[0]][2] is not None
        bias = np.array([neurons[m][2] for m in members], dtype=int) if has_bias else None
        # one activation applied to every neuron (and nothing else using the sums)?
        act, act_param, act_outs = None, None, ()
        users = [self.users.get(m, []) for m in members]
        if all(len(u) == 1 for u in users):
            acts = [u[0] for u in users]
            first = acts[0]
            if (
                OPS[first.op].arity == 1
                and all(a.op == first.op and a.param == first.param for a in acts)
                and all(len(a.children) == 1 for a in acts)
            ):
                act, act_param = OPS[first.op], first.param
                act_outs = tuple(self.slot[a] for a in acts)
        return _Linear(
            outs=tuple(self.slot[m] for m in members),
            inputs=inputs,
            weights=weights,
            bias=bias,
            act=act,
            act_param=act_param,
            act_outs=act_outs,
            distinct=len(set(weights.flat)) == weights.size
            and (bias is None or len(set(bias.tolist())) == len(bias)),
        )
