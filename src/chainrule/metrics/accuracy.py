"""Accuracy metrics: binary, categorical (one-hot targets), sparse (integer targets) and top-k.

Shapes: ``y_pred`` is (N,) or (N, 1) for binary problems and (N, C) for C classes; ``y_true`` is
(N,) / (N, 1) of 0/1 (binary), (N, C) one-hot (categorical) or (N,) / (N, 1) integers (sparse).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .base import MeanMetricWrapper, as_array


def binary_accuracy(y_true, y_pred, threshold: float = 0.5) -> np.ndarray:
    """Per-sample 1.0 where ``(y_pred > threshold) == y_true``; shape (N,) (mean over extra axes)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    hit = (y_pred > threshold) == (y_true.reshape(y_pred.shape) > 0.5)
    return hit.reshape(len(hit), -1).mean(axis=1) if hit.ndim > 1 else hit.astype(np.float64)


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """Per-sample 1.0 where argmax(y_pred) == argmax(y_true); y_true one-hot (N, C)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    return (y_pred.argmax(axis=-1) == y_true.argmax(axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """Per-sample 1.0 where argmax(y_pred) equals the integer label; y_true (N,) or (N, 1)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    labels = y_true.reshape(y_pred.shape[:-1])
    return (y_pred.argmax(axis=-1) == labels).astype(np.float64)


def _top_k_hits(labels: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """1.0 where the label's score is among the k largest (ties count against the label)."""
    labels = labels.astype(np.int64).reshape(-1)
    scores = y_pred.reshape(len(labels), -1)
    own = scores[np.arange(len(labels)), labels]
    return ((scores > own[:, None]).sum(axis=1) < k).astype(np.float64)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """Per-sample 1.0 where the one-hot target's class is in the top ``k`` predictions."""
    return _top_k_hits(as_array(y_true).argmax(axis=-1), as_array(y_pred), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """Per-sample 1.0 where the integer label is in the top ``k`` predictions."""
    return _top_k_hits(as_array(y_true), as_array(y_pred), k)


class BinaryAccuracy(MeanMetricWrapper):
    """Fraction of ``(y_pred > threshold) == y_true``; use ``threshold=0`` for logits."""

    def __init__(self, threshold: float = 0.5, name: str = "binary_accuracy"):
        self.threshold = float(threshold)
        super().__init__(lambda t, p: binary_accuracy(t, p, self.threshold), name)

    def get_config(self) -> dict:
        return {"name": self.name, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose argmax prediction matches the one-hot target."""

    def __init__(self, name: str = "categorical_accuracy"):
        super().__init__(categorical_accuracy, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose argmax prediction equals the integer label."""

    def __init__(self, name: str = "sparse_categorical_accuracy"):
        super().__init__(sparse_categorical_accuracy, name)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose one-hot target class is among the top ``k`` scores."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy"):
        self.k = _check_k(k)
        super().__init__(lambda t, p: top_k_categorical_accuracy(t, p, self.k), name)

    def get_config(self) -> dict:
        return {"name": self.name, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose integer label is among the top ``k`` scores."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy"):
        self.k = _check_k(k)
        super().__init__(lambda t, p: sparse_top_k_categorical_accuracy(t, p, self.k), name)

    def get_config(self) -> dict:
        return {"name": self.name, "k": self.k}


def _check_k(k) -> int:
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"top-k accuracy: k must be a positive int, got {k!r}")
    return int(k)


class Accuracy(MeanMetricWrapper):
    """``"accuracy"``: binary, categorical or sparse accuracy, chosen from the loss or the shapes.

    ``kind`` is "binary", "categorical" or "sparse"; when None it is decided at the first update:
    predictions with one column (or none) are binary, targets shaped like the predictions are
    one-hot, anything else is sparse integer labels. ``threshold`` applies to the binary case.
    """

    _fns: ClassVar[dict] = {
        "categorical": categorical_accuracy,
        "sparse": sparse_categorical_accuracy,
    }

    def __init__(self, kind: str | None = None, threshold: float = 0.5, name: str = "accuracy"):
        if kind not in (None, "binary", "categorical", "sparse"):
            raise ValueError(f"Accuracy: kind must be binary, categorical or sparse, got {kind!r}")
        self.kind = kind
        self.threshold = float(threshold)
        super().__init__(self._compute, name)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if (
            sample_weight is None
            and self.kind == "sparse"
            and type(y_pred) is np.ndarray
            and type(y_true) is np.ndarray
        ):  # the per-batch hot path in fit: count hits without per-sample float arrays
            hits = y_pred.argmax(axis=-1) == y_true.reshape(y_pred.shape[:-1])
            self.total += float(np.count_nonzero(hits))
            self.count += float(hits.size)
            return
        super().update_state(y_true, y_pred, sample_weight)

    def _compute(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        if self.kind is None:
            if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
                self.kind = "binary"
            elif y_true.shape == y_pred.shape:
                self.kind = "categorical"
            else:
                self.kind = "sparse"
        if self.kind == "binary":
            return binary_accuracy(y_true, y_pred, self.threshold)
        return self._fns[self.kind](y_true, y_pred)

    def get_config(self) -> dict:
        return {"name": self.name, "kind": self.kind, "threshold": self.threshold}
