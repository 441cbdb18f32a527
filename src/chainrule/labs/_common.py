"""Small pieces the labs share: model builders, per-batch loss recording, series helpers."""

from __future__ import annotations

import math
import time

import numpy as np

from ..callbacks import Callback


class BatchLosses(Callback):
    """Records each training batch's own loss (fit's batch logs are running means over the epoch;
    the batch's value is recovered from two consecutive means) and the training time."""

    def __init__(self):
        super().__init__()
        self.losses: list[float] = []
        self.times: list[float] = []
        self._elapsed = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._prev_mean, self._seen = 0.0, 0
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        mean = float(logs["loss"])
        size, n = self.params["batch_size"], self.params["samples"]
        seen = min((batch + 1) * size, n)
        self.losses.append((mean * seen - self._prev_mean * self._seen) / (seen - self._seen))
        self._prev_mean, self._seen = mean, seen
        self.times.append(self._elapsed + time.perf_counter() - self._t0)

    def on_epoch_end(self, epoch, logs=None):
        self._elapsed += time.perf_counter() - self._t0


def smooth(values, beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average (NaN/inf pass through)."""
    out = np.empty(len(values))
    avg = 0.0
    for i, v in enumerate(values):
        avg = beta * avg + (1 - beta) * v
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def first_below(values, threshold: float) -> int | None:
    """Index of the first value below ``threshold`` (None if never)."""
    for i, v in enumerate(values):
        if math.isfinite(v) and v < threshold:
            return i
    return None


def fmt(x: float) -> str:
    """4 significant digits; "never" for +inf (a threshold not reached), "nan" for NaN."""
    if x == math.inf:
        return "never"
    return "nan" if not math.isfinite(x) else f"{x:.4g}"
