"""Streaming metrics and the ``get`` registry behind ``compile(metrics=["accuracy", ...])``."""

from __future__ import annotations

from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .base import Mean, MeanMetricWrapper, Metric
from .classification import AUC, F1Score, Precision, Recall, confusion_matrix
from .regression import (
    MeanAbsoluteError,
    MeanSquaredError,
    mean_absolute_error,
    mean_squared_error,
)

_REGISTRY = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision,
    "recall": Recall,
    "f1": F1Score,
    "f1_score": F1Score,
    "auc": AUC,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
}


def _loss_hint(loss) -> tuple[str, bool]:
    """(lower-case name, from_logits) of a loss given as a string, object or function."""
    if loss is None:
        return "", False
    if isinstance(loss, str):
        return loss.lower(), False
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return str(name).lower(), bool(getattr(loss, "from_logits", False))


def accuracy_for_loss(loss=None, name: str = "accuracy") -> Metric:
    """The accuracy that matches ``loss``: sparse, categorical or binary (threshold 0 for logits).

    When the loss says nothing (e.g. "mse" or None), the kind is decided from the shapes at the
    first update (see :class:`Accuracy`).
    """
    hint, from_logits = _loss_hint(loss)
    compact = hint.replace("_", "")
    if "sparse" in compact:
        kind = "sparse"
    elif "categorical" in compact or "crossentropy" == compact:
        kind = "categorical"
    elif "binary" in compact or "hinge" in compact:
        kind = "binary"
    else:
        kind = None
    return Accuracy(kind=kind, threshold=0.0 if from_logits else 0.5, name=name)


def get(identifier, loss=None) -> Metric:
    """A fresh Metric from a name ("accuracy", "auc", "mse", ...), a Metric, or a function.

    ``"accuracy"``/``"acc"`` picks binary, categorical or sparse accuracy from ``loss``. A function
    ``fn(y_true, y_pred) -> (N,) per-sample values`` becomes the running mean of its values.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return accuracy_for_loss(loss, name=identifier)
        if key in _REGISTRY:
            return _REGISTRY[key](name=identifier)
        raise ValueError(
            f"Unknown metric {identifier!r}; known: {sorted(['accuracy', 'acc', *_REGISTRY])}"
        )
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(
        f"metrics.get: expected a metric name, Metric or function, got {type(identifier).__name__}"
    )


__all__ = [
    "AUC", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "F1Score", "Mean",
    "MeanAbsoluteError", "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "Recall",
    "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy",
    "accuracy_for_loss", "binary_accuracy", "categorical_accuracy", "confusion_matrix", "get",
    "mean_absolute_error", "mean_squared_error", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]  # fmt: skip
