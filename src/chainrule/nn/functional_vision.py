"""The PyTorch door's vision functions (re-exported by :mod:`chainrule.nn.functional`):
``conv1d``, ``conv2d``, ``conv_transpose2d``, ``max_pool1d/2d``, ``avg_pool1d/2d``,
``adaptive_avg_pool2d``, ``interpolate`` and ``dropout2d``, with torch's argument names and defaults.

All are channels-first — (N, C, L) or (N, C, H, W) — with PyTorch's weight layouts (C_out,
C_in/groups, kh, kw) and (C_in, C_out/groups, kh, kw) for the transposed convolution; an unbatched
input (C, L) / (C, H, W) is treated as a batch of one, as PyTorch does. Each is one call of the
shared op in :mod:`chainrule.ops` with ``data_format="channels_first"``.
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..ops._convert import ensure_tensor
from ..random import get_generator
from ..tensor import Tensor


def _batched(op: str, input, nd: int):
    """(input as a batched Tensor, whether a batch axis was added)."""
    input = ensure_tensor(input)
    if input.ndim == nd + 1:
        return input.reshape(1, *input.shape), True
    if input.ndim != nd + 2:
        raise ValueError(
            f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, got shape "
            f"{tuple(input.shape)}"
        )
    return input, False


def _unbatch(y: Tensor, added: bool) -> Tensor:
    return y.reshape(*y.shape[1:]) if added else y


def _conv_padding(op: str, padding, stride, nd: int):
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(
                f"{op}: padding must be 'same', 'valid', an int or a tuple, got {padding!r}"
            )
        strides = stride if isinstance(stride, (tuple, list)) else (stride,) * nd
        if padding == "same" and any(s != 1 for s in strides):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions "
                             f"(stride={stride})")  # fmt: skip
    return padding


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """input (N, C_in, H, W), weight (C_out, C_in/groups, kh, kw), bias (C_out,) →
    (N, C_out, Ho, Wo). padding: int, (h, w), ``'valid'`` or ``'same'`` (stride 1 only)."""
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


def _conv2d(input, weight, bias, stride, padding, dilation, groups, activation=None) -> Tensor:
    """:func:`conv2d` with the conv op's fused ``activation`` (None or ``"relu"``): what
    ``nn.Sequential`` runs for a ``Conv2d`` followed by a ``ReLU`` (nn/modules/fusion.py)."""
    x, added = _batched("conv2d", input, 2)
    padding = _conv_padding("conv2d", padding, stride, 2)
    y = ops.conv2d(x, weight, bias, stride, padding, dilation, groups, "channels_first", "oihw",
                   activation)  # fmt: skip
    return _unbatch(y, added)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """input (N, C_in, L), weight (C_out, C_in/groups, k), bias (C_out,) → (N, C_out, Lo)."""
    return _conv1d(input, weight, bias, stride, padding, dilation, groups)


def _conv1d(input, weight, bias, stride, padding, dilation, groups, activation=None) -> Tensor:
    """:func:`conv1d` with the conv op's fused ``activation`` (None or ``"relu"``)."""
    x, added = _batched("conv1d", input, 1)
    padding = _conv_padding("conv1d", padding, stride, 1)
    if isinstance(padding, (tuple, list)):
        if len(padding) != 1:
            raise ValueError(f"conv1d: padding must be an int or a 1-tuple, got {padding!r}")
        padding = padding[0]
    y = ops.conv1d(x, weight, bias, stride, padding, dilation, groups, "channels_first", "oiw",
                   activation)  # fmt: skip
    return _unbatch(y, added)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:  # fmt: skip
    """input (N, C_in, H, W), weight (C_in, C_out/groups, kh, kw) → (N, C_out, Ho, Wo) with
    ``Ho = (H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1``."""
    x, added = _batched("conv_transpose2d", input, 2)
    if isinstance(padding, str):
        raise TypeError(f"conv_transpose2d: padding must be an int or a tuple, got {padding!r}")
    y = ops.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups, dilation,
                             "channels_first", "iohw")  # fmt: skip
    return _unbatch(y, added)


def _no_indices(op: str, return_indices: bool) -> None:
    if return_indices:
        raise ValueError(f"{op}: return_indices=True is not supported")


def _stride(stride):
    return None if stride is None or (isinstance(stride, (tuple, list)) and not stride) else stride


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:  # fmt: skip
    """(N, C, H, W) → (N, C, Ho, Wo): the maximum of each window (padding cells never win)."""
    _no_indices("max_pool2d", return_indices)
    x, added = _batched("max_pool2d", input, 2)
    y = ops.max_pool2d(x, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                       "channels_first")  # fmt: skip
    return _unbatch(y, added)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode: bool = False,
               return_indices: bool = False) -> Tensor:  # fmt: skip
    """(N, C, L) → (N, C, Lo)."""
    _no_indices("max_pool1d", return_indices)
    x, added = _batched("max_pool1d", input, 1)
    y = ops.max_pool1d(x, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                       "channels_first")  # fmt: skip
    return _unbatch(y, added)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> Tensor:  # fmt: skip
    """(N, C, H, W) → (N, C, Ho, Wo): the mean of each window, PyTorch's divisor rules."""
    x, added = _batched("avg_pool2d", input, 2)
    y = ops.avg_pool2d(x, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad,
                       divisor_override, "channels_first")  # fmt: skip
    return _unbatch(y, added)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:  # fmt: skip
    """(N, C, L) → (N, C, Lo)."""
    x, added = _batched("avg_pool1d", input, 1)
    y = ops.avg_pool1d(x, kernel_size, _stride(stride), padding, ceil_mode, count_include_pad,
                       "channels_first")  # fmt: skip
    return _unbatch(y, added)


def adaptive_avg_pool2d(input, output_size) -> Tensor:
    """(N, C, H, W) → (N, C, *output_size), PyTorch's windows; None in output_size keeps a size."""
    x, added = _batched("adaptive_avg_pool2d", input, 2)
    return _unbatch(ops.adaptive_avg_pool2d(x, output_size, "channels_first"), added)


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:  # fmt: skip
    """Resize (N, C, H, W) to ``size`` or by ``scale_factor``: mode ``"nearest"`` or
    ``"bilinear"`` (4-D inputs only here)."""
    if recompute_scale_factor or antialias:
        raise ValueError("interpolate: recompute_scale_factor and antialias are not supported")
    input = ensure_tensor(input)
    if input.ndim != 4:
        raise ValueError(
            f"interpolate: expected a 4-D (N, C, H, W) input, got {tuple(input.shape)}"
        )
    return ops.interpolate(input, size, scale_factor, mode, align_corners, "channels_first")


def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels: one keep/drop draw per (sample, channel) of (N, C, H, W) (or per
    channel of an unbatched (C, H, W)), survivors scaled by 1/(1 − p), when ``training``."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"dropout2d: probability p must be in [0, 1], got {p!r}")
    input = ensure_tensor(input)
    if input.ndim not in (3, 4):
        raise ValueError(
            f"dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
            f"{tuple(input.shape)}"
        )
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    shape = input.shape[: input.ndim - 2] + (1, 1)
    keep = get_generator().random(shape, dtype=np.float32) >= p
    mask = np.multiply(keep, input.data.dtype.type(1 / (1 - p)), dtype=input.data.dtype)
    return ops.mul(input, Tensor._wrap(mask))


__all__ = [
    "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d", "conv1d", "conv2d", "conv_transpose2d",
    "dropout2d", "interpolate", "max_pool1d", "max_pool2d",
]  # fmt: skip
