"""Keras convolution layers: Conv1D, Conv2D, DepthwiseConv2D, Conv2DTranspose.

Each is a thin constructor over :func:`chainrule.ops.conv1d` / :func:`~chainrule.ops.conv2d` /
:func:`~chainrule.ops.conv_transpose2d` with Keras 3's argument names and defaults: channels-last
(``data_format=None``), ``padding="valid"``, Glorot-uniform kernel, zero bias, lazy build from the
first input. Kernels use Keras's layout: Conv2D (kh, kw, C_in/groups, filters), Conv1D (k,
C_in/groups, filters), DepthwiseConv2D (kh, kw, C_in, depth_multiplier), Conv2DTranspose
(kh, kw, filters, C_in).
"""

from __future__ import annotations

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ..nn.parameter import Parameter
from ..ops import conv1d, conv2d, conv_transpose2d
from .base import Layer, register


def int_tuple(layer: Layer, arg: str, value, n: int, minimum: int = 1) -> tuple:
    """``value`` (an int or n ints) as an n-tuple of ints >= ``minimum``; ValueError otherwise."""
    vals = value if isinstance(value, (tuple, list)) else (value,) * n
    if len(vals) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in vals
    ):
        raise ValueError(
            f"{layer.describe()}: {arg} must be an int or a tuple of {n} ints >= {minimum}, "
            f"got {value!r}"
        )
    return tuple(int(v) for v in vals)


def data_format_of(layer: Layer, data_format) -> str:
    """Keras's ``data_format``: None means channels_last."""
    if data_format is None:
        return "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{layer.describe()}: data_format must be 'channels_last' or 'channels_first', "
            f"got {data_format!r}"
        )
    return data_format


def conv_length(size, k: int, stride: int, dilation: int, padding: str):
    """Output length of a Keras convolution along one axis (None stays None)."""
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride)
    return max((size - dilation * (k - 1) - 1) // stride + 1, 0)


class BaseConv(Layer):
    """Shared body of Conv1D/Conv2D (``rank`` spatial axes)."""

    rank = 2
    paddings = ("valid", "same")

    def __init__(
        self,
        filters: int,
        kernel_size,
        strides=1,
        padding: str = "valid",
        data_format: str | None = None,
        dilation_rate=1,
        groups: int = 1,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"{self.describe()}: filters must be a positive int, got {filters!r}")
        n = self.rank
        self.filters = int(filters)
        self.kernel_size = int_tuple(self, "kernel_size", kernel_size, n)
        self.strides = int_tuple(self, "strides", strides, n)
        self.dilation_rate = int_tuple(self, "dilation_rate", dilation_rate, n)
        if not isinstance(padding, str) or padding.lower() not in self.paddings:
            raise ValueError(
                f"{self.describe()}: padding must be one of {self.paddings}, got {padding!r}"
            )
        self.padding = padding.lower()
        self.data_format = data_format_of(self, data_format)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"{self.describe()}: groups must be a positive int, got {groups!r}")
        if filters % groups:
            raise ValueError(
                f"{self.describe()}: filters ({filters}) must be divisible by groups ({groups})"
            )
        self.groups = groups
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{self.describe()}: strides > 1 is not supported with dilation_rate > 1 (Keras's "
                f"rule), got strides={self.strides}, dilation_rate={self.dilation_rate}"
            )
        if activity_regularizer is not None:
            raise ValueError(f"{self.describe()}: activity_regularizer is not supported")
        self._kernel_and_bias_options(activation, use_bias, kernel_initializer, bias_initializer,
                                      kernel_regularizer, bias_regularizer, kernel_constraint,
                                      bias_constraint)  # fmt: skip
        self.in_channels = None

    def _channels(self, input_shape) -> int:
        if input_shape is None or len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{self.describe()} expects a {self.rank + 2}-D input (batch, "
                f"{'spatial…, channels' if self.data_format == 'channels_last' else 'channels, spatial…'}"
                f"), got shape {input_shape}"
            )
        c = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if c is None:
            raise ValueError(f"{self.describe()}: the channel axis of {input_shape} must be known")
        return int(c)

    def kernel_shape(self, channels: int) -> tuple:
        if channels % self.groups:
            raise ValueError(
                f"{self.describe()}: input channels ({channels}) must be divisible by groups "
                f"({self.groups})"
            )
        return (*self.kernel_size, channels // self.groups, self.filters)

    def build(self, input_shape: tuple) -> None:
        self.in_channels = self._channels(input_shape)
        self.kernel = Parameter(
            self.kernel_initializer(self.kernel_shape(self.in_channels), self.dtype)
        )
        if self.use_bias:
            self.bias = Parameter(self.bias_initializer((self.out_channels,), self.dtype))

    def out_channels_for(self, channels: int) -> int:
        return self.filters

    @property
    def out_channels(self) -> int:
        return self.out_channels_for(self.in_channels)

    def _check_input(self, x) -> None:
        c = self._channels(tuple(x.shape))
        if c != self.in_channels:
            raise ValueError(
                f"{self.describe()} was built for {self.in_channels} input channels, got {c} "
                f"(input shape {tuple(x.shape)}, data_format={self.data_format})"
            )

    def _op(self, x, activation):
        fn, layout = (conv2d, "hwio") if self.rank == 2 else (conv1d, "wio")
        return fn(x, self.kernel, self.bias, self.strides, self.padding, self.dilation_rate,
                  self.groups, self.data_format, layout, activation)  # fmt: skip

    def forward(self, x):
        self._check_input(x)
        if self.activation is activations.relu:  # fused: ReLU in place inside the conv node
            return self._op(x, "relu")
        return self.activation(self._op(x, None))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        c = self.out_channels_for(self._channels(input_shape))
        cl = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if cl else input_shape[2:]
        out = tuple(
            conv_length(s, k, st, d, self.padding)
            for s, k, st, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        )
        return (input_shape[0], *out, c) if cl else (input_shape[0], c, *out)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": list(self.dilation_rate),
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._regularizers["kernel"]),
            "bias_regularizer": regularizers.serialize(self._regularizers["bias"]),
            "kernel_constraint": constraints.serialize(self._constraints["kernel"]),
            "bias_constraint": constraints.serialize(self._constraints["bias"]),
        }

    def extra_repr(self) -> str:
        act = getattr(self.activation, "registered_name", None) or repr(self.activation)
        return (
            f"{self.name!r}, filters={self.filters}, kernel_size={self.kernel_size}, "
            f"strides={self.strides}, padding={self.padding!r}, activation={act}"
        )


@register
class Conv2D(BaseConv):
    """x (N, H, W, C) → (N, Ho, Wo, filters) (channels_first: (N, C, H, W) → (N, filters, Ho, Wo)).

    ``Ho = ceil(H / s)`` for ``padding="same"``, ``(H − d·(k − 1) − 1) // s + 1`` for "valid".
    """

    default_name = "conv2d"
    rank = 2


@register
class Conv1D(BaseConv):
    """x (N, L, C) → (N, Lo, filters); ``padding`` also takes ``"causal"`` (left padding only)."""

    default_name = "conv1d"
    rank = 1
    paddings = ("valid", "same", "causal")


@register
class DepthwiseConv2D(BaseConv):
    """Each input channel convolved with its own ``depth_multiplier`` filters (groups = C_in).

    x (N, H, W, C) → (N, Ho, Wo, C·depth_multiplier); kernel (kh, kw, C, depth_multiplier), output
    channel ``c·depth_multiplier + m`` from input channel c and filter m, as Keras orders them.
    """

    default_name = "depthwise_conv2d"
    rank = 2

    def __init__(
        self,
        kernel_size,
        strides=1,
        padding: str = "valid",
        depth_multiplier: int = 1,
        data_format: str | None = None,
        dilation_rate=1,
        activation=None,
        use_bias: bool = True,
        depthwise_initializer="glorot_uniform",
        bias_initializer="zeros",
        depthwise_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        depthwise_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        if (
            isinstance(depth_multiplier, bool)
            or not isinstance(depth_multiplier, int)
            or depth_multiplier < 1
        ):
            raise ValueError(
                f"DepthwiseConv2D: depth_multiplier must be a positive int, got {depth_multiplier!r}"
            )
        self.depth_multiplier = depth_multiplier
        super().__init__(
            depth_multiplier, kernel_size, strides, padding, data_format, dilation_rate, 1,
            activation, use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer,
            bias_regularizer, activity_regularizer, depthwise_constraint, bias_constraint, **kwargs,
        )  # fmt: skip

    def kernel_shape(self, channels: int) -> tuple:
        return (*self.kernel_size, channels, self.depth_multiplier)

    def out_channels_for(self, channels: int) -> int:
        return channels * self.depth_multiplier

    def _op(self, x, activation):
        k = self.kernel.reshape(*self.kernel_size, 1, self.out_channels)
        return conv2d(x, k, self.bias, self.strides, self.padding, self.dilation_rate,
                      self.in_channels, self.data_format, "hwio", activation)  # fmt: skip

    def get_config(self) -> dict:
        config = super().get_config()
        for key in ("filters", "groups"):
            del config[key]
        for old, new in (("kernel_initializer", "depthwise_initializer"),
                         ("kernel_regularizer", "depthwise_regularizer"),
                         ("kernel_constraint", "depthwise_constraint")):  # fmt: skip
            config[new] = config.pop(old)
        config["depth_multiplier"] = self.depth_multiplier
        return config


@register
class Conv2DTranspose(BaseConv):
    """Transposed convolution: x (N, H, W, C) → (N, Ho, Wo, filters) with ``Ho = H·s +
    max(k − s, 0)`` ("valid") or ``H·s`` ("same") for dilation 1; kernel (kh, kw, filters, C)."""

    default_name = "conv2d_transpose"
    rank = 2

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid",
                 output_padding=None, data_format: str | None = None, dilation_rate=1,
                 **kwargs):  # fmt: skip
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         **kwargs)  # fmt: skip
        if self.groups != 1:
            raise ValueError(f"{self.describe()}: groups must be 1 for Conv2DTranspose")
        self.output_padding = (
            None if output_padding is None
            else int_tuple(self, "output_padding", output_padding, 2, minimum=0)
        )  # fmt: skip
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"{self.describe()}: output_padding {self.output_padding} must be smaller than "
                f"strides {self.strides}"
            )

    def kernel_shape(self, channels: int) -> tuple:
        return (*self.kernel_size, self.filters, channels)

    def _op(self, x, activation):
        y = conv_transpose2d(
            x,
            self.kernel,
            self.bias,
            self.strides,
            self.padding,
            self.output_padding,
            1,
            self.dilation_rate,
            self.data_format,
            "hwoi",
        )
        return y if activation is None else activations.relu(y)  # fmt: skip

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        self._channels(input_shape)
        cl = self.data_format == "channels_last"
        spatial = input_shape[1:-1] if cl else input_shape[2:]
        out = []
        for i, (n, k, s, d) in enumerate(
            zip(spatial, self.kernel_size, self.strides, self.dilation_rate)
        ):
            ke = (k - 1) * d + 1
            if n is None:
                out.append(None)
            elif self.output_padding is None:
                out.append(n * s + max(ke - s, 0) if self.padding == "valid" else n * s)
            else:
                pad = 0 if self.padding == "valid" else ke // 2
                out.append((n - 1) * s + ke - 2 * pad + self.output_padding[i])
        return (input_shape[0], *out, self.filters) if cl else (input_shape[0], self.filters, *out)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["groups"]
        config["output_padding"] = (
            None if self.output_padding is None else list(self.output_padding)
        )
        return config
