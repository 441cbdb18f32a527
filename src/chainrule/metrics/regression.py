"""Regression metrics: mean squared error and mean absolute error, streamed over batches.

``y_true`` and ``y_pred`` have the same shape (N, ...); each sample's error is averaged over its
trailing axes, then over samples (weighted by ``sample_weight`` (N,) when given).
"""

from __future__ import annotations

import numpy as np

from .base import MeanMetricWrapper, as_array


def _per_sample(err: np.ndarray) -> np.ndarray:
    return err.reshape(len(err), -1).mean(axis=1) if err.ndim > 1 else err


def mean_squared_error(y_true, y_pred) -> np.ndarray:
    """Per-sample mean of (y_pred - y_true)**2; shape (N,)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    diff = y_pred.astype(np.float64) - y_true.reshape(y_pred.shape)
    return _per_sample(diff * diff)


def mean_absolute_error(y_true, y_pred) -> np.ndarray:
    """Per-sample mean of |y_pred - y_true|; shape (N,)."""
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    return _per_sample(np.abs(y_pred.astype(np.float64) - y_true.reshape(y_pred.shape)))


class MeanSquaredError(MeanMetricWrapper):
    """Running mean of the squared error."""

    def __init__(self, name: str = "mse"):
        super().__init__(mean_squared_error, name)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the absolute error."""

    def __init__(self, name: str = "mae"):
        super().__init__(mean_absolute_error, name)
