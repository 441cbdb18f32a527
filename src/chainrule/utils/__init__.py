"""``keras.utils``: ``to_categorical``, ``normalize``, ``set_random_seed``, ``PyDataset``, the
custom-object registry; and ``chainrule.utils.data`` (``DataLoader``, ``TensorDataset``, …)."""

from __future__ import annotations

import numpy as np

from ..saving import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    register_keras_serializable,
)
from . import data
from .py_dataset import PyDataset, Sequence

__all__ = [
    "CustomObjectScope", "PyDataset", "Sequence", "custom_object_scope", "data",
    "get_custom_objects", "normalize", "register_keras_serializable", "set_random_seed",
    "to_categorical",
]  # fmt: skip


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """Integer class labels (any shape; a trailing axis of size 1 is dropped) → one-hot float32
    of shape ``labels.shape + (num_classes,)``. ``num_classes`` defaults to ``max(x) + 1``."""
    labels = np.asarray(getattr(x, "data", x))
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        if not np.all(np.equal(np.mod(labels, 1), 0)):
            raise ValueError("to_categorical: labels must be whole numbers")
        labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {int(labels.min())}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {int(labels.max())} is out of range for num_classes="
            f"{num_classes}"
        )
    out = np.zeros(labels.shape + (int(num_classes),), dtype=np.float32)
    np.put_along_axis(out, labels[..., None].astype(np.intp), 1.0, axis=-1)
    return out


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """``x`` divided by its ``order``-norm along ``axis`` (zero vectors stay zero)."""
    arr = np.asarray(getattr(x, "data", x))
    norm = np.linalg.norm(arr, ord=order, axis=axis, keepdims=True)
    norm = np.where(norm == 0, 1, norm)
    return (arr / norm).astype(arr.dtype if arr.dtype.kind == "f" else np.float32)


def set_random_seed(seed: int) -> None:
    """Seed every random draw of chainrule (weights, dropout, shuffling), Python's ``random`` and
    NumPy's global generator, as Keras does for its backends."""
    import random

    from ..random import manual_seed

    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed: seed must be an int, got {seed!r}")
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    manual_seed(int(seed))
