"""Dropout (inverted): in training, zero each element with probability ``rate`` and scale the
survivors by 1 / (1 − rate), so evaluation is the identity. Masks come from the library generator
(``chainrule.manual_seed``)."""

from __future__ import annotations

import numpy as np

from ..ops import mul
from ..random import get_generator
from ..tensor import Tensor
from .base import Layer, register


def dropout_mask(shape: tuple, rate: float, dtype) -> np.ndarray:
    """An array of 0 and 1/(1 − rate) values, each nonzero with probability 1 − rate."""
    keep = get_generator().random(shape, dtype=np.float32) >= rate
    return np.multiply(keep, np.dtype(dtype).type(1 / (1 - rate)), dtype=dtype)


@register
class Dropout(Layer):
    """x (any shape) → x · mask in training, x in evaluation.

    ``noise_shape``: the mask's shape without the batch axis, with 1 where the mask is shared
    (e.g. ``(1, C)`` for (N, T, C) inputs drops whole channels); None means elementwise.
    """

    default_name = "dropout"

    def __init__(
        self,
        rate: float,
        noise_shape=None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"{self.describe()}: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.rate == 0:
            return x
        shape = x.shape
        if self.noise_shape is not None:
            shape = (x.shape[0],) + self.noise_shape
            try:
                np.broadcast_shapes(shape, x.shape)
            except ValueError:
                raise ValueError(
                    f"{self.describe()}: noise_shape {self.noise_shape} does not broadcast "
                    f"against input {x.shape}"
                ) from None
        mask = dropout_mask(shape, self.rate, x.data.dtype)
        return mul(x, Tensor._wrap(mask))

    def get_config(self) -> dict:
        noise = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise}

    def extra_repr(self) -> str:
        return f"{self.name!r}, rate={self.rate}"
