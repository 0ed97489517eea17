"""What runs beside the training loop: early stopping and the progress display."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

from .._checks import positive_int

__all__ = ["EarlyStopping"]


@dataclass
class EarlyStopping:
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    ``monitor`` is ``"val_loss"`` (the default when validation data is given) or
    ``"loss"``. With ``restore_best`` the weights of the best epoch are put back.
    """

    patience: int = 10
    min_delta: float = 0.0
    monitor: str | None = None
    restore_best: bool = True

    def __post_init__(self) -> None:
        self.patience = positive_int("patience", self.patience)
        if not self.min_delta >= 0:
            raise ValueError(f"min_delta must be >= 0, got {self.min_delta!r}")
        if self.monitor not in (None, "loss", "val_loss"):
            raise ValueError(f"monitor must be 'loss' or 'val_loss', got {self.monitor!r}")


class _Progress:
    """A tqdm bar when tqdm is installed, else a printed line for the first epoch, every
    tenth of the run and the last epoch (at most about a dozen lines), or nothing."""

    def __init__(self, epochs: int, enabled: bool, desc: str = "training") -> None:
        self.epochs = epochs
        self.every = max(1, math.ceil(epochs / 10))
        self.unprinted: dict[str, Any] | None = None  # the last record, if not printed
        self.bar = None
        self.enabled = enabled
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=epochs, desc=desc, unit="epoch", leave=True)

    def update(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        parts = self._parts(record)
        if self.bar is not None:
            self.bar.set_postfix_str("  ".join(parts), refresh=False)
            self.bar.update(1)
        else:
            epoch = record["epoch"]
            if epoch == 1 or epoch % self.every == 0 or epoch == self.epochs:
                self._print(record, parts)
                self.unprinted = None
            else:
                self.unprinted = record

    @staticmethod
    def _parts(record: dict[str, Any]) -> list[str]:
        parts = [f"loss {record['loss']:.4f}"]
        if record.get("accuracy") is not None:
            parts.append(f"accuracy {record['accuracy']:6.1%}")
        if "val_loss" in record:
            parts.append(f"val_loss {record['val_loss']:.4f}")
            if record.get("val_accuracy") is not None:
                parts.append(f"val_accuracy {record['val_accuracy']:6.1%}")
        return parts

    def _print(self, record: dict[str, Any], parts: list[str]) -> None:
        width = len(str(self.epochs))
        head = f"epoch {record['epoch']:>{width}}/{self.epochs}"
        print(f"{head}  " + "  ".join(parts) + f"  ({record['seconds']:.2f} s)")
        sys.stdout.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.unprinted is not None:  # a run that stopped early: its last epoch
            record, self.unprinted = self.unprinted, None
            self._print(record, self._parts(record))
