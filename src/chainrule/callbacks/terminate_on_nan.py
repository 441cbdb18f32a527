"""TerminateOnNaN: stop at the first batch whose loss (or any loss term) is NaN or infinite."""

from __future__ import annotations

import math

from .base import Callback


class TerminateOnNaN(Callback):
    """Stop training when a batch's ``loss`` or any ``*loss`` term in its logs is not finite.

    The message (also kept in ``self.message``) names the epoch, the batch and the terms at fault,
    e.g. ``batch 3 of epoch 1: loss term 'out_b_loss' is nan``.
    """

    def __init__(self, verbose: int = 1):
        super().__init__()
        self.verbose = verbose
        self.message: str | None = None

    def on_epoch_begin(self, epoch: int, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs=None):
        logs = logs or {}
        bad = [
            f"{k!r} is {v}"
            for k, v in logs.items()
            if k.endswith("loss") and k != "loss" and not math.isfinite(v)
        ]
        total = logs.get("loss")
        if total is None or (math.isfinite(total) and not bad):
            return
        terms = "; ".join(bad) if bad else f"'loss' is {total}"
        self.message = (
            f"TerminateOnNaN: batch {batch} of epoch {getattr(self, '_epoch', 0)}: loss term "
            f"{terms}; stopping training"
        )
        if self.verbose:
            print(self.message)
        self.model.stop_training = True
