"""A tape built from a description of dense layers, without tracing a scalar graph.

Tracing an MLP's graph costs one Value per weight (hundreds of milliseconds for a
network of 256-wide layers), and :func:`~microgradx.tape.compile` then fuses that
graph back into one matrix product per layer. When the caller already knows the
layers, :func:`dense_stack` writes those fused instructions directly: for layer l
with weights Wₗ (nₗ × kₗ), biases bₗ and activation fₗ,

    forward:   Zₗ = Hₗ₋₁·Wₗᵀ + bₗ,   Hₗ = fₗ(Zₗ)            (H₀ = X)
    backward:  dZₗ = dHₗ ∘ fₗ′(Zₗ),  ∂J/∂Wₗ = dZₗᵀ·Hₗ₋₁,  ∂J/∂bₗ = Σ_rows dZₗ,
               dHₗ₋₁ = dZₗ·Wₗ

The instructions are the compiler's own :class:`~microgradx.tape.compiler.Linear`
(weights read from the parameter vector as views) and every step is the runner's
fused-layer arithmetic in the same order, so the numbers equal those of the traced
tape (relu takes a shorter path with the same numbers: ``max(z, 0)`` forward, and
backward the upstream gradient with exactly 0 where ``a ≤ 0``, as the scalar engine
gates it). The parameter vector is laid out as neuron-major rows: for each layer,
for each neuron, its k weights then its bias (the order of ``model.parameters()``
for the layers of :mod:`microgradx.nn`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..ops import OPS
from .blas import one_thread, product
from .compiler import Linear

__all__ = ["DenseSpec", "DenseStack", "StackRun", "dense_stack"]


@dataclass(frozen=True)
class DenseSpec:
    """One dense layer: ``nin`` inputs, ``nout`` neurons, an activation op name
    (``None``: linear) with its extra number (``leaky_relu``'s slope)."""

    nin: int
    nout: int
    activation: str | None = None
    arg: float | None = None


class StackRun:
    """A forward pass over a batch, kept for :meth:`DenseStack.backward`.

    ``watched``: the last layer's outputs for every row, shape ``(batch, nout)``. The
    hidden layers' arrays are the stack's work arrays: run the backward pass before
    the next forward pass.
    """

    def __init__(self, X: np.ndarray, saved: list, watched: np.ndarray) -> None:
        self.X, self.watched = X, watched
        self.saved: list | None = saved


@dataclass(frozen=True)
class StackGrads:
    """``params``: ∂J/∂θ summed over the rows, shape ``(n_params,)``."""

    params: np.ndarray


class DenseStack:
    """Fused dense layers run forward and backward over numpy batches."""

    def __init__(self, program: list[Linear], n_inputs: int, n_params: int) -> None:
        self.program, self.n_inputs, self.n_params = program, n_inputs, n_params
        # (inputs, outputs) of each layer: how many threads BLAS would split a pass into
        self._layers = [ins.weights.shape[::-1] for ins in program]
        # work arrays by (layer, role, shape), reused from step to step: fresh arrays of
        # megabytes each step are handed back to the operating system and faulted in
        # again, which costs a third of a step of a 256-wide layer over 1,000 rows
        self._work: dict[tuple[int, str, tuple[int, ...]], np.ndarray] = {}

    @property
    def layers(self) -> list[tuple[int, int]]:
        """``(inputs, outputs)`` of each layer (what :func:`~microgradx.tape.blas.one_thread`
        needs to know whether BLAS would split a pass)."""
        return self._layers

    def _buffer(self, k: int, role: str, shape: tuple[int, ...]) -> np.ndarray:
        key = (k, role, shape)
        found = self._work.get(key)
        if found is None:
            found = self._work[key] = np.empty(shape)
        return found

    def __repr__(self) -> str:
        return (
            f"<DenseStack: {len(self.program)} fused layers, {self.n_inputs} inputs, "
            f"{self.n_params} params>"
        )

    def forward(self, X: np.ndarray, params: np.ndarray) -> StackRun:
        """Every layer's ``Z = H·Wᵀ + b``, ``A = f(Z)``; the last ``A`` is ``run.watched``."""
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"X must have shape (batch, {self.n_inputs}), got {X.shape}")
        if params.shape != (self.n_params,):
            raise ValueError(f"params must have shape ({self.n_params},), got {params.shape}")
        saved = []
        H = X
        last = len(self.program) - 1
        with np.errstate(all="ignore"), one_thread(len(X), self._layers):  # one BLAS thread
            for k, ins in enumerate(self.program):
                W = ins.gather_weights(params)
                if k < last:  # the outputs (returned) are a fresh array
                    Z = product(H, W.T, out=self._buffer(k, "Z", (len(H), len(W))))
                else:
                    Z = product(H, W.T)
                Z += ins.gather_bias(params)
                if ins.act is None:
                    A = Z
                elif ins.act.name == "relu":  # max(z, 0): one pass (signed zeros aside)
                    A = np.maximum(Z, 0.0, out=Z if k < last else None)
                else:
                    A = ins.act.np_f(Z, *_extra(ins))
                saved.append((H, W, Z, A))
                H = A
        return StackRun(X, saved, H)

    def backward(self, run: StackRun, seeds: np.ndarray) -> StackGrads:
        """∂J/∂θ for J = Σₖ Σⱼ seeds[k, j]·outputⱼ(row k). Consumes ``run``."""
        saved, run.saved = run.saved, None
        if saved is None:
            raise ValueError("this run has been used for a backward pass already")
        grads = np.zeros(self.n_params)
        # the watched outputs' gradients, gathered as the runner gathers columns
        dA = np.zeros(seeds.shape)
        dA += seeds
        with np.errstate(all="ignore"), one_thread(len(seeds), self._layers):
            for k in range(len(self.program) - 1, -1, -1):
                ins = self.program[k]
                H, W, Z, A = saved[k]
                if ins.act is None:
                    dZ = dA
                elif ins.act.name == "relu":
                    # relu′ = 0 where z ≤ 0 (there a ≤ 0 too), else 1; a switched-off unit
                    # passes exactly 0, as the scalar engine's gated chain rule does
                    dZ = dA
                    np.copyto(dZ, 0.0, where=np.less_equal(A, 0.0))
                else:
                    dZ = dA * ins.act.np_df(A, Z, *_extra(ins))[0]
                dW = product(dZ.T, H, out=self._buffer(k, "dW", W.shape))
                ins.add_weights(grads, dW)
                ins.add_bias(grads, np.ones(len(dZ)) @ dZ)  # column sums, one BLAS pass
                if k:  # the inputs' gradient is not needed
                    dH = self._buffer(k, "dH", (len(dZ), W.shape[1]))
                    if len(W) == 1:
                        dA = np.multiply(dZ, W, out=dH)
                    else:
                        dA = product(dZ, W, out=dH)
        return StackGrads(grads)


def dense_stack(n_inputs: int, layers: Sequence[DenseSpec]) -> DenseStack:
    """The fused program of ``layers`` (each reading the previous one's outputs)."""
    program: list[Linear] = []
    start = 0
    width = n_inputs
    for spec in layers:
        if spec.nin != width:
            raise ValueError(f"a layer of {spec.nin} inputs after {width} outputs")
        stride = spec.nin + 1
        rows = start + stride * np.arange(spec.nout)
        act = None if spec.activation is None else OPS[spec.activation]
        program.append(
            Linear(
                outs=(),
                inputs=(),
                weights=rows[:, None] + np.arange(spec.nin)[None, :],
                bias=rows + spec.nin,
                act=act,
                act_arg=spec.arg,
                act_outs=(),
                distinct=True,
                w_grid=(start, stride),
                b_grid=(start + spec.nin, stride),
            )
        )
        start += stride * spec.nout
        width = spec.nout
    return DenseStack(program, n_inputs, start)


def _extra(ins: Linear) -> tuple[float, ...]:
    return () if ins.act_arg is None else (ins.act_arg,)
