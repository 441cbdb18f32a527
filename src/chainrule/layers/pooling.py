"""Keras pooling layers: MaxPooling1D/2D, AveragePooling1D/2D, GlobalAveragePooling1D/2D,
GlobalMaxPooling1D/2D — thin constructors over :mod:`chainrule.ops` pooling with Keras 3's
defaults (``strides=None`` means ``pool_size``, ``padding="valid"``, channels-last).
"""

from __future__ import annotations

from ..ops import avg_pool1d, avg_pool2d, global_avg_pool, global_max_pool, max_pool1d, max_pool2d
from .base import Layer, register
from .convolutional import conv_length, data_format_of, int_tuple


class BasePooling(Layer):
    """Shared body of the windowed pooling layers (``rank`` spatial axes)."""

    rank = 2
    autocast = True

    def __init__(self, pool_size=2, strides=None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None, **kwargs):  # fmt: skip
        super().__init__(name=name, **kwargs)
        n = self.rank
        self.pool_size = int_tuple(self, "pool_size", pool_size, n)
        self.strides = self.pool_size if strides is None else int_tuple(self, "strides", strides, n)
        if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
            raise ValueError(
                f"{self.describe()}: padding must be 'valid' or 'same', got {padding!r}"
            )
        self.padding = padding.lower()
        self.data_format = data_format_of(self, data_format)

    def _check(self, shape) -> None:
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{self.describe()} expects a {self.rank + 2}-D input ({self.data_format}), got "
                f"shape {tuple(shape)}"
            )

    def forward(self, x):
        self._check(x.shape)
        return self.op(x, self.pool_size, self.strides, self.padding,
                       data_format=self.data_format)  # fmt: skip

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check(input_shape)
        cl = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if cl else input_shape[2:]
        out = tuple(
            conv_length(s, k, st, 1, self.padding)
            for s, k, st in zip(spatial, self.pool_size, self.strides)
        )
        if cl:
            return (input_shape[0], *out, input_shape[-1])
        return (input_shape[0], input_shape[1], *out)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
        }

    def extra_repr(self) -> str:
        return f"{self.name!r}, pool_size={self.pool_size}, strides={self.strides}"


def _op(fn):
    return staticmethod(lambda x, k, s, p, data_format: fn(x, k, s, p, data_format=data_format))


@register
class MaxPooling2D(BasePooling):
    """x (N, H, W, C) → (N, Ho, Wo, C): the maximum of each pool_size window."""

    default_name = "max_pooling2d"
    op = _op(max_pool2d)


@register
class AveragePooling2D(BasePooling):
    """x (N, H, W, C) → (N, Ho, Wo, C): the mean of each window ("same": real pixels only)."""

    default_name = "average_pooling2d"
    op = _op(avg_pool2d)


@register
class MaxPooling1D(BasePooling):
    """x (N, L, C) → (N, Lo, C)."""

    default_name = "max_pooling1d"
    rank = 1
    op = _op(max_pool1d)


@register
class AveragePooling1D(BasePooling):
    """x (N, L, C) → (N, Lo, C)."""

    default_name = "average_pooling1d"
    rank = 1
    op = _op(avg_pool1d)


class BaseGlobalPooling(Layer):
    """Shared body of the global pooling layers: (N, *spatial, C) → (N, C) (keepdims: ones)."""

    rank = 2

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 name: str | None = None, **kwargs):  # fmt: skip
        super().__init__(name=name, **kwargs)
        self.data_format = data_format_of(self, data_format)
        self.keepdims = bool(keepdims)

    def _check(self, shape) -> None:
        if len(shape) != self.rank + 2:
            raise ValueError(
                f"{self.describe()} expects a {self.rank + 2}-D input ({self.data_format}), got "
                f"shape {tuple(shape)}"
            )

    def forward(self, x):
        self._check(x.shape)
        return self.op(x, data_format=self.data_format, keepdims=self.keepdims)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._check(input_shape)
        cl = self.data_format == "channels_last"
        c = input_shape[-1] if cl else input_shape[1]
        if not self.keepdims:
            return (input_shape[0], c)
        ones = (1,) * self.rank
        return (input_shape[0], *ones, c) if cl else (input_shape[0], c, *ones)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format, "keepdims": self.keepdims}


@register
class GlobalAveragePooling2D(BaseGlobalPooling):
    """(N, H, W, C) → (N, C): the mean over H and W."""

    default_name = "global_average_pooling2d"
    op = staticmethod(global_avg_pool)


@register
class GlobalMaxPooling2D(BaseGlobalPooling):
    """(N, H, W, C) → (N, C): the maximum over H and W."""

    default_name = "global_max_pooling2d"
    op = staticmethod(global_max_pool)


@register
class GlobalAveragePooling1D(BaseGlobalPooling):
    """(N, L, C) → (N, C)."""

    default_name = "global_average_pooling1d"
    rank = 1
    op = staticmethod(global_avg_pool)


@register
class GlobalMaxPooling1D(BaseGlobalPooling):
    """(N, L, C) → (N, C)."""

    default_name = "global_max_pooling1d"
    rank = 1
    op = staticmethod(global_max_pool)
