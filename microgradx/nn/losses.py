"""Loss functions on Values: how wrong a prediction is, as one differentiable number.

Each function scores **one sample** and returns a ``Value``; ``backward()`` on it
gives the gradients. Over a batch, losses average: :func:`mean` of the per-sample
losses (which :func:`microgradx.nn.fit` does for you).

Gradients worth knowing by heart (checked in the tests):

* ``mse``: ∂/∂ŷᵢ = 2(ŷᵢ − yᵢ)/n (the mean over n outputs, the default);
  ``reduction="sum"`` gives 2(ŷᵢ − yᵢ), ``reduction="half_sum"`` (½‖ŷ − y‖²) ŷᵢ − yᵢ.
* ``binary_cross_entropy_with_logits``: ∂/∂z = σ(z) − y.
* ``cross_entropy`` (softmax + negative log-likelihood): ∂/∂z = ŷ − e(ℓ), the predicted
  probabilities minus the one-hot vector of the true class ℓ.
* ``hinge``: ∂/∂s = −y when the margin y·s < 1, else 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from numbers import Real

import numpy as np

from ..engine import Value
from ..engine import sum as value_sum
from .module import Module

__all__ = [
    "LOSSES",
    "MSE_REDUCTIONS",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "hinge",
    "l2",
    "log_softmax",
    "mean",
    "mse",
    "softmax",
]

ValueLike = Value | float


def _value(x: ValueLike) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _one(pred: ValueLike | Sequence[ValueLike], name: str) -> Value:
    """A single prediction; a model's one-element output list is unwrapped."""
    if isinstance(pred, (list, tuple)):
        if len(pred) != 1:
            raise ValueError(f"{name} takes one prediction, got {len(pred)} values")
        pred = pred[0]
    return _value(pred)  # type: ignore[arg-type]


def _vector(values: ValueLike | Sequence[ValueLike], name: str) -> list[Value]:
    if isinstance(values, (Value, int, float, Real)):
        return [_value(values)]  # type: ignore[arg-type]
    out = [_value(v) for v in values]
    if not out:
        raise ValueError(f"{name} needs at least one value")
    return out


def _number(y: object, name: str) -> float:
    if isinstance(y, bool) or not isinstance(y, (Real, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {y!r}")
    return float(y)  # type: ignore[arg-type]


def mean(losses: Iterable[ValueLike]) -> Value:
    """The average (1/m)·Σ Lₖ of per-sample losses, as one ``Σ`` node times 1/m."""
    losses = list(losses)
    if not losses:
        raise ValueError("mean of an empty batch of losses")
    return value_sum(losses) * (1.0 / len(losses))


MSE_REDUCTIONS = ("mean", "sum", "half_sum")


def mse(
    pred: ValueLike | Sequence[ValueLike],
    target: float | Sequence[float],
    half: bool = False,
    reduction: str | None = None,
) -> Value:
    """Squared error of one sample's n outputs, reduced three ways.

    * ``"mean"`` (the default): (1/n)·Σᵢ (ŷᵢ − yᵢ)², gradient 2(ŷᵢ − yᵢ)/n;
    * ``"sum"``: Σᵢ (ŷᵢ − yᵢ)², gradient 2(ŷᵢ − yᵢ);
    * ``"half_sum"``: ½·Σᵢ (ŷᵢ − yᵢ)² = ½‖ŷ − y‖², gradient ŷᵢ − yᵢ.

    ``half=True`` is the older spelling of
    ``reduction="half_sum"``. With k outputs, ``"sum"`` is k times ``"mean"``: the
    same minimum, a gradient k times larger (so a learning rate k times smaller).
    """
    if reduction is None:
        reduction = "half_sum" if half else "mean"
    elif reduction not in MSE_REDUCTIONS:
        choices = ", ".join(repr(r) for r in MSE_REDUCTIONS)
        raise ValueError(f"mse reduction must be one of {choices}, got {reduction!r}")
    elif half and reduction != "half_sum":
        raise ValueError(f"mse: half=True contradicts reduction={reduction!r}")
    preds = _vector(pred, "mse")
    targets = [target] if isinstance(target, (int, float, Real, np.number)) else list(target)
    if len(targets) != len(preds):
        raise ValueError(f"mse: {len(preds)} predictions but {len(targets)} targets")
    targets = [_number(t, "mse target") for t in targets]
    squares = value_sum([(p - t) ** 2 for p, t in zip(preds, targets)])
    if reduction == "sum":
        return squares
    return squares * (0.5 if reduction == "half_sum" else 1.0 / len(preds))


def binary_cross_entropy(p: ValueLike | Sequence[ValueLike], y: float) -> Value:
    """−[y·log p + (1 − y)·log(1 − p)] for a probability p (e.g. a sigmoid output).

    ``y`` is the probability of class 1, usually 0 or 1. Terms with weight 0 are left
    out, so p = 1 with y = 1 gives 0 rather than 0·log 0 = nan. For raw scores use
    :func:`binary_cross_entropy_with_logits`, which never takes log 0.
    """
    p = _one(p, "binary_cross_entropy")
    y = _number(y, "binary_cross_entropy target")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"binary_cross_entropy target must be in [0, 1], got {y!r}")
    terms = []
    if y:
        terms.append(p.log() * y)
    if y != 1.0:
        terms.append((1.0 - p).log() * (1.0 - y))
    return -value_sum(terms)


def binary_cross_entropy_with_logits(z: ValueLike | Sequence[ValueLike], y: float) -> Value:
    """Binary cross-entropy of σ(z), computed stably from the logit z.

    −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = max(z, 0) − y·z + log(1 + e^(−|z|)),
    which never overflows. Gradient: ∂/∂z = σ(z) − y (also at z = 0, where ``max``
    splits its gradient equally).
    """
    z = _one(z, "binary_cross_entropy_with_logits")
    y = _number(y, "binary_cross_entropy_with_logits target")
    if not 0.0 <= y <= 1.0:
        raise ValueError(f"binary_cross_entropy_with_logits target must be in [0, 1], got {y!r}")
    softplus_tail = (1.0 + (-abs(z)).exp()).log()
    return z.max(0.0) - z * y + softplus_tail


def softmax(values: Sequence[ValueLike]) -> list[Value]:
    """Probabilities ŷᵢ = e^(zᵢ) / Σⱼ e^(zⱼ), computed as e^(zᵢ − m) / Σⱼ e^(zⱼ − m).

    Subtracting the constant m = max z changes nothing mathematically (numerator and
    denominator both gain the factor e^(−m)) but keeps every exponent ≤ 0.
    """
    zs = _vector(values, "softmax")
    m = max(z.data for z in zs)
    exps = [(z - m).exp() for z in zs]
    total = value_sum(exps)
    return [e / total for e in exps]


def _log_sum_exp(zs: list[Value]) -> tuple[Value, float]:
    """log Σⱼ e^(zⱼ − m) and the shift m = max z (so log Σ e^zⱼ = result + m)."""
    m = max(z.data for z in zs)
    if not math.isfinite(m):
        m = 0.0
    return value_sum([(z - m).exp() for z in zs]).log(), m


def log_softmax(values: Sequence[ValueLike]) -> list[Value]:
    """log ŷᵢ = zᵢ − log Σⱼ e^(zⱼ), via the stable log-sum-exp."""
    zs = _vector(values, "log_softmax")
    lse, m = _log_sum_exp(zs)
    return [(z - m) - lse for z in zs]


def cross_entropy(logits: Sequence[ValueLike], target: int) -> Value:
    """−log softmax(z)[ℓ] = log Σⱼ e^(zⱼ) − z_ℓ for the true class index ℓ.

    Stable (log-sum-exp with the max subtracted). Its gradient with respect to the
    logits is ŷ − e(ℓ): the softmax probabilities minus the one-hot vector of ℓ.
    """
    zs = _vector(logits, "cross_entropy")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)):
        raise ValueError(f"cross_entropy target must be a class index (int), got {target!r}")
    if not 0 <= target < len(zs):
        raise ValueError(f"cross_entropy target {target} is not a class in 0..{len(zs) - 1}")
    lse, m = _log_sum_exp(zs)
    return lse - (zs[int(target)] - m)


def hinge(score: ValueLike | Sequence[ValueLike], y: float) -> Value:
    """Max-margin loss max(0, 1 − y·s) for a score s and a label y in {−1, +1}.

    Zero once the sample is on the right side with margin y·s ≥ 1; otherwise the
    gradient ∂/∂s = −y pushes the score towards its label.
    """
    s = _one(score, "hinge")
    y = _number(y, "hinge label")
    if y not in (-1.0, 1.0):
        raise ValueError(f"hinge labels must be -1 or +1, got {y!r}")
    return (1.0 - s * y).relu()


def l2(params: Iterable[Value] | Module, alpha: float) -> Value:
    """L2 penalty α·Σ p² over ``params`` (a Module's parameters, or any Values).

    Its gradient 2α·p shrinks every weight towards 0 ("weight decay").
    """
    alpha = _number(alpha, "alpha")
    if alpha < 0:
        raise ValueError(f"l2 alpha must be >= 0, got {alpha!r}")
    ps = params.parameters() if isinstance(params, Module) else list(params)
    return value_sum([p * p for p in ps]) * alpha


#: Loss names accepted by ``fit`` and the command line.
LOSSES: dict[str, Callable[..., Value]] = {
    "mse": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "bce_with_logits": binary_cross_entropy_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
}
