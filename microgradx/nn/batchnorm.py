"""Batch normalisation for the scalar engine: ``BatchNorm`` normalises each feature over
a batch of samples, ``γ·(x − mean)/√(var + eps) + β``, with running statistics for
evaluation (PyTorch's ``BatchNorm1d`` rule and defaults)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Real
from typing import Any

import numpy as np

from .._checks import positive_int
from .._gc import paused
from ..engine import Value, scope
from ..engine import sum as value_sum
from . import serialize
from .base import Module, _param, _sizes
from .serialize import FORMAT as FORMAT  # re-exported: the file format's home is serialize
from .serialize import FORMAT_VERSION as FORMAT_VERSION
from .serialize import MAX_PARAMETERS as MAX_PARAMETERS
from .serialize import MODEL_CLASSES as MODEL_CLASSES

__all__ = ["BatchNorm"]


@serialize.register_model
class BatchNorm(Module):
    """Batch normalisation of ``num_features`` features over the samples of a batch.

    In training mode, for a batch of m rows and each feature j:

        μⱼ = (1/m)·Σₖ xₖⱼ                σⱼ² = (1/m)·Σₖ (xₖⱼ − μⱼ)²
        x̂ₖⱼ = (xₖⱼ − μⱼ)·(σⱼ² + ε)^(−½)   yₖⱼ = γⱼ·x̂ₖⱼ + βⱼ

    all built from Values, so the gradient also flows through μ and σ²: every output
    of a feature depends on every sample's input in that feature. Each training pass
    also moves the running statistics, as ``torch.nn.BatchNorm1d`` does:

        r_μ ← (1 − momentum)·r_μ + momentum·μ
        r_σ² ← (1 − momentum)·r_σ² + momentum·σ²·m/(m − 1)   (the unbiased variance)

    In evaluation mode a sample is normalised alone with them:
    yⱼ = γⱼ·(xⱼ − r_μⱼ)/√(r_σ²ⱼ + ε) + βⱼ.

    A batch goes through :meth:`forward_rows` (rows of numbers or Values, returns
    rows of Values); calling the module on one sample works in evaluation mode only.
    γ starts at 1 and β at 0 (learnable parameters ``gamma{j}``, ``beta{j}``); the
    running statistics start at 0 and 1 and are saved with the model.
    """

    def __init__(
        self,
        num_features: int,
        momentum: float = 0.1,
        eps: float = 1e-5,
        *,
        name: str = "bn",
    ) -> None:
        self.nin = self.nout = self.num_features = positive_int("num_features", num_features)
        serialize.check_parameter_count(f"BatchNorm({self.nin})", 2 * self.nin)
        for what, x in (("momentum", momentum), ("eps", eps)):
            if isinstance(x, bool) or not isinstance(x, Real) or not 0 <= float(x) <= 1:
                raise ValueError(f"{what} must be a number in [0, 1], got {x!r}")
        if not eps > 0:
            raise ValueError(f"eps must be > 0 (it keeps 1/√(σ² + ε) finite), got {eps!r}")
        self.momentum, self.eps, self.name = float(momentum), float(eps), name
        with scope(name):
            self.gamma = [_param(1.0, f"γ{j}") for j in range(self.nin)]
            self.beta = [_param(0.0, f"β{j}") for j in range(self.nin)]
        self.running_mean = np.zeros(self.nin)
        self.running_var = np.ones(self.nin)

    @classmethod
    def count_parameters(cls, config: Mapping[str, Any]) -> int:
        """γ and β per feature, and the two running statistics (saved in the state)."""
        [n] = _sizes(config, "num_features")
        return 4 * n

    def named_parameters(self) -> list[tuple[str, Value]]:
        return [(f"gamma{j}", g) for j, g in enumerate(self.gamma)] + [
            (f"beta{j}", b) for j, b in enumerate(self.beta)
        ]

    def named_buffers(self) -> list[tuple[str, float]]:
        return [(f"running_mean{j}", float(x)) for j, x in enumerate(self.running_mean)] + [
            (f"running_var{j}", float(x)) for j, x in enumerate(self.running_var)
        ]

    def load_buffers(self, values: Mapping[str, float]) -> None:
        for j in range(self.nin):
            self.running_mean[j] = values[f"running_mean{j}"]
            self.running_var[j] = values[f"running_var{j}"]

    @property
    def couples_samples(self) -> bool:
        return self.training

    def _check_rows(self, rows: Sequence[Sequence[float | Value]]) -> list[list[Any]]:
        checked = [self._check_input(r) for r in rows]
        if not checked:
            raise ValueError("BatchNorm needs a batch with at least one row")
        return checked

    @paused  # builds the graph of a forward pass: no cycles, no collector (see _gc.py)
    def forward_rows(self, rows: Sequence[Sequence[float | Value]]) -> list[list[Value]]:
        """``y = γ·x̂ + β`` for every row of the batch (training: batch statistics)."""
        checked = self._check_rows(rows)
        if not self.training:
            return [self._eval_row(r) for r in checked]
        m = len(checked)
        if m < 2:
            raise ValueError(
                "BatchNorm in training mode needs at least 2 samples per batch (the "
                "variance of one sample is 0); use a batch_size that leaves no batch of "
                "1, or model.eval() for single samples"
            )
        out: list[list[Value]] = [[] for _ in range(m)]
        means, variances = [], []
        with scope(self.name):
            for j in range(self.nin):
                col = [r[j] if isinstance(r[j], Value) else Value(float(r[j])) for r in checked]
                mu = value_sum(col) * (1.0 / m)
                diffs = [x - mu for x in col]
                var = value_sum([d**2 for d in diffs]) * (1.0 / m)
                inv_std = (var + self.eps) ** -0.5
                for k, d in enumerate(diffs):
                    out[k].append(self.gamma[j] * (d * inv_std) + self.beta[j])
                means.append(mu.data)
                variances.append(var.data)
        mom = self.momentum
        self.running_mean = (1 - mom) * self.running_mean + mom * np.array(means)
        unbiased = np.array(variances) * (m / (m - 1))
        self.running_var = (1 - mom) * self.running_var + mom * unbiased
        return out

    def _eval_row(self, row: Sequence[float | Value]) -> list[Value]:
        scale = 1.0 / np.sqrt(self.running_var + self.eps)
        with scope(self.name):
            return [
                self.gamma[j] * ((x - float(self.running_mean[j])) * float(scale[j]))
                + self.beta[j]
                for j, x in enumerate(row)
            ]

    @paused
    def __call__(self, x: Sequence[float | Value]) -> list[Value]:
        """One sample, normalised with the running statistics (evaluation mode only)."""
        if self.training:
            raise ValueError(
                "BatchNorm in training mode normalises over a batch: call "
                "forward_rows(rows) with the whole batch, or eval() first for one sample"
            )
        return self._eval_row(self._check_input(x))

    def forward_batch(self, X: np.ndarray) -> np.ndarray:
        """numpy, no graph: batch statistics in training mode (the running ones are not
        moved), running statistics in evaluation mode."""
        X = self._check_batch(X)
        if self.training:
            mean, var = X.mean(axis=0), X.var(axis=0)
        else:
            mean, var = self.running_mean, self.running_var
        gamma = np.array([g.data for g in self.gamma])
        beta = np.array([b.data for b in self.beta])
        return gamma * (X - mean) / np.sqrt(var + self.eps) + beta

    def config(self) -> dict[str, Any]:
        return {
            "num_features": self.nin,
            "momentum": self.momentum,
            "eps": self.eps,
            "name": self.name,
        }

    def __repr__(self) -> str:
        return f"BatchNorm({self.nin}, momentum={self.momentum:g}, eps={self.eps:g})"
