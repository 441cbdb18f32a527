"""Preprocessing layers: Normalization (feature-wise standardisation learned by ``adapt``) and
Rescaling (``x * scale + offset``), as Keras 3 defines them."""

from __future__ import annotations

import numpy as np

from .. import ops
from ..tensor import Tensor
from .base import Layer, register


@register
class Normalization(Layer):
    """``(x − mean) / max(√variance, 1e-7)`` per feature (``invert=True``: the inverse).

    ``axis``: the feature axis kept by the statistics (−1 by default; None for one scalar mean and
    variance). Give ``mean`` and ``variance`` directly, or call ``adapt(data)`` to compute them
    (population variance) from an array of samples. The statistics are saved with the weights.
    """

    default_name = "normalization"
    _buffers = ("mean", "variance")

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int)):
            raise TypeError(f"{self.describe()}: axis must be an int or None, got {axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError(f"{self.describe()}: give both mean and variance, or neither")
        self.axis = axis
        self.invert = bool(invert)
        self.mean = self.variance = None
        self._given = mean is not None
        if mean is not None:
            self.mean = np.asarray(mean, dtype=self.dtype).reshape(-1)
            self.variance = np.asarray(variance, dtype=self.dtype).reshape(-1)
            if np.any(self.variance < 0):
                raise ValueError(f"{self.describe()}: variance must be >= 0")

    def _features(self, shape) -> int:
        return 1 if self.axis is None else int(shape[self.axis])

    def build(self, input_shape) -> None:
        k = self._features(input_shape)
        if self.mean is None:
            self.mean = np.zeros(k, dtype=self.dtype)
            self.variance = np.ones(k, dtype=self.dtype)
        elif self.mean.size not in (1, k):
            raise ValueError(
                f"{self.describe()}: mean has {self.mean.size} values for {k} features "
                f"(input shape {input_shape})"
            )

    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Compute the mean and population variance of ``data`` (N, ...) over every axis but
        ``axis``."""
        arr = np.asarray(getattr(data, "data", data), dtype=np.float64)
        if arr.ndim == 0 or arr.size == 0:
            raise ValueError(f"{self.describe()}.adapt: needs a non-empty array of samples")
        if self.axis is None:
            mean, var = arr.mean(keepdims=True).reshape(1), arr.var(keepdims=True).reshape(1)
        else:
            moved = np.moveaxis(arr, self.axis, -1).reshape(-1, arr.shape[self.axis])
            mean, var = moved.mean(axis=0), moved.var(axis=0)
        self.mean, self.variance = mean.astype(self.dtype), var.astype(self.dtype)
        self.built = True

    def _stat_shape(self, x) -> tuple:
        if self.axis is None:
            return (1,) * x.ndim
        shape = [1] * x.ndim
        shape[self.axis] = -1
        return tuple(shape)

    def forward(self, x):
        shape = self._stat_shape(x)
        mean = Tensor._wrap(self.mean.reshape(shape).astype(x.data.dtype, copy=False))
        std = np.maximum(np.sqrt(self.variance), 1e-7).reshape(shape).astype(x.data.dtype)
        if self.invert:
            return ops.add(ops.mul(x, Tensor._wrap(std)), mean)
        return ops.div(ops.sub(x, mean), Tensor._wrap(std))

    def get_config(self) -> dict:
        config = {**super().get_config(), "axis": self.axis, "invert": self.invert}
        if self._given:
            config.update(mean=self.mean.tolist(), variance=self.variance.tolist())
        return config


@register
class Rescaling(Layer):
    """``x * scale + offset`` (e.g. ``Rescaling(1 / 255)`` for pixels)."""

    default_name = "rescaling"

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)
        self.offset = float(offset)

    def forward(self, x):
        out = ops.mul(x, self.scale)
        return ops.add(out, self.offset) if self.offset else out

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
