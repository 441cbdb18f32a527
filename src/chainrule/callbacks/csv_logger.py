"""CSVLogger: one row per epoch (epoch, then every log key in sorted order)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

from .base import Callback


class CSVLogger(Callback):
    """Write the epoch logs to ``filename`` as CSV; ``append`` continues an existing file.

    The header is fixed by the first epoch's keys; the file is flushed after each row so a crash
    loses at most the epoch in progress.
    """

    rank_zero_only = True  # writes files or prints: rank 0 alone under chainrule.distributed

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = Path(filename)
        self.separator = separator
        self.append = append
        self._file = None
        self._writer = None
        self._keys = None

    def on_train_begin(self, logs=None):
        existing = self.append and self.filename.exists() and self.filename.stat().st_size > 0
        if existing:
            with open(self.filename, newline="") as f:
                header = f.readline().strip()
            self._keys = header.split(self.separator)[1:] if header else None
        else:
            self._keys = None
        self._file = open(self.filename, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=self.separator)
        self._header_written = existing

    def on_epoch_end(self, epoch: int, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
        if not self._header_written:
            self._writer.writerow(["epoch", *self._keys])
            self._header_written = True
        self._writer.writerow([epoch, *(logs.get(k, "") for k in self._keys)])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
