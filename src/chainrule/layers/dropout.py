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

    ``noise_shape`` (Keras's semantics): the mask's full shape, batch axis included, one entry per
    input axis; ``None`` entries take the input's size and 1 shares the mask along that axis
    (``(None, 1, C)`` on (N, T, C) inputs drops whole channels per sample). None means elementwise.
    """

    supports_masking = True  # passes an incoming sequence mask on (Keras)
    default_name = "dropout"

    def __init__(
        self,
        rate: float,
        noise_shape=None,
        seed: int | None = None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        """``seed`` is accepted for Keras code; masks always come from the library generator
        (``chainrule.manual_seed`` / ``keras.utils.set_random_seed`` make them reproducible)."""
        self.seed = seed
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"{self.describe()}: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)
        if noise_shape is not None:
            try:
                noise_shape = tuple(noise_shape)
            except TypeError:
                raise ValueError(
                    f"{self.describe()}: noise_shape must be a tuple of ints or None (one entry "
                    f"per input axis, batch included), got {noise_shape!r}"
                ) from None
            for d in noise_shape:
                if d is not None and (
                    isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 1
                ):
                    raise ValueError(
                        f"{self.describe()}: noise_shape entries must be positive ints or None, "
                        f"got {noise_shape!r}"
                    )
            noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
        self.noise_shape = noise_shape

    def _mask_shape(self, shape: tuple) -> tuple:
        """The concrete mask shape for an input of ``shape``: None entries filled from it."""
        noise = self.noise_shape
        if noise is None:
            return shape
        if len(noise) != len(shape):
            raise ValueError(
                f"{self.describe()}: noise_shape {noise} has {len(noise)} entries but the input "
                f"{shape} has {len(shape)} axes; give one entry per input axis, the batch axis "
                "included (None takes the input's size)"
            )
        concrete = tuple(n if d is None else d for d, n in zip(noise, shape))
        if any(d not in (1, n) for d, n in zip(concrete, shape)):
            raise ValueError(
                f"{self.describe()}: noise_shape {noise} does not broadcast against input "
                f"{shape}: each entry must be None, 1 or the input's size on that axis"
            )
        return concrete

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.rate == 0:
            return x
        mask = dropout_mask(self._mask_shape(x.shape), self.rate, x.data.dtype)
        return mul(x, Tensor._wrap(mask))

    def get_config(self) -> dict:
        noise = None if self.noise_shape is None else list(self.noise_shape)
        config = {**super().get_config(), "rate": self.rate, "noise_shape": noise}
        if self.seed is not None:
            config["seed"] = self.seed
        return config

    def extra_repr(self) -> str:
        return f"{self.name!r}, rate={self.rate}"


@register
class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: x (N, H, W, C) → x · mask with one mask value per (sample,
    channel), shared over H and W (channels_first: (N, C, H, W)). Identity in evaluation."""

    default_name = "spatial_dropout2d"

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, dtype="float32", **kwargs):  # fmt: skip
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                f"{self.describe()}: data_format must be 'channels_last' or 'channels_first', "
                f"got {data_format!r}"
            )
        self.data_format = data_format or "channels_last"

    def _mask_shape(self, shape: tuple) -> tuple:
        if len(shape) != 4:
            raise ValueError(f"{self.describe()} expects a 4-D input, got shape {tuple(shape)}")
        n = shape[0]
        if self.data_format == "channels_last":
            return (n, 1, 1, shape[3])
        return (n, shape[1], 1, 1)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["noise_shape"]
        config["data_format"] = self.data_format
        return config
