"""Streaming metrics and the ``get`` registry behind ``compile(metrics=["accuracy", ...])``."""

from __future__ import annotations

from .. import custom_objects as _custom
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
    R2Score,
    RootMeanSquaredError,
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
_CLASSES = {
    cls.__name__: cls
    for cls in (Accuracy, AUC, BinaryAccuracy, CategoricalAccuracy, F1Score, MeanAbsoluteError,
                MeanSquaredError, Precision, R2Score, Recall, RootMeanSquaredError,
                SparseCategoricalAccuracy,
                SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy)
}  # fmt: skip


def _loss_hint(loss) -> tuple[str, float | None]:
    """(lower-case kind or name, decision threshold or None) of a loss string, object or function.

    Loss objects from :mod:`chainrule.losses` carry ``kind`` ("binary", "categorical",
    "sparse_categorical", "regression") and, for binary losses, ``threshold``.
    """
    if loss is None:
        return "", None
    if isinstance(loss, str):
        return loss.lower(), None
    kind = getattr(loss, "kind", None)
    name = kind or getattr(loss, "name", None) or getattr(loss, "__name__", None)
    threshold = getattr(loss, "threshold", None)
    if threshold is None and getattr(loss, "from_logits", False):
        threshold = 0.0
    return str(name or type(loss).__name__).lower(), threshold


def accuracy_for_loss(loss=None, name: str = "accuracy") -> Metric:
    """The accuracy that matches ``loss``: sparse, categorical or binary (at the loss's threshold,
    0 for logits).

    When the loss says nothing (e.g. "mse" or None), the kind is decided from the shapes at the
    first update (see :class:`Accuracy`).
    """
    hint, threshold = _loss_hint(loss)
    compact = hint.replace("_", "")
    if "sparse" in compact:
        kind = "sparse"
    elif "categorical" in compact or "kld" in compact or "kldivergence" in compact:
        kind = "categorical"
    elif "binary" in compact or "hinge" in compact:
        kind = "binary"
    else:
        kind = None
    if threshold is None:
        threshold = 0.0 if "hinge" in compact else 0.5
    return Accuracy(kind=kind, threshold=float(threshold), name=name)


def get(identifier, loss=None) -> Metric:
    """A fresh Metric from a name ("accuracy", "auc", "mse", ...), a Metric, or a function.

    ``"accuracy"``/``"acc"`` picks binary, categorical or sparse accuracy from ``loss``. A function
    ``fn(y_true, y_pred) -> (N,) per-sample values`` becomes the running mean of its values.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):  # {"class_name", "config"}, as compile_config records it
        name = identifier.get("class_name")
        cls = None
        if isinstance(name, str):
            cls = _CLASSES.get(name) or _custom.lookup_class(name, Metric)
        if cls is None:
            raise ValueError(f"Unknown metric class {name!r:.200}; known: {sorted(_CLASSES)}")
        return cls(**_custom.check_config(identifier.get("config") or {}, f"metric {name!r}"))
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            return accuracy_for_loss(loss, name=identifier)
        if key in _REGISTRY:
            return _REGISTRY[key](name=identifier)
        if identifier in _CLASSES:  # a class name, as Keras accepts ("RootMeanSquaredError")
            return _CLASSES[identifier]()
        custom = _custom.lookup(identifier)
        if custom is not None:
            return get(custom, loss)
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
    "MeanAbsoluteError", "MeanMetricWrapper", "MeanSquaredError", "Metric", "Precision", "R2Score", "Recall", "RootMeanSquaredError",
    "SparseCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy",
    "accuracy_for_loss", "binary_accuracy", "categorical_accuracy", "confusion_matrix", "get",
    "mean_absolute_error", "mean_squared_error", "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
]  # fmt: skip
