"""Callbacks for ``Model.fit``: progress, early stopping, checkpoints, learning-rate control, logs."""

from .base import Callback, CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .gradient_monitor import GradientMonitor
from .lambda_callback import LambdaCallback
from .lr import LearningRateScheduler, ReduceLROnPlateau, get_lr, set_lr
from .model_checkpoint import ModelCheckpoint, save_weights_npz
from .progbar import ProgbarLogger
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN


def __getattr__(name: str):
    """``History`` lives in chainrule.training (it imports this package), so it is loaded lazily."""
    if name == "History":
        from ..training.history import History

        return History
    if name == "BackupAndRestore":  # built on chainrule.io, which imports this package
        from .backup import BackupAndRestore

        return BackupAndRestore
    raise AttributeError(f"module 'chainrule.callbacks' has no attribute {name!r}")


__all__ = [
    "BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "GradientMonitor", "History", "LambdaCallback",
    "LearningRateScheduler", "ModelCheckpoint", "ProgbarLogger", "ReduceLROnPlateau",
    "TensorBoard", "TerminateOnNaN", "get_lr", "save_weights_npz", "set_lr",
]  # fmt: skip
