"""Linear and Identity (PyTorch door): ``y = x @ weight.T + bias`` with weight (out, in)."""

from __future__ import annotations

import math

import numpy as np

from ...ops import linear
from ...random import get_generator
from ...tensor import Tensor
from ..module import Module
from ..parameter import Parameter
from .utils import check_size, factory_dtype


class Identity(Module):
    """Returns its input unchanged (any arguments to the constructor are ignored, as in PyTorch)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """x (*, in_features) → (*, out_features).

    ``weight`` (out_features, in_features) and ``bias`` (out_features,) are PyTorch's layout and
    initialisation (both U(−1/√in, 1/√in), i.e. kaiming_uniform with a=√5), so a PyTorch state dict
    loads directly. The product runs in one fused node on the transposed view (no copy).
    """

    def __init__(
        self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None
    ):
        super().__init__()
        self.in_features = check_size("Linear", "in_features", in_features, allow_zero=True)
        self.out_features = check_size("Linear", "out_features", out_features, allow_zero=True)
        dt = factory_dtype("Linear", device, dtype)
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dt))
        self.bias = Parameter(np.empty((self.out_features,), dtype=dt)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight and bias with PyTorch's default initialisation."""
        gen = get_generator()
        bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        dt = self.weight.data.dtype
        self.weight.data[...] = gen.uniform(-bound, bound, self.weight.shape).astype(dt)
        if self.bias is not None:
            self.bias.data[...] = gen.uniform(-bound, bound, self.bias.shape).astype(dt)

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor):
            input = Tensor(input)
        if input.ndim < 1 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): "
                f"input of shape {tuple(input.shape)} has {input.shape[-1] if input.ndim else 0}"
                f" features in its last dimension, expected {self.in_features}"
            )
        return linear(input, self.weight, self.bias, layout="out_in")

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
