"""Training back-ends: the loss and gradients of one batch, computed two ways.

A backend is ``backend(model, X, targets, loss_fn, l2) -> (mean loss, outputs)`` and
leaves ∂J/∂p added into every parameter's ``.grad``, where

    J = (1/m)·Σₖ loss(model(xₖ), tₖ) + l2·Σ p²

over the m rows of the batch. ``scalar`` builds a Value graph per sample (the
textbook loop); ``tape`` replays compiled tapes over numpy arrays (same numbers,
much faster). The training loop does not care which one it is given.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import numpy as np

from .._compat import renamed_names
from ..engine import Value
from ..engine import sum as value_sum
from . import losses as L
from .module import Module
from .tape_training import group_by_target, numeric_targets
from .task import LossFn

__all__ = [
    "BACKENDS",
    "Backend",
    "check_backend",
    "scalar_loss_and_grads",
    "tape_loss_and_grads",
]

#: ``backend(model, X, targets, loss_fn, l2) -> (mean loss, outputs)``.
Backend = Callable[..., tuple[float, np.ndarray]]


def scalar_loss_and_grads(
    model: Module,
    X: np.ndarray,
    targets: Sequence,
    loss_fn: LossFn,
    l2: float = 0.0,
) -> tuple[float, np.ndarray]:
    """Loss and gradients of one batch on the scalar backend (a graph per sample).

    With m rows, the objective is J = (1/m)·Σₖ loss(model(xₖ), tₖ) + l2·Σ p². For each
    sample k this builds the graph of Lₖ and calls ``Lₖ.backward(1/m)``, which adds
    (1/m)·∂Lₖ/∂p into every ``p.grad`` (leaf gradients accumulate: ΔW += ∇W); then
    the penalty's gradient 2·l2·p. Call ``zero_grad`` first. A model that couples
    its samples (batch norm in training mode) runs the batch through
    ``model.forward_rows`` as one graph and calls ``backward`` once on (1/m)·Σₖ Lₖ.

    Returns the mean data loss (1/m)·Σₖ Lₖ (without the penalty) and the model's
    outputs as an ``(m, nout)`` array (for accuracy).
    """
    m = len(X)
    inv = 1.0 / m
    outputs = np.empty((m, model.nout))
    total = 0.0
    if model.couples_samples:  # batch norm: the batch passes through together
        outs = model.forward_rows(X.tolist())
        losses = []
        for k, (out, t) in enumerate(zip(outs, targets)):
            out = [out] if isinstance(out, Value) else out
            losses.append(loss_fn(out, t))
            outputs[k] = [o.data for o in out]
        batch = value_sum(losses)
        batch.backward(inv)
        if l2:
            L.l2(model.parameters(), l2).backward()
        return batch.data * inv, outputs
    for k, (x, t) in enumerate(zip(X.tolist(), targets)):
        out = model(x)
        if isinstance(out, Value):
            out = [out]
        loss = loss_fn(out, t)
        loss.backward(inv)
        total += loss.data
        outputs[k] = [o.data for o in out]
    if l2:
        L.l2(model.parameters(), l2).backward()
    return total * inv, outputs


# Compiled tapes of each model, by (loss function, target): built once, replayed each step.
_TAPES: weakref.WeakKeyDictionary[Module, dict] = weakref.WeakKeyDictionary()


def tape_loss_and_grads(
    model: Module,
    X: np.ndarray,
    targets: Sequence,
    loss_fn: LossFn,
    l2: float = 0.0,
) -> tuple[float, np.ndarray]:
    """The same as :func:`scalar_loss_and_grads`, computed by compiled tapes.

    One sample's loss graph is traced once per distinct target (a class label, a
    ±1 hinge label) with the inputs as tape inputs and the model's parameters as
    tape parameters (see :mod:`microgradx.tape`); each step replays it over the rows
    with that target as numpy arrays. The gradients equal the scalar backend's up to
    rounding. Dropout draws a new graph each step, so it needs the scalar backend.
    """
    from ..tape import compile as compile_tape

    if model.couples_samples:
        raise ValueError(
            "backend='tape' traces one sample's graph and cannot express batch "
            "normalisation, which mixes the samples of a batch; use backend='scalar'"
        )
    if getattr(model, "dropout", 0.0) and model.training:
        raise ValueError(
            "backend='tape' replays one fixed graph and cannot apply dropout; "
            "use backend='scalar' or dropout=0"
        )
    params = model.parameters()
    cache = _TAPES.setdefault(model, {})
    every = np.arange(len(targets))
    grads = np.zeros(len(params))
    total = 0.0
    for key, t, rows in group_by_target(targets, numeric_targets(targets), every):
        tape = cache.get((loss_fn, key))
        if tape is None or tape.params != params:
            xs = [Value(0.0, f"x{j}") for j in range(X.shape[1])]
            out = model(xs)
            loss = loss_fn([out] if isinstance(out, Value) else out, t)
            tape = cache[(loss_fn, key)] = compile_tape(loss, xs, params)
        g = tape.grad_batch(X[rows], reduce="sum")
        grads += g.params
        total += float(g.output.sum())
    # ∂J/∂p = (1/m)·Σₖ ∂Lₖ/∂p + 2·l2·p
    inv = 1.0 / len(X)
    grads *= inv
    if l2:
        grads += 2.0 * l2 * np.array([p.data for p in params])
    for p, grad in zip(params, grads.tolist()):
        p.grad += grad
    return total * inv, model.forward_batch(X).reshape(len(X), -1)


#: Backends by name: ``backend(model, X, targets, loss_fn, l2) -> (mean loss, outputs)``,
#: leaving ∂J/∂p added into every parameter's ``.grad``.
BACKENDS: dict[str, Backend] = {
    "scalar": scalar_loss_and_grads,
    "tape": tape_loss_and_grads,
}
# the training back-ends were once "engines": nn.backends.ENGINES still works, with a warning
__getattr__ = renamed_names(__name__, {"ENGINES": ("BACKENDS", BACKENDS)})


def check_backend(backend: object) -> str:
    """``backend`` if ``fit`` accepts it (``"auto"`` or a key of :data:`BACKENDS`), else
    a ``ValueError`` listing the accepted names."""
    if not isinstance(backend, str) or (backend != "auto" and backend not in BACKENDS):
        accepted = ", ".join(repr(name) for name in ("auto", *BACKENDS))
        raise ValueError(f"backend must be one of {accepted}, got {backend!r}")
    return backend
