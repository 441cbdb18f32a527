"""Learning-rate callbacks: a per-epoch schedule, and reduce-on-plateau.

Both read and write the optimiser's learning rate through :func:`get_lr` / :func:`set_lr`, which
accept optimisers exposing ``lr`` or ``learning_rate``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import Callback, monitor_mode


def _attr(optimizer) -> str:
    for name in ("lr", "learning_rate"):
        if hasattr(optimizer, name):
            return name
    raise TypeError(
        f"{type(optimizer).__name__} has no 'lr' or 'learning_rate' attribute to schedule"
    )


def get_lr(optimizer) -> float:
    """The optimiser's current learning rate."""
    return float(getattr(optimizer, _attr(optimizer)))


def set_lr(optimizer, value: float) -> None:
    """Set the optimiser's learning rate (a Python float)."""
    setattr(optimizer, _attr(optimizer), float(value))


class LearningRateScheduler(Callback):
    """At each epoch start, ``lr = schedule(epoch, lr)``; the rate is logged as ``lr``."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be callable (epoch, lr) -> lr")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs=None):
        opt = self.model.optimizer
        lr = self.schedule(epoch, get_lr(opt))
        if (
            not isinstance(lr, (float, int, np.floating, np.integer))
            or not np.isfinite(lr)
            or lr < 0
        ):
            raise ValueError(
                f"LearningRateScheduler: schedule returned {lr!r} at epoch {epoch}; expected a "
                "finite float >= 0"
            )
        set_lr(opt, lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler sets the learning rate to {lr:.6g}")

    def on_epoch_end(self, epoch: int, logs=None):
        if logs is not None:
            logs["lr"] = get_lr(self.model.optimizer)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs.

    After a reduction, ``cooldown`` epochs pass before counting again; the rate never goes below
    ``min_lr``. An improvement is a change beyond ``min_delta`` in the direction of ``mode``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ):
        super().__init__()
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = monitor_mode(monitor, mode, "ReduceLROnPlateau")
        self.min_delta = abs(float(min_delta))
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)

    def on_train_begin(self, logs=None):
        self.best = np.inf if self.mode == "min" else -np.inf
        self.wait = 0
        self.cooldown_left = 0

    def on_epoch_end(self, epoch: int, logs=None):
        logs = logs if logs is not None else {}
        opt = self.model.optimizer
        logs["lr"] = get_lr(opt)
        value = logs.get(self.monitor)
        if value is None:
            return
        better = (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        )
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if better:
            self.best = value
            self.wait = 0
        elif self.cooldown_left == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = get_lr(opt)
                new = max(old * self.factor, self.min_lr)
                if new < old:
                    set_lr(opt, new)
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau lowers the rate to {new:.6g}")
                self.cooldown_left = self.cooldown
                self.wait = 0
