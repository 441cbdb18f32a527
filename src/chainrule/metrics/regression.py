"""Regression metrics streamed over batches: MSE, MAE, RMSE and R² (Keras names and defaults).

``y_true`` and ``y_pred`` have the same shape (N, ...); each sample's error is averaged over its
trailing axes, then over samples (weighted by ``sample_weight`` (N,) when given).
"""

from __future__ import annotations

import numpy as np

from .base import MeanMetricWrapper, Metric, as_array


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

    def __init__(self, name: str = "mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the absolute error."""

    def __init__(self, name: str = "mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name)


class RootMeanSquaredError(MeanMetricWrapper):
    """√(running mean of the squared error) over every element seen (Keras's definition)."""

    def __init__(self, name: str = "root_mean_squared_error", dtype=None):
        super().__init__(_squared_error, name)

    def result(self) -> float:
        return float(np.sqrt(super().result()))


def _squared_error(y_true, y_pred) -> np.ndarray:
    y_true, y_pred = as_array(y_true), as_array(y_pred)
    diff = y_pred.astype(np.float64) - y_true.reshape(y_pred.shape)
    return diff * diff


class R2Score(Metric):
    """Coefficient of determination R² = 1 − SS_res / SS_tot over all batches seen.

    ``y_true``/``y_pred``: (N,) or (N, k) (one score per output column, then aggregated:
    ``class_aggregation="uniform_average"`` (default), ``"variance_weighted_average"`` or None for
    the per-column scores). ``num_regressors`` p > 0 gives the adjusted R²,
    1 − (1 − R²)(n − 1)/(n − p − 1). ``sample_weight`` (N,) weights the samples.
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors: int = 0,
                 name: str = "r2_score", dtype=None):  # fmt: skip
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(
                "R2Score: class_aggregation must be None, 'uniform_average' or "
                f"'variance_weighted_average', got {class_aggregation!r}"
            )
        if not isinstance(num_regressors, int) or num_regressors < 0:
            raise ValueError(f"R2Score: num_regressors must be an int >= 0, got {num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        super().__init__(name)

    def reset_state(self) -> None:
        self.count = 0.0
        self.n = 0
        self.sum_w = self.sum_y = self.sum_y2 = self.sum_res = None

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = as_array(y_pred).astype(np.float64)
        y_true = as_array(y_true).astype(np.float64)
        if y_true.size != y_pred.size:
            raise ValueError(
                f"R2Score: y_true {y_true.shape} and y_pred {y_pred.shape} differ in size"
            )
        y_pred = y_pred.reshape(len(y_pred), -1)
        y_true = y_true.reshape(y_pred.shape)
        w = (np.ones(len(y_true)) if sample_weight is None
             else as_array(sample_weight).astype(np.float64).reshape(-1))  # fmt: skip
        w = w[:, None]
        stats = ((w * np.ones_like(y_true)).sum(0), (w * y_true).sum(0),
                 (w * y_true**2).sum(0), (w * (y_true - y_pred) ** 2).sum(0))  # fmt: skip
        if self.sum_w is None:
            self.sum_w, self.sum_y, self.sum_y2, self.sum_res = (s.copy() for s in stats)
        elif stats[0].shape != self.sum_w.shape:
            raise ValueError(
                f"R2Score: got {stats[0].shape[0]} outputs, earlier batches had {len(self.sum_w)}"
            )
        else:
            for acc, s in zip((self.sum_w, self.sum_y, self.sum_y2, self.sum_res), stats):
                acc += s
        self.n += len(y_true)

    def result(self):
        if self.sum_w is None:
            return 0.0
        mean = self.sum_y / self.sum_w
        ss_tot = self.sum_y2 - self.sum_w * mean**2
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = np.where(ss_tot > 0, 1.0 - self.sum_res / np.where(ss_tot > 0, ss_tot, 1), 0.0)
        if self.class_aggregation is None:
            scores = raw
        elif self.class_aggregation == "uniform_average":
            scores = raw.mean()
        else:
            total = ss_tot.sum()
            scores = (raw * ss_tot).sum() / total if total > 0 else raw.mean()
        p = self.num_regressors
        if p:
            n = self.n
            if n - p - 1 <= 0:
                raise ValueError(f"R2Score: adjusted R² needs more than {p + 1} samples, got {n}")
            scores = 1.0 - (1.0 - scores) * (n - 1) / (n - p - 1)
        return float(scores) if np.ndim(scores) == 0 else np.asarray(scores)

    def get_config(self) -> dict:
        return {"name": self.name, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}  # fmt: skip
