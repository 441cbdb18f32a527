"""EarlyStopping: stop when a monitored value stops improving, optionally restoring the best weights."""

from __future__ import annotations

import warnings

import numpy as np

from .base import Callback, monitor_mode


class EarlyStopping(Callback):
    """Stop training once ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    ``mode`` is "min", "max" or "auto" (max for accuracy-like names). Epochs before
    ``start_from_epoch`` are not monitored (warm-up). With ``restore_best_weights`` the weights of the
    best epoch are copied at that epoch and loaded back when training ends, whether it stopped early
    or ran out of epochs. ``baseline``: stop unless the value beats it within ``patience`` epochs.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        super().__init__()
        if patience < 0 or start_from_epoch < 0:
            raise ValueError(
                f"EarlyStopping: patience and start_from_epoch must be >= 0, got {patience} and "
                f"{start_from_epoch}"
            )
        self.monitor = monitor
        self.mode = monitor_mode(monitor, mode, "EarlyStopping")
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)

    def _improved(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.mode == "min" else -np.inf
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"EarlyStopping: monitored value {self.monitor!r} is not in the logs "
                f"(available: {sorted(logs or {})}); skipping",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        reference = self.best
        if self.best_epoch is None and self.baseline is not None:
            reference = self.baseline
        if self._improved(value, reference):
            self.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = {k: v.copy() for k, v in self.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= max(self.patience, 1):
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping ({self.monitor} best {self.best:.6g})")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"Restoring weights from the best epoch ({self.best_epoch + 1})")
