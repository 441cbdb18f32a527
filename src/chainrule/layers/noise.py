"""GaussianNoise: adds zero-mean Gaussian noise in training (a regulariser); identity otherwise."""

from __future__ import annotations

import numpy as np

from ..ops import add
from ..random import get_generator
from ..tensor import Tensor
from .base import Layer, register


@register
class GaussianNoise(Layer):
    """x (any shape) → x + N(0, stddev²) noise in training; x in evaluation.

    ``seed`` is accepted for Keras compatibility; draws come from the library generator
    (``chainrule.manual_seed``), so runs are reproducible through it.
    """

    default_name = "gaussian_noise"

    def __init__(self, stddev: float, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(f"{self.describe()}: stddev must be a number >= 0, got {stddev!r}")
        self.stddev = float(stddev)
        self.seed = seed

    def forward(self, x, training=None):
        if not (self.training if training is None else training) or self.stddev == 0:
            return x
        noise = get_generator().standard_normal(x.shape, dtype=np.float32) * self.stddev
        return add(x, Tensor._wrap(noise.astype(x.data.dtype, copy=False)))

    def get_config(self) -> dict:
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}
