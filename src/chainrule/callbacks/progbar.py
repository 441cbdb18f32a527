"""ProgbarLogger: the progress display fit adds when ``verbose > 0``.

``verbose=1``: a tqdm bar per epoch with the running loss and metrics, left showing the epoch's
summary (validation values included) when the epoch ends;
``verbose=2``: only the summary line per epoch. Without tqdm (the ``progress`` extra) the summary
lines are printed alone. ``verbose=0`` means fit adds no ProgbarLogger at all.
"""

from __future__ import annotations

import sys
import time

from .base import Callback

REFRESH_S = 0.1
"""Minimum seconds between two updates of the bar's loss/metric text (formatting costs time)."""


def format_logs(logs: dict) -> str:
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if isinstance(v, (int, float)))


class ProgbarLogger(Callback):
    """Progress bar (verbose=1) or one line per epoch (verbose=2), written to ``file``."""

    rank_zero_only = True  # writes files or prints: rank 0 alone under chainrule.distributed

    def __init__(self, verbose: int = 1, file=None):
        super().__init__()
        self.verbose = verbose
        self.file = file
        self._bar = None

    def _out(self):
        return self.file if self.file is not None else sys.stdout

    def on_epoch_begin(self, epoch: int, logs=None):
        self._epoch = epoch
        self._start = time.perf_counter()
        self._last = 0.0
        epochs = self.params.get("epochs", "?")
        if self.verbose != 1:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            print(f"Epoch {epoch + 1}/{epochs}", file=self._out())
            return
        self._bar = tqdm(
            total=self.params.get("steps"),
            desc=f"Epoch {epoch + 1}/{epochs}",
            unit="batch",
            file=self._out(),
            leave=True,
            dynamic_ncols=True,
        )

    def on_train_batch_end(self, batch: int, logs=None):
        bar = self._bar
        if bar is None:
            return
        bar.update(1)
        now = time.perf_counter()
        if now - self._last >= REFRESH_S:
            self._last = now
            bar.set_postfix_str(format_logs(logs or {}), refresh=False)

    def on_epoch_end(self, epoch: int, logs=None):
        seconds = time.perf_counter() - self._start
        summary = format_logs(logs or {})
        if self._bar is not None:  # the closed bar already shows the epoch's time and summary
            self._bar.set_postfix_str(summary, refresh=False)
            self._bar.close()
            self._bar = None
            return
        epochs = self.params.get("epochs", "?")
        print(f"Epoch {epoch + 1}/{epochs} - {seconds:.1f}s - {summary}", file=self._out())

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
