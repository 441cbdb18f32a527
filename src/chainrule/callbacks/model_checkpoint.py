"""ModelCheckpoint: save the model (or its weights) each epoch or only when it improves.

Every file is written atomically (temporary file, fsync, rename), so an interrupted save leaves the
previous checkpoint intact.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..io.atomic import atomic_write_with
from .base import Callback, monitor_mode


def save_weights_npz(model, path: str | os.PathLike) -> Path:
    """Write ``model.state_dict()`` as an ``.npz`` archive at ``path``, atomically."""
    state = {k: np.asarray(v) for k, v in model.state_dict().items()}
    return atomic_write_with(path, lambda f: np.savez(f, **state))


class ModelCheckpoint(Callback):
    """Save at the end of each epoch to ``filepath`` (may hold ``{epoch:02d}``, ``{val_loss:.3f}``...).

    ``epoch`` in the name counts from 1. With ``save_best_only`` a file is written only when
    ``monitor`` improves on the best value so far (``mode``: "min", "max" or "auto"). With
    ``save_weights_only`` (or when the model has no ``save`` method) ``model.save_weights`` writes
    the weights. ``best`` holds the best monitored value and ``last_saved`` the last path written.
    """

    rank_zero_only = True  # writes files or prints: rank 0 alone under chainrule.distributed

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
    ):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = monitor_mode(monitor, mode, "ModelCheckpoint")
        self.best = np.inf if self.mode == "min" else -np.inf
        self.last_saved: Path | None = None

    def _path(self, epoch: int, logs: dict) -> Path:
        try:
            return Path(self.filepath.format(epoch=epoch + 1, **logs))
        except KeyError as e:
            raise ValueError(
                f"ModelCheckpoint: filepath {self.filepath!r} uses {e}, which is not in the logs "
                f"(available: epoch, {', '.join(sorted(logs))})"
            ) from None

    def _save(self, path: Path) -> None:
        model = self.model
        saver = None if self.save_weights_only else getattr(model, "save", None)
        if saver is None:
            saver = getattr(model, "save_weights", None) or (lambda p: save_weights_npz(model, p))
        saver(path)
        self.last_saved = path

    def on_epoch_end(self, epoch: int, logs=None):
        logs = dict(logs or {})
        path = self._path(epoch, logs)
        if not self.save_best_only:
            self._save(path)
            return
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"ModelCheckpoint: cannot save best only, {self.monitor!r} is not in the logs "
                f"(available: {sorted(logs)})",
                stacklevel=2,
            )
            return
        better = value < self.best if self.mode == "min" else value > self.best
        if better and np.isfinite(value):
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved to {value:.5g}, saving {path}")
            self.best = value
            self._save(path)
