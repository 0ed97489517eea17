"""The tape runner: replay a compiled program forward and backward over numpy batches.

Replaying the tape on a batch ``X`` of shape ``(batch, n_inputs)`` evaluates every
node as a numpy array over the batch, then runs the same chain rule backwards::

    forward:   value[node] = op.np_f(value[operand], ...)
    backward:  grad[operand] += op.np_df(value[node], ...)[i] * grad[node]

A fused layer ``Z = H·Wᵀ + b``, ``A = act(Z)`` runs backwards as
``dZ = dA·act'(Z)``, ``∂J/∂W = dZᵀ·H``, ``∂J/∂b = Σ_rows dZ`` and ``∂J/∂H = dZ·W``.
Both passes run on one BLAS thread except for large products (:mod:`.blas`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._gc import paused
from ..engine import Value
from ..graph import topological_order
from .backward import _accumulate, _act_extra, _Backward, _operands, _Saved
from .blas import one_thread, product
from .compiler import Instruction, Linear, Node, compile_program, plan_layers

__all__ = ["Tape", "TapeGrads", "TapeRun", "compile"]


@dataclass(frozen=True)
class TapeGrads:
    """Gradients from :meth:`Tape.grad_batch`.

    Attributes:
        output: the output for every row, shape ``(batch,)``.
        inputs: ∂output/∂input for every row, shape ``(batch, n_inputs)``.
        params: ∂output/∂param reduced over the rows (mean or sum), shape ``(n_params,)``.
        watched: the values of the tape's ``watch`` Values for every row, shape
            ``(batch, len(watch))`` (e.g. a model's outputs under its loss).
    """

    output: np.ndarray
    inputs: np.ndarray
    params: np.ndarray
    watched: np.ndarray | None = None


def compile(  # noqa: A001 - the tape's verb, as in "compile the graph"
    output: Value,
    inputs: Sequence[Value],
    params: Sequence[Value] = (),
    watch: Sequence[Value] = (),
) -> Tape:
    """Trace ``output``'s graph once into a :class:`Tape`.

    Args:
        output: the Value to compute (e.g. a sample's loss).
        inputs: leaf Values fed from the columns of ``X`` at run time, in order.
        params: leaf Values whose current ``.data`` is read at every call (so an
            optimizer can change them between calls) and whose gradients are
            returned. Every other leaf is a constant, frozen at compile time.
        watch: Values computed on the way (e.g. a model's outputs under its loss)
            whose values :meth:`Tape.grad_batch` also returns, row by row.
    """
    return Tape(output, inputs, params, watch)


class Tape:
    """A graph recorded as a flat program; see :mod:`microgradx.tape`."""

    @paused  # walks the graph and makes many small containers: no collector
    def __init__(
        self,
        output: Value,
        inputs: Sequence[Value],
        params: Sequence[Value] = (),
        watch: Sequence[Value] = (),
    ) -> None:
        if not isinstance(output, Value):
            raise TypeError(f"compile() needs a Value as output, got {type(output).__name__}")
        inputs, params = _leaf_list("inputs", inputs), _leaf_list("params", params)
        named = set(inputs) | set(params)  # Values hash by identity
        if len(named) != len(inputs) + len(params):
            for name, items in (("inputs", inputs), ("params", params)):
                if len(set(items)) != len(items):
                    raise ValueError(f"{name} lists a Value twice")
            raise ValueError("a Value cannot be both an input and a parameter")
        order = topological_order(output)
        slot = dict(zip(order, range(len(order))))
        watch = list(watch)
        missing = [v for v in (*inputs, *params, *watch) if v not in slot]
        if missing:
            names = ", ".join(v.label or repr(v) for v in missing)
            hint = " (was the graph built under no_grad()?)" if not output.children else ""
            raise ValueError(f"not in the output's graph: {names}{hint}")
        self.inputs, self.params = list(inputs), list(params)
        self.n_inputs, self.n_params = len(inputs), len(params)
        self.size = len(order)
        self._out = slot[output]
        self._input_col = {slot[v]: j for j, v in enumerate(inputs)}
        constants = [v for v in order if not v.children and v not in named]
        # leaf vector: parameters first (read at call time), then constants (frozen)
        leaves = [*params, *constants]
        self._leaf = dict(zip(map(slot.__getitem__, leaves), range(len(leaves))))
        self._constants = np.array([v.data for v in constants], dtype=float)
        self._program: list[Instruction] = compile_program(order, slot, self._leaf)
        self._needs_grad = self._grad_slots(slot)
        # leaves read one by one (by unfused operations); fused layers index the leaf vector
        used: set[int] = set()
        for ins in self._program:
            used.update(ins.args if isinstance(ins, Node) else ins.inputs)
        used.add(self._out)  # an output that is itself a leaf is read directly
        self._loose = {s: self._leaf[s] for s in sorted(used) if s in self._leaf}
        x_slots = tuple(sorted(self._input_col, key=lambda s: self._input_col[s]))
        self._watch = [slot[v] for v in watch]
        computed = set(self._input_col) | set(self._loose)
        for ins in self._program:
            computed.update((ins.out,) if isinstance(ins, Node) else (*ins.outs, *ins.act_outs))
        if not computed.issuperset(self._watch):
            raise ValueError("watch: only Values computed by the tape (not products fused away)")
        plan = plan_layers(self._program, x_slots, self._out, self._watch)
        self._feeds, self._columns = plan.feeds, plan.columns
        # (inputs, outputs) of every fused layer: the sizes of its matrix products
        self._layers = [
            (len(i.inputs), len(i.outs)) for i in self._program if isinstance(i, Linear)
        ]

    def _grad_slots(self, slot: dict[Value, int]) -> set[int]:
        """Slots whose gradient matters: those depending on an input or a parameter.

        Found instruction by instruction (the products inside fused layers have no
        slot anyone reads): a layer depends on its inputs and its weights.
        """
        needs = {slot[v] for v in (*self.inputs, *self.params)}
        n = self.n_params
        for ins in self._program:
            if isinstance(ins, Node):
                if any(a in needs for a in ins.args):
                    needs.add(ins.out)
            elif (
                any(s in needs for s in ins.inputs)
                or bool((ins.weights < n).any())
                or (ins.bias is not None and bool((ins.bias < n).any()))
            ):
                needs.update(ins.outs)
                needs.update(ins.act_outs)
        return needs

    def __repr__(self) -> str:
        fused = sum(isinstance(i, Linear) for i in self._program)
        return (
            f"<Tape: {self.size} nodes, {len(self._program)} instructions "
            f"({fused} fused layers), {self.n_inputs} inputs, {self.n_params} params>"
        )

    # --- forward ---------------------------------------------------------------------------

    def _check(self, X: Any) -> np.ndarray:
        X = _real_array(X)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(
                f"X must have shape (batch, {self.n_inputs}): one column per input; "
                f"got shape {X.shape}"
            )
        return X

    def _leaves(self, params: np.ndarray | None = None) -> np.ndarray:
        """The leaf vector: parameters (``params``, else their ``.data``), then constants."""
        if params is None:
            params = np.array([p.data for p in self.params], dtype=float)
        elif params.shape != (self.n_params,):
            raise ValueError(f"params must have shape ({self.n_params},), got {params.shape}")
        return np.concatenate([params, self._constants])

    def _forward(
        self, X: np.ndarray, params: np.ndarray | None = None
    ) -> tuple[dict[int, Any], np.ndarray, dict[int, _Saved]]:
        """Every slot's value (arrays over the rows, or floats), the leaves, the layers."""
        leaves = self._leaves(params)
        values: dict[int, Any] = {}
        for slot, j in self._input_col.items():
            values[slot] = X[:, j]
        for slot, i in self._loose.items():
            values[slot] = float(leaves[i])
        saved: dict[int, _Saved] = {}
        with np.errstate(all="ignore"), one_thread(len(X), self._layers):  # one BLAS thread
            for k, ins in enumerate(self._program):
                if isinstance(ins, Node):
                    values[ins.out] = ins.op.np_f(*_operands(ins, values))
                else:
                    saved[k] = self._forward_layer(k, ins, X, values, leaves, saved)
        return values, leaves, saved

    def _forward_layer(
        self,
        k: int,
        ins: Linear,
        X: np.ndarray,
        values: dict[int, Any],
        leaves: np.ndarray,
        saved: dict[int, _Saved],
    ) -> _Saved:
        """``Z = H·Wᵀ + b``, ``A = act(Z)`` for fused layer ``k``; stores read columns."""
        feed = self._feeds[k]
        if feed is None:
            H = np.column_stack([np.broadcast_to(values[s], len(X)) for s in ins.inputs])
        else:
            H = X if feed == -1 else saved[feed][3]
        W = ins.gather_weights(leaves)
        Z = product(H, W.T)
        if ins.bias is not None:
            Z += ins.gather_bias(leaves)
        A = Z if ins.act is None else ins.act.np_f(Z, *_act_extra(ins))
        z_cols, a_cols = self._columns[k]
        for col, s in z_cols:
            values[s] = Z[:, col]
        for col, s in a_cols:
            values[s] = A[:, col]
        return H, W, Z, A

    def run_batch(self, X: Any) -> np.ndarray:
        """The output for every row of ``X`` (shape ``(batch, n_inputs)``)."""
        X = self._check(X)
        values = self._forward(X)[0]
        return np.broadcast_to(np.asarray(values[self._out], dtype=float), (len(X),)).copy()

    def __call__(self, values: Sequence[float]) -> float:
        """The output at one point: ``values`` holds one number per input."""
        return float(self.run_batch(_real_array(values).reshape(1, -1))[0])

    # --- backward --------------------------------------------------------------------------

    def grad(self, values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
        """Gradients at one point: ``(∂out/∂inputs, ∂out/∂params)``."""
        g = self.grad_batch(_real_array(values).reshape(1, -1), reduce="sum")
        return g.inputs[0], g.params

    @property
    def layers(self) -> list[tuple[int, int]]:
        """``(inputs, outputs)`` of each fused layer (what
        :func:`~microgradx.tape.blas.one_thread` needs to know whether BLAS would split a pass)."""
        return self._layers

    def grad_batch(
        self, X: Any, reduce: str = "mean", params: np.ndarray | None = None
    ) -> TapeGrads:
        """Forward and backward over a batch.

        Input gradients are per row; parameter gradients are reduced over the rows
        with ``reduce="mean"`` (the average gradient) or ``"sum"``. ``params``, an
        array of one number per parameter, replaces their ``.data`` (training that
        keeps the weights in an array reads them from there).
        """
        if reduce not in ("mean", "sum"):
            raise ValueError(f"reduce must be 'mean' or 'sum', got {reduce!r}")
        X = self._check(X)
        with one_thread(len(X), self._layers):  # once for both passes
            return self._backward(TapeRun(self, X, *self._forward(X, params)), None, reduce)

    def forward(self, X: Any, params: np.ndarray | None = None) -> TapeRun:
        """The forward pass alone, kept for :meth:`backward`; ``run.watched`` holds the
        watched Values' values for every row."""
        X = self._check(X)
        return TapeRun(self, X, *self._forward(X, params))

    def backward(self, run: TapeRun, seeds: np.ndarray, reduce: str = "sum") -> TapeGrads:
        """Backpropagate from the watched Values: ``seeds[k, j]`` is ∂J/∂(watched j) in row k.

        Gives the gradients of J = Σₖ Σⱼ seeds[k, j]·watchedⱼ(row k): the chain rule
        continued from wherever the caller computed ∂J/∂watched (e.g. a loss on a
        model's outputs). Consumes ``run``.
        """
        seeds = np.asarray(seeds, dtype=float)
        if seeds.shape != (len(run.X), len(self._watch)):
            raise ValueError(
                f"seeds must have shape ({len(run.X)}, {len(self._watch)}), got {seeds.shape}"
            )
        return self._backward(run, seeds, reduce)

    def _backward(self, fwd: TapeRun, seeds: np.ndarray | None, reduce: str) -> TapeGrads:
        if fwd.saved is None:
            raise ValueError("this run has been used for a backward pass already")
        values, leaves, saved = fwd.values, fwd.leaves, fwd.saved
        fwd.saved = None
        B = len(fwd.X)
        run = _Backward(self, values, np.zeros(len(leaves)), np.zeros((B, self.n_inputs)))
        if seeds is None:
            run.grads[self._out] = np.ones(B)
        else:
            for j, s in enumerate(self._watch):
                if s in self._needs_grad:
                    _accumulate(run.grads, s, seeds[:, j])
        with np.errstate(all="ignore"), one_thread(B, self._layers):
            for k in range(len(self._program) - 1, -1, -1):
                ins = self._program[k]
                if isinstance(ins, Node):
                    run.node(ins)
                else:
                    run.layer(k, ins, saved.pop(k))
        inputs, params = run.finish()
        if reduce == "mean":
            params = params / B
        return TapeGrads(output=fwd.output, inputs=inputs, params=params, watched=fwd.watched)


class TapeRun:
    """A forward pass of a tape over a batch, kept for its backward pass.

    Attributes:
        output: the output for every row, shape ``(batch,)``.
        watched: the watched Values for every row, shape ``(batch, len(watch))``
            (``None`` if the tape watches nothing).
    """

    def __init__(
        self,
        tape: Tape,
        X: np.ndarray,
        values: dict[int, Any],
        leaves: np.ndarray,
        saved: dict[int, _Saved],
    ) -> None:
        self.X, self.values, self.leaves = X, values, leaves
        self.saved: dict[int, _Saved] | None = saved
        B = len(X)
        self.output = np.broadcast_to(np.asarray(values[tape._out], dtype=float), (B,)).copy()
        self.watched: np.ndarray | None = None
        if tape._watch:
            self.watched = np.empty((B, len(tape._watch)))
            for j, s in enumerate(tape._watch):
                self.watched[:, j] = values[s]


def _real_array(X: Any) -> np.ndarray:
    """``X`` as a float array if it holds real numbers (ints or floats); else TypeError.

    Strings, bools, complex numbers and Python objects are refused rather than
    converted: ``"1"`` is not the number 1, and ``True`` is not a measurement.
    """
    A = np.asarray(X)
    if A.dtype.kind not in "iuf":
        kind = {"b": "bool", "c": "complex", "U": "string", "S": "bytes", "O": "object"}
        name = kind.get(A.dtype.kind, str(A.dtype))
        raise TypeError(f"tape inputs must be real numbers (int or float), got {name} values")
    return A.astype(float, copy=False)


def _leaf_list(name: str, items: Sequence[Value] | Value) -> list[Value]:
    if isinstance(items, Value):
        items = [items]
    items = list(items)
    # one comprehension finds any offender (a model has tens of thousands of parameters)
    for v in [v for v in items if not isinstance(v, Value) or v.children]:
        if not isinstance(v, Value):
            raise TypeError(f"{name} must be Values, got {type(v).__name__}")
        raise ValueError(f"{name} must be leaves (Values not made by an op), got {v!r}")
    return items
