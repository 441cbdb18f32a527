"""Conv1d, Conv2d, ConvTranspose2d (PyTorch door): channels-first, weights in PyTorch's layout —
(C_out, C_in/groups, *k) and (C_in, C_out/groups, *k) for the transposed one — with PyTorch's
default initialisation (weight and bias U(−1/√fan_in, 1/√fan_in), kaiming_uniform with a=√5), so
a PyTorch state dict loads directly. Each forward is one call of :mod:`chainrule.nn.functional`.
"""

from __future__ import annotations

import math

import numpy as np

from ...random import get_generator
from ...tensor import Tensor
from .. import functional as F
from .. import functional_vision as FV
from ..module import Module
from ..parameter import Parameter
from .utils import check_size, factory_dtype


def ntuple(module: str, name: str, value, n: int, minimum: int = 1) -> tuple:
    """An int or n ints (each >= minimum) as an n-tuple; ValueError naming the module otherwise."""
    vals = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(vals) != n or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum for v in vals
    ):
        raise ValueError(f"{module}: {name} must be an int or {n} ints >= {minimum}, got {value!r}")
    return tuple(int(v) for v in vals)


class _ConvNd(Module):
    nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
                 output_padding=0):  # fmt: skip
        super().__init__()
        name, n = type(self).__name__, self.nd
        self.in_channels = check_size(name, "in_channels", in_channels)
        self.out_channels = check_size(name, "out_channels", out_channels)
        self.groups = check_size(name, "groups", groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must both "
                f"be divisible by groups ({groups})"
            )
        self.kernel_size = ntuple(name, "kernel_size", kernel_size, n)
        self.stride = ntuple(name, "stride", stride, n)
        self.dilation = ntuple(name, "dilation", dilation, n)
        if isinstance(padding, str):
            if self.transposed or padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(
                    f"{name}: padding='same' is not supported for strided convolutions "
                    f"(stride={self.stride})"
                )
            self.padding = padding
        else:
            self.padding = ntuple(name, "padding", padding, n, minimum=0)
        if padding_mode != "zeros":
            raise ValueError(
                f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode
        self.output_padding = ntuple(name, "output_padding", output_padding, n, minimum=0)
        if self.transposed and any(
            p >= max(s, d) for p, s, d in zip(self.output_padding, self.stride, self.dilation)
        ):
            raise ValueError(
                f"{name}: output_padding {self.output_padding} must be smaller than either stride "
                f"{self.stride} or dilation {self.dilation}"
            )
        dt = factory_dtype(name, device, dtype)
        if self.transposed:
            shape = (self.in_channels, self.out_channels // groups, *self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // groups, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dt))
        self.bias = Parameter(np.empty((self.out_channels,), dtype=dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias with PyTorch's default initialisation."""
        gen = get_generator()
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        dt = self.weight.data.dtype
        self.weight.data[...] = gen.uniform(-bound, bound, self.weight.shape).astype(dt)
        if self.bias is not None:
            self.bias.data[...] = gen.uniform(-bound, bound, self.bias.shape).astype(dt)

    def _check(self, input) -> Tensor:
        input = input if isinstance(input, Tensor) else Tensor(input)
        if input.ndim not in (self.nd + 1, self.nd + 2):
            raise ValueError(
                f"{type(self).__name__}: expected a {self.nd + 1}-D (unbatched) or {self.nd + 2}-D "
                f"(batched) input, got shape {tuple(input.shape)}"
            )
        c = input.shape[-self.nd - 1]
        if c != self.in_channels:
            raise ValueError(
                f"{self.extra_repr_short()}: input of shape {tuple(input.shape)} has {c} channels, "
                f"expected {self.in_channels}"
            )
        return input

    def extra_repr_short(self) -> str:
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size})"

    def extra_repr(self) -> str:
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self.nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.transposed and self.output_padding != (0,) * self.nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """x (N, C_in, H, W) or (C_in, H, W) → (N, C_out, Ho, Wo) with
    ``Ho = (H + 2·padding − dilation·(kh − 1) − 1) // stride + 1``."""

    nd = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype)  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return self._forward(input)

    def _forward(self, input: Tensor, activation: str | None = None) -> Tensor:
        """forward, with the conv op's fused ``activation`` (``"relu"``: see fusion.py)."""
        input = self._check(input)
        return FV._conv2d(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                          self.groups, activation)  # fmt: skip


class Conv1d(_ConvNd):
    """x (N, C_in, L) or (C_in, L) → (N, C_out, Lo)."""

    nd = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None):  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype)  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        return self._forward(input)

    def _forward(self, input: Tensor, activation: str | None = None) -> Tensor:
        """forward, with the conv op's fused ``activation`` (``"relu"``: see fusion.py)."""
        input = self._check(input)
        pad = self.padding if isinstance(self.padding, str) else self.padding[0]
        return FV._conv1d(input, self.weight, self.bias, self.stride[0], pad, self.dilation[0],
                          self.groups, activation)  # fmt: skip


class ConvTranspose2d(_ConvNd):
    """x (N, C_in, H, W) → (N, C_out, Ho, Wo) with
    ``Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1``."""

    nd = 2
    transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None):  # fmt: skip
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, device, dtype, output_padding)  # fmt: skip

    def forward(self, input: Tensor, output_size=None) -> Tensor:
        if output_size is not None:
            raise ValueError("ConvTranspose2d: output_size is not supported; use output_padding")
        input = self._check(input)
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)  # fmt: skip
