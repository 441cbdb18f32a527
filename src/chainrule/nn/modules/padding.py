"""ZeroPad2d and Upsample (PyTorch door), channels-first."""

from __future__ import annotations

import numpy as np

from ...ops import pad2d
from ...tensor import Tensor
from .. import functional as F
from ..module import Module


class ZeroPad2d(Module):
    """(N, C, H, W) → (N, C, H + top + bottom, W + left + right). ``padding``: an int (all four
    sides) or (left, right, top, bottom), as PyTorch orders them; negative amounts crop."""

    def __init__(self, padding):
        super().__init__()
        p = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * 4
        if len(p) != 4 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in p
        ):
            raise ValueError(f"ZeroPad2d: padding must be an int or 4 ints, got {padding!r}")
        self.padding = tuple(int(v) for v in p)

    def forward(self, input: Tensor) -> Tensor:
        if input.ndim not in (3, 4):
            raise ValueError(
                f"ZeroPad2d: expected a 3-D or 4-D input, got shape {tuple(input.shape)}"
            )
        left, right, top, bottom = self.padding
        x = input.reshape(1, *input.shape) if input.ndim == 3 else input
        y = pad2d(x, ((top, bottom), (left, right)), 0.0, "channels_first")
        return y.reshape(*y.shape[1:]) if input.ndim == 3 else y

    def extra_repr(self) -> str:
        return f"{self.padding}"


class Upsample(Module):
    """Resize (N, C, H, W) to ``size`` or by ``scale_factor`` ("nearest" or "bilinear")."""

    def __init__(self, size=None, scale_factor=None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None):  # fmt: skip
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        if mode not in ("nearest", "bilinear"):
            raise ValueError(f"Upsample: mode must be 'nearest' or 'bilinear', got {mode!r}")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        return F.interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)  # fmt: skip

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
