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

The package has two parts: :mod:`~microgradx.tape.compiler` (graph to instructions,
fusion) and :mod:`~microgradx.tape.runner` (forward and backward over batches).

Example::

    >>> import numpy as np
    >>> from microgradx import Value, compile
    >>> x, w = Value(0.0, "x"), Value(2.0, "w")
    >>> tape = compile((w * x).tanh(), inputs=[x], params=[w])
    >>> tape.run_batch(np.array([[0.0], [0.5]])).round(4).tolist()
    [0.0, 0.7616]
"""

from .runner import Tape, TapeGrads, compile  # noqa: A004 - the tape's verb

__all__ = ["Tape", "TapeGrads", "compile"]
