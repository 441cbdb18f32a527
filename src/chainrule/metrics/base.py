"""Streaming metrics: the Metric protocol and the running (weighted) mean they mostly build on.

A metric accumulates over batches with ``update_state(y_true, y_pred, sample_weight=None)`` and
reports with ``result()``; ``reset_state()`` starts over (fit calls it at each epoch start). Metrics
work on plain arrays (a Tensor is accepted and its data used), never on the autodiff graph.
"""

from __future__ import annotations

import numpy as np


def as_array(value) -> np.ndarray:
    """``value`` as an ndarray (a Tensor gives its ``.data``; a CuPy array comes to the host)."""
    data = getattr(value, "data", value)
    if hasattr(data, "get") and not isinstance(data, np.ndarray):  # CuPy
        data = data.get()
    return np.asarray(data)


class Metric:
    """Base class: subclasses implement ``update_state``, ``result`` and ``reset_state``."""

    name: str = "metric"

    def __init__(self, name: str | None = None, dtype=None):
        if name is not None:
            self.name = name
        self.reset_state()

    def reset_state(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # pragma: no cover
        raise NotImplementedError

    def result(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """The running weighted mean of the values given (e.g. per-batch losses weighted by batch size)."""

    name = "mean"

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:  # type: ignore[override]
        values = as_array(values).astype(np.float64, copy=False)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += float(values.size)
        else:
            w = np.broadcast_to(as_array(sample_weight).astype(np.float64), values.shape)
            self.total += float((values * w).sum())
            self.count += float(w.sum())

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def __call__(self, values, sample_weight=None) -> float:  # type: ignore[override]
        self.update_state(values, sample_weight)
        return self.result()


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred)``, a function returning one value per sample."""

    def __init__(self, fn, name: str | None = None, dtype=None, **kwargs):
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:  # type: ignore[override]
        values = self.fn(as_array(y_true), as_array(y_pred))
        if sample_weight is not None:
            sample_weight = as_array(sample_weight).reshape(-1)
            values = np.asarray(values).reshape(len(sample_weight), -1).mean(axis=1)
        super().update_state(values, sample_weight)

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:  # type: ignore[override]
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()
