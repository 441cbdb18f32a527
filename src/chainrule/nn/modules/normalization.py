"""BatchNorm1d/2d and LayerNorm (PyTorch door), over the shared :func:`ops.batch_norm` and
:func:`ops.layer_norm`. Channels-first: the feature axis is 1. PyTorch's momentum convention
(``running = (1 − momentum)·running + momentum·batch``; ``momentum=None`` is a cumulative average).
"""

from __future__ import annotations

import numpy as np

from ... import ops
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from .utils import check_size, factory_dtype


class _BatchNorm(Module):
    _ndims: tuple = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ):
        super().__init__()
        name = type(self).__name__
        self.num_features = check_size(name, "num_features", num_features)
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        if eps <= 0:
            raise ValueError(f"{name}: eps must be > 0, got {eps}")
        self.eps, self.momentum = float(eps), momentum
        self.affine, self.track_running_stats = bool(affine), bool(track_running_stats)
        dt = factory_dtype(name, device, dtype)
        c = self.num_features
        self.weight = Parameter(np.ones(c, dtype=dt)) if affine else None
        self.bias = Parameter(np.zeros(c, dtype=dt)) if affine and bias else None
        self.has_bias = bool(bias)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(c, dtype=dt)))
            self.register_buffer("running_var", Tensor(np.ones(c, dtype=dt)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1
            if self.bias is not None:
                self.bias.data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            input = Tensor(input)
        name = type(self).__name__
        if input.ndim not in self._ndims:
            raise ValueError(
                f"{name}: expected {' or '.join(f'{n}D' for n in self._ndims)} input, got "
                f"{input.ndim}D input of shape {tuple(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): input of shape {tuple(input.shape)} has "
                f"{input.shape[1]} channels in dim 1, expected {self.num_features}"
            )
        use_batch = self.training or not self.track_running_stats
        running = self.track_running_stats and self.training
        momentum = 0.0 if self.momentum is None else float(self.momentum)
        if running:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.data)
        return ops.batch_norm(
            input,
            self.weight,
            self.bias,
            self.running_mean.data if running or not use_batch else None,
            self.running_var.data if running or not use_batch else None,
            training=use_batch,
            momentum=1.0 - momentum,
            eps=self.eps,
            axis=1,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"bias={self.has_bias}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Input (N, C) or (N, C, L); statistics per channel C."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Input (N, C, H, W); statistics per channel C."""

    _ndims = (4,)


class LayerNorm(Module):
    """Normalise each sample over its trailing ``normalized_shape`` dims; x (*, *normalized_shape)."""

    def __init__(
        self,
        normalized_shape,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
        self.normalized_shape = tuple(check_size("LayerNorm", "normalized_shape", n) for n in shape)
        self.eps = float(eps)
        self.elementwise_affine = bool(elementwise_affine)
        bias = bool(bias) and self.elementwise_affine
        dt = factory_dtype("LayerNorm", device, dtype)
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dt)) if affine else None
        self.bias = (
            Parameter(np.zeros(self.normalized_shape, dtype=dt)) if affine and bias else None
        )

    def forward(self, input: Tensor) -> Tensor:
        return ops.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )


class GroupNorm(Module):
    """Group normalisation (Wu & He 2018): the C channels of x (N, C, *) in ``num_groups``
    groups, each normalised per sample over its channels and positions; the same in training
    and evaluation. Learned per-channel ``weight``/``bias`` when ``affine``."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True):  # fmt: skip
        super().__init__()
        self.num_groups = check_size("GroupNorm", "num_groups", num_groups)
        self.num_channels = check_size("GroupNorm", "num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups "
                f"({num_groups})"
            )
        if eps <= 0:
            raise ValueError(f"GroupNorm: eps must be > 0, got {eps}")
        self.eps, self.affine = float(eps), bool(affine)
        dt = factory_dtype("GroupNorm", device, dtype)
        c = self.num_channels
        self.weight = Parameter(np.ones(c, dtype=dt)) if affine else None
        self.bias = Parameter(np.zeros(c, dtype=dt)) if affine and bias else None

    def reset_parameters(self) -> None:
        if self.affine:
            self.weight.data[...] = 1
            if self.bias is not None:
                self.bias.data[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        from ..functional_norm import group_norm

        if not isinstance(input, Tensor):
            input = Tensor(input)
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(
                f"GroupNorm({self.num_groups}, {self.num_channels}): expected input (N, "
                f"{self.num_channels}, *), got shape {tuple(input.shape)}"
            )
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(_BatchNorm):
    """Instance normalisation: each sample's channels over their positions. PyTorch's
    defaults: no affine parameters and no running statistics; with ``track_running_stats`` the
    running averages of the instance statistics are kept in training and used in evaluation.
    An unbatched input (C, *spatial) is accepted too."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, bias: bool = True):  # fmt: skip
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)  # fmt: skip

    def forward(self, input: Tensor) -> Tensor:
        from ..functional_norm import instance_norm

        if not isinstance(input, Tensor):
            input = Tensor(input)
        name = type(self).__name__
        batched = self._ndims[0] + 1
        if input.ndim not in (batched - 1, batched):
            raise ValueError(
                f"{name}: expected {batched - 1}D (unbatched) or {batched}D input, got "
                f"{input.ndim}D input of shape {tuple(input.shape)}"
            )
        x = input if input.ndim == batched else input.unsqueeze(0)
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name}({self.num_features}): input of shape {tuple(input.shape)} has "
                f"{x.shape[1]} channels, expected {self.num_features}"
            )
        use_input_stats = self.training or not self.track_running_stats
        momentum = 0.1 if self.momentum is None else float(self.momentum)
        running = self.track_running_stats and (self.training or not use_input_stats)
        if self.track_running_stats and self.training:
            self.num_batches_tracked.data += 1
            if self.momentum is None:
                momentum = 1.0 / float(self.num_batches_tracked.data)
        out = instance_norm(
            x, self.running_mean if running else None, self.running_var if running else None,
            self.weight, self.bias, use_input_stats=use_input_stats, momentum=momentum,
            eps=self.eps,
        )  # fmt: skip
        return out if input.ndim == batched else out.squeeze(0)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
            f"track_running_stats={self.track_running_stats}"
        )


class InstanceNorm1d(_InstanceNorm):
    """Input (N, C, L) or unbatched (C, L)."""

    _ndims = (2,)


class InstanceNorm2d(_InstanceNorm):
    """Input (N, C, H, W) or unbatched (C, H, W)."""

    _ndims = (3,)
