"""Training state in arrays: what ``fit(backend="tape")`` keeps while it trains.

The scalar backend keeps a model's weights where a student can see them, one
``Value`` per weight. Moving every weight between Values and arrays on every step
would cost more than the step itself on a compiled tape, so during
``fit(backend="tape")`` the parameters, their gradients and the optimizer's state
(velocities, moments) live in numpy arrays:

    outputs        ← the model's tape, forward over the batch (θ read from the array)
    Lₖ, ∂Lₖ/∂out   ← the loss as a function of the outputs: hinge on ±1 labels in
                     numpy, any other loss by one small tape per target
    ∂J/∂θ          ← the model's tape, backward from (1/m)·∂Lₖ/∂out, plus 2·l2·θ
    θ, state       ← optimizer.rule(θ, ∂J/∂θ, state)   (one vectorised call)

A loss tape is traced once per target (outputs → loss, a handful of Values), and the
model's tape (inputs → outputs) is written straight from its structure when the model
is a plain :class:`~microgradx.nn.MLP`, :class:`~microgradx.nn.Layer` or
:class:`~microgradx.nn.Neuron` (sizes and activations: see :func:`structure_tape`),
so no scalar graph of the model is ever built; any other model is traced once. Either
way the large matrix products run once per step whatever the number of labels.

The update is the optimizer's own :meth:`~microgradx.nn.optim.Optimizer.rule`, the
same code the scalar backend runs per Value, so both backends compute the same numbers
(up to the order of the sums inside the matrix products).

**When the Values are brought up to date.** :meth:`TapeTraining.sync` writes the
arrays back: every parameter's ``.data`` and ``.grad`` (the last step's gradient,
as after a scalar step) and the optimizer's state lists. ``fit`` calls it when it
returns (also after an error or an interruption) and, during training, at the end
of every epoch in which something looks at the model: validation, callbacks (other
than learning-rate schedules, which only change ``optimizer.lr``), early stopping.
Between those points the Values hold the weights of the last synchronisation.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from operator import attrgetter, is_
from typing import Any

import numpy as np

from ..engine import Value
from ..engine import sum as value_sum
from ..ops import OPS
from ..tape.blas import one_thread
from .losses import hinge
from .module import ACTIVATIONS, MLP, Layer, Module, Neuron
from .optim import Optimizer
from .task import LossFn

__all__ = ["TapeTraining", "structure_tape"]

_data = attrgetter("data")
_ASK = object()  # TapeTraining(structure=...) not given: ask structure_tape

# Each model's training tapes, kept across fit calls: "model" (inputs → outputs) and the
# loss tapes by (loss function, target).
_TAPES: weakref.WeakKeyDictionary[Module, dict] = weakref.WeakKeyDictionary()


class TapeTraining:
    """A model's parameters, gradients and optimizer state as arrays, and the step on them.

    Args:
        model: the model being trained (its ``parameters()`` become the array θ).
        optimizer: an optimizer over the model's parameters, in the model's order.
        loss_fn: ``loss(outputs, target) -> Value`` for one sample.
        targets: every sample's target (as the training task gives them).
        structure: the model's :func:`structure_tape` if the caller has it already.
    """

    def __init__(
        self,
        model: Module,
        optimizer: Optimizer,
        loss_fn: LossFn,
        targets: Sequence,
        structure: Any = _ASK,
    ) -> None:
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        # the optimizer's list: the model's parameters, in order (see accepts)
        self.params: list[Value] = list(optimizer.params)
        self.data = np.fromiter(map(_data, self.params), float, len(self.params))
        self.grad = np.zeros(len(self.params))
        self.states = optimizer.state_arrays()
        self.stale = False  # True while the Values lag behind the arrays
        self.targets = list(targets)
        self._numeric = numeric_targets(self.targets)  # grouped with numpy each step
        # the program written from the model's layers (cheap: made afresh each fit), or
        # traced tapes kept across fit calls and checked against the parameters
        self._structure = structure_tape(model) if structure is _ASK else structure
        self._checked: Any = None  # the traced tape, once checked against self.params
        self._tapes: dict[Any, Any] = _TAPES.setdefault(model, {})
        self._last_groups: tuple[np.ndarray, list] | None = None
        # hinge on ±1 labels, written in numpy (the loss tape's arithmetic, op for op)
        self._hinge = (
            self._numeric.astype(float)
            if loss_fn is hinge
            and model.nout == 1
            and (self._numeric is not None and set(np.unique(self._numeric).tolist()) <= {-1, 1})
            else None
        )

    @staticmethod
    def accepts(model: Module, optimizer: Optimizer) -> bool:
        """Whether the optimizer updates exactly the model's parameters, in order."""
        mine = model.parameters()
        theirs = optimizer.params
        return _same(mine, theirs)

    def _model_tape(self, n_inputs: int) -> Any:
        """The model's forward graph for one sample: inputs → outputs (watched)."""
        from ..tape import compile as compile_tape

        if self._structure is not None:
            return self._structure
        tape = self._tapes.get("model")
        if tape is not None and tape is self._checked:
            return tape
        if tape is not None and (tape.n_inputs != n_inputs or not _same(tape.params, self.params)):
            tape = None  # a changed model: retrace
        if tape is None:
            xs = [Value(0.0, f"x{j}") for j in range(n_inputs)]
            out = self.model(xs)
            outs = [out] if isinstance(out, Value) else list(out)
            # the tape's output only has to reach every output: their sum does
            top = outs[0] if len(outs) == 1 else value_sum(outs)
            tape = self._tapes["model"] = compile_tape(top, xs, self.params, watch=outs)
        self._checked = tape  # checked against this training's parameters once
        return tape

    def _loss_tape(self, key: Any, target: Any) -> tuple[Any, list[int], float]:
        """One sample's loss as a function of the model's outputs, for one target.

        Returns the tape (inputs: the outputs the loss reads), their columns, and
        the loss itself when it reads none of them (a constant).
        """
        from ..graph import topological_order
        from ..tape import compile as compile_tape

        found = self._tapes.get((self.loss_fn, self.model.nout, key))
        if found is None:
            outs = [Value(0.0, f"out{j}") for j in range(self.model.nout)]
            loss = self.loss_fn(outs, target)
            reached = set(topological_order(loss))
            cols = [j for j, o in enumerate(outs) if o in reached]
            tape = compile_tape(loss, [outs[j] for j in cols]) if cols else None
            found = self._tapes[(self.loss_fn, self.model.nout, key)] = (tape, cols, loss.data)
        return found

    def _groups(self, idx: np.ndarray) -> list[tuple[Any, Any, np.ndarray]]:
        """``(key, target, rows)`` for each distinct target among the rows ``idx``.

        Full-batch training asks for the same rows every step: the last answer is kept.
        """
        last = self._last_groups
        if last is not None and len(last[0]) == len(idx) and np.array_equal(last[0], idx):
            return last[1]
        groups = group_by_target(self.targets, self._numeric, idx)
        self._last_groups = (idx.copy(), groups)
        return groups

    def step(self, X: np.ndarray, idx: np.ndarray, l2: float) -> tuple[float, np.ndarray]:
        """One optimizer step on the rows ``X`` (samples ``idx``): ``(mean loss, outputs)``.

        ∂J/∂θ = (1/m)·Σₖ ∂Lₖ/∂θ + 2·l2·θ, then ``optimizer.step_arrays``.
        """
        if getattr(self.model, "dropout", 0.0) and self.model.training:
            raise ValueError(
                "backend='tape' replays one fixed graph and cannot apply dropout; "
                "use backend='scalar' or dropout=0"
            )
        m = len(X)
        inv = 1.0 / m
        tape = self._model_tape(X.shape[1])
        with one_thread(m, tape.layers):  # one BLAS thread, set once for both passes
            # forward through the model once for all rows ...
            run = tape.forward(X, params=self.data)
            outputs = run.watched
            # ... each sample's loss and ∂Lₖ/∂outputs: hinge written out, else one small
            # tape per target ...
            if self._hinge is not None:
                total, seeds = _hinge(outputs[:, 0], self._hinge[idx])
            else:
                total, seeds = self._loss_tapes(outputs, idx)
            # ... and back through the model once: ∂J/∂θ = Σₖ (1/m)·∂Lₖ/∂outputs·∂outputs/∂θ
            grad = tape.backward(run, seeds * inv).params
        if l2:
            grad = grad + 2.0 * l2 * self.data
        self.grad = grad
        self.data, self.states = self.optimizer.step_arrays(self.data, grad, self.states)
        self.stale = True
        return total * inv, outputs

    def _loss_tapes(self, outputs: np.ndarray, idx: np.ndarray) -> tuple[float, np.ndarray]:
        """Σₖ Lₖ and ∂Lₖ/∂outputs for every row, from one loss tape per target."""
        m = len(outputs)
        seeds = np.zeros_like(outputs)
        total = 0.0
        for key, target, rows in self._groups(idx):
            tape, cols, constant = self._loss_tape(key, target)
            if tape is None:
                total += constant * len(rows)
                continue
            whole = len(rows) == m
            out = outputs if whole else outputs[rows]
            g = tape.grad_batch(out if len(cols) == out.shape[1] else out[:, cols], reduce="sum")
            total += float(g.output.sum())
            if len(cols) < out.shape[1]:
                seeds[np.ix_(rows, np.array(cols))] = g.inputs
            elif whole:
                seeds[:] = g.inputs
            else:
                seeds[rows] = g.inputs
        return total, seeds

    def sync(self) -> None:
        """Write the arrays back: parameters' ``.data`` and ``.grad``, the optimizer's state."""
        if not self.stale:
            return
        for p, x, g in zip(self.params, self.data.tolist(), self.grad.tolist()):
            p.data = x
            p.grad = g
        self.optimizer.load_state_arrays(self.states)
        self.stale = False


def structure_tape(model: Module) -> Any:
    """The model's tape written from its layers, or None when it must be traced.

    For an ``MLP``, ``Layer`` or ``Neuron`` (exactly these classes: a subclass may
    compute something else) without batch normalisation, whose parameters are, layer
    by layer and neuron by neuron, the weights then the bias: one fused
    ``Z = H·Wᵀ + b``, ``A = f(Z)`` per layer (:func:`microgradx.tape.stack.dense_stack`),
    the same instructions tracing would produce, without a Value per weight.
    Dropout is not expressed (``fit`` refuses the tape while it is active).
    """
    from ..tape.stack import DenseSpec, dense_stack

    kind = type(model)
    if kind is MLP:
        if model.batch_norm:  # type: ignore[attr-defined]
            return None
        layers = list(model.layers)  # type: ignore[attr-defined]
    elif kind is Layer:
        layers = [model]
    elif kind is Neuron:
        layers = [model]
    else:
        return None
    specs = []
    for layer in layers:
        if type(layer) is Neuron:
            neurons = [layer]
        elif type(layer) is Layer and layer.norm is None:
            neurons = layer.neurons
        else:
            return None
        act = layer.activation
        fn = ACTIVATIONS[act]
        if any(n.activation != act or n._act is not fn or n.nin != layer.nin for n in neurons):
            return None
        op = None if act == "linear" else act
        specs.append(
            DenseSpec(layer.nin, len(neurons), op, None if op is None else OPS[op].arg_default)
        )
    return dense_stack(model.nin, specs)


def _hinge(s: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """Σₖ max(0, 1 − sₖ·tₖ) and ∂Lₖ/∂sₖ = −tₖ where the margin is positive (else 0),
    as the scalar backend computes ``(1.0 - s * t).relu()`` and its backward pass."""
    margin = 1.0 - s * t
    loss = np.maximum(margin, 0.0) + 0.0
    return float(loss.sum()), np.where(margin <= 0.0, 0.0, -t)[:, None]


def _same(a: Sequence, b: Sequence) -> bool:
    """Whether two lists hold the same objects, in order."""
    return len(a) == len(b) and all(map(is_, a, b))


def numeric_targets(targets: Sequence) -> np.ndarray | None:
    """The targets as a 1-d array if they are plain numbers (class labels, ±1), else None."""
    flat = np.asarray(targets) if len(targets) else None
    return flat if flat is not None and flat.ndim == 1 and flat.dtype.kind in "fiu" else None


def group_by_target(
    targets: Sequence, numeric: np.ndarray | None, idx: np.ndarray
) -> list[tuple[Any, Any, np.ndarray]]:
    """``(key, target, rows)`` for each distinct target among the samples ``idx``.

    ``rows`` are positions in ``idx``; ``numeric`` is :func:`numeric_targets` of
    ``targets`` (grouped by numpy when not None), ``key`` a hashable form of the target.
    """
    if numeric is not None:
        keys, which = np.unique(numeric[idx], return_inverse=True)
        if len(keys) == 1:
            key = keys.tolist()[0]
            return [(key, key, np.arange(len(idx)))]
        return [(k, k, np.flatnonzero(which == i)) for i, k in enumerate(keys.tolist())]
    groups: dict[Any, tuple[Any, list[int]]] = {}
    for row, i in enumerate(idx.tolist()):
        t = targets[i]
        groups.setdefault(_target_key(t), (t, []))[1].append(row)
    return [(k, t, np.array(rows)) for k, (t, rows) in groups.items()]


def _target_key(t: Any) -> Any:
    return tuple(_target_key(x) for x in t) if isinstance(t, (list, tuple)) else t
