"""Confusion-matrix metrics (precision, recall, F1), the confusion matrix itself, and ROC AUC.

Binary predictions, (N,) or (N, 1) scores, are thresholded (``threshold=0.5``; 0 for logits) and
the positive class is reported. Multi-class predictions, (N, C) scores, are reduced by argmax; the
targets may be integer labels (N,) or one-hot (N, C); ``average`` is "macro" (mean over classes)
or "micro" (pooled counts).
"""

from __future__ import annotations

import numpy as np

from .base import Metric, as_array


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts (C, C): entry [i, j] is the number of samples of true class i predicted as class j.

    ``y_true`` and ``y_pred`` are integer class labels of shape (N,). ``num_classes`` defaults to
    one more than the largest label seen.
    """
    y_true = as_array(y_true).reshape(-1)
    y_pred = as_array(y_pred).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"confusion_matrix: y_true has {y_true.size} labels but y_pred has {y_pred.size}"
        )
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        if arr.size and (arr.dtype.kind not in "iub" and not np.all(arr == np.round(arr))):
            raise ValueError(f"confusion_matrix: {name} must hold integer class labels")
    y_true = y_true.astype(np.int64)
    y_pred = y_pred.astype(np.int64)
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    for name, arr in (("y_true", y_true), ("y_pred", y_pred)):
        bad = arr[(arr < 0) | (arr >= num_classes)]
        if bad.size:
            raise ValueError(
                f"confusion_matrix: {name} holds label {int(bad[0])}, outside [0, {num_classes})"
            )
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def _labels(y_true: np.ndarray, y_pred: np.ndarray, threshold: float):
    """(true labels, predicted labels, number of classes) from targets and scores."""
    if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        pred = (y_pred.reshape(-1) > threshold).astype(np.int64)
        return (y_true.reshape(-1) > 0.5).astype(np.int64), pred, 2
    n_classes = y_pred.shape[-1]
    pred = y_pred.reshape(-1, n_classes).argmax(axis=1)
    if y_true.shape == y_pred.shape:
        true = y_true.reshape(-1, n_classes).argmax(axis=1)
    else:
        true = y_true.reshape(-1).astype(np.int64)
    return true, pred, n_classes


class _ConfusionMetric(Metric):
    """Accumulates a confusion matrix over batches; subclasses turn it into a score."""

    def __init__(self, threshold: float = 0.5, average: str = "macro", name: str | None = None):
        if average not in ("macro", "micro"):
            raise ValueError(
                f"{type(self).__name__}: average must be 'macro' or 'micro', got {average!r}"
            )
        self.threshold = float(threshold)
        self.average = average
        super().__init__(name)

    def reset_state(self) -> None:
        self.matrix = None

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        true, pred, n = _labels(as_array(y_true), as_array(y_pred), self.threshold)
        m = confusion_matrix(true, pred, n)
        if sample_weight is not None:
            w = as_array(sample_weight).reshape(-1).astype(np.float64)
            m = np.bincount(true * n + pred, weights=w, minlength=n * n).reshape(n, n)
        self.matrix = m if self.matrix is None else self.matrix + m

    def _counts(self):
        """(true positives, predicted positives, actual positives) per class, or pooled."""
        m = self.matrix.astype(np.float64)
        tp, pred_pos, real_pos = np.diag(m), m.sum(axis=0), m.sum(axis=1)
        if m.shape[0] == 2:  # binary: report the positive class
            return tp[1:], pred_pos[1:], real_pos[1:]
        if self.average == "micro":
            return tp.sum(keepdims=True), pred_pos.sum(keepdims=True), real_pos.sum(keepdims=True)
        return tp, pred_pos, real_pos

    @staticmethod
    def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros_like(a), where=b > 0)

    def get_config(self) -> dict:
        return {"name": self.name, "threshold": self.threshold, "average": self.average}


class Precision(_ConfusionMetric):
    """TP / (TP + FP): of the samples predicted positive, the fraction that are (0 when none)."""

    name = "precision"

    def result(self) -> float:
        if self.matrix is None:
            return 0.0
        tp, pred_pos, _ = self._counts()
        return float(self._ratio(tp, pred_pos).mean())


class Recall(_ConfusionMetric):
    """TP / (TP + FN): of the positive samples, the fraction predicted positive (0 when none)."""

    name = "recall"

    def result(self) -> float:
        if self.matrix is None:
            return 0.0
        tp, _, real_pos = self._counts()
        return float(self._ratio(tp, real_pos).mean())


class F1Score(_ConfusionMetric):
    """Harmonic mean of precision and recall, 2 TP / (2 TP + FP + FN), per class then averaged."""

    name = "f1"

    def result(self) -> float:
        if self.matrix is None:
            return 0.0
        tp, pred_pos, real_pos = self._counts()
        return float(self._ratio(2 * tp, pred_pos + real_pos).mean())


class AUC(Metric):
    """Area under the ROC curve for binary targets, exact (ties count one half).

    Streams by keeping every score seen since the last reset (N floats), then ranks them once in
    ``result()``: the Mann-Whitney statistic, which equals the trapezoidal ROC area.
    """

    name = "auc"
    per_batch_result = False  # result() sorts every score seen: too costly for each batch

    def reset_state(self) -> None:
        self._scores: list[np.ndarray] = []
        self._targets: list[np.ndarray] = []

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        if sample_weight is not None:
            raise ValueError("AUC: sample_weight is not supported")
        y_pred = as_array(y_pred).reshape(-1).astype(np.float64)
        y_true = as_array(y_true).reshape(-1)
        if y_true.size != y_pred.size:
            raise ValueError(
                f"AUC: expects one score per binary target; got {y_pred.size} scores for "
                f"{y_true.size} targets"
            )
        self._scores.append(y_pred)
        self._targets.append(y_true > 0.5)

    def result(self) -> float:
        if not self._scores:
            return 0.0
        scores = np.concatenate(self._scores)
        pos = np.concatenate(self._targets)
        n_pos = int(pos.sum())
        n_neg = pos.size - n_pos
        if n_pos == 0 or n_neg == 0:
            return 0.0
        order = np.argsort(scores, kind="mergesort")
        sorted_scores = scores[order]
        ranks = np.empty(scores.size, dtype=np.float64)
        # average ranks over tied scores
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
        ends = np.r_[starts[1:], scores.size]
        avg = (starts + ends + 1) / 2.0
        ranks[order] = np.repeat(avg, ends - starts)
        u = ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0
        return float(u / (n_pos * n_neg))
