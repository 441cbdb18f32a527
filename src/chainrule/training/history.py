"""History: the callback that fit always adds and returns; ``.history[name]`` is a per-epoch list."""

from __future__ import annotations

from ..callbacks.base import Callback


class History(Callback):
    """Records the epoch logs: ``history["loss"]``, ``history["val_accuracy"]``, ... (floats).

    ``epoch`` lists the epoch indices recorded (they start at ``initial_epoch``).
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"
