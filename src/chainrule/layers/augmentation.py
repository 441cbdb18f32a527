"""Keras image augmentation layers: RandomFlip, RandomTranslation, RandomRotation, RandomZoom.

Active only in training (``model.fit`` or ``training=True``); the identity in inference. One random
transform per image, drawn from chainrule's one generator (``chainrule.manual_seed``; a ``seed``
argument is accepted for Keras code). Inputs (N, H, W, C) (or one (H, W, C) image), channels_first
(N, C, H, W) with ``data_format="channels_first"``. Keras's argument names and defaults:
``fill_mode="reflect"``, ``interpolation="bilinear"``, ``fill_value=0.0``; factors are fractions
(of the height/width, or of a full turn for rotation), a number f meaning the range [−f, f].

The layers transform their input as data: no gradient flows back through them (they sit in front
of the trainable layers, as augmentation does).
"""

from __future__ import annotations

import numpy as np

from ..random import get_generator
from ..tensor import Tensor
from .affine_resample import FILL_MODES, affine_resample
from .base import Layer, register
from .convolutional import data_format_of


def _range(layer: Layer, arg: str, factor, allow_none: bool = False, bound: float | None = None):
    """Keras's factor: f → (−f, f); (lo, hi) as given; None allowed where ``allow_none``."""
    if factor is None and allow_none:
        return None
    if isinstance(factor, (int, float)) and not isinstance(factor, bool):
        lo, hi = -abs(float(factor)), abs(float(factor))
    elif (
        isinstance(factor, (tuple, list))
        and len(factor) == 2
        and all(isinstance(f, (int, float)) and not isinstance(f, bool) for f in factor)
    ):
        lo, hi = float(factor[0]), float(factor[1])
    else:
        raise ValueError(
            f"{layer.describe()}: {arg} must be a number or a (lower, upper) pair, got {factor!r}"
        )
    if lo > hi or (bound is not None and (lo < -bound or hi > bound)):
        raise ValueError(
            f"{layer.describe()}: {arg} must give lower <= upper"
            + (f" within [-{bound}, {bound}]" if bound is not None else "")
            + f", got {factor!r}"
        )
    return (lo, hi)


class BaseAugmentation(Layer):
    """Shared body: input checks, the training switch, channels handling, config."""

    autocast = False

    def __init__(self, seed=None, data_format=None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.seed = seed
        self.data_format = data_format_of(self, data_format)

    def forward(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(
                f"{self.describe()} expects a 4-D batch or a 3-D image, got shape {tuple(x.shape)}"
            )
        if not self.training:
            return x
        a = x.data
        single = a.ndim == 3
        if single:
            a = a[None]
        cf = self.data_format == "channels_first"
        if cf:
            a = a.transpose(0, 2, 3, 1)
        if a.dtype.kind != "f":
            a = a.astype(np.float32)
        out = self.transform(a)
        if cf:
            out = out.transpose(0, 3, 1, 2)
        return Tensor(np.ascontiguousarray(out[0] if single else out))

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed, "data_format": self.data_format}


class _AffineAugmentation(BaseAugmentation):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", fill_value=0.0, **kwargs):
        super().__init__(**kwargs)
        if fill_mode not in FILL_MODES:
            raise ValueError(
                f"{self.describe()}: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}"
            )
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"{self.describe()}: interpolation must be 'nearest' or 'bilinear', got "
                f"{interpolation!r}"
            )
        self.fill_mode, self.interpolation = fill_mode, interpolation
        self.fill_value = float(fill_value)

    def transform(self, a: np.ndarray) -> np.ndarray:
        return affine_resample(a, self.matrices(a.shape[0], a.shape[1], a.shape[2]),
                               self.interpolation, self.fill_mode, self.fill_value)  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "interpolation": self.interpolation, "fill_value": self.fill_value}  # fmt: skip


def _uniform(lo_hi, n: int) -> np.ndarray:
    lo, hi = lo_hi
    return lo + (hi - lo) * get_generator().random(n)


@register
class RandomFlip(BaseAugmentation):
    """Flip each image left-right and/or up-down with probability 1/2 each.
    ``mode``: "horizontal", "vertical" or "horizontal_and_vertical" (default)."""

    default_name = "random_flip"
    MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if mode not in self.MODES:
            raise ValueError(f"{self.describe()}: mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode

    def transform(self, a: np.ndarray) -> np.ndarray:
        out = a
        if self.mode != "vertical":
            flip = get_generator().random(a.shape[0]) < 0.5
            out = np.where(flip[:, None, None, None], out[:, :, ::-1], out)
        if self.mode != "horizontal":
            flip = get_generator().random(a.shape[0]) < 0.5
            out = np.where(flip[:, None, None, None], out[:, ::-1], out)
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


@register
class RandomTranslation(_AffineAugmentation):
    """Shift each image by a random fraction of its height (``height_factor``) and width
    (``width_factor``); positive moves content down / right."""

    default_name = "random_translation"

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear",
                 seed=None, fill_value=0.0, data_format=None, **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, fill_value, seed=seed, data_format=data_format,
                         **kwargs)  # fmt: skip
        self.height_factor = _range(self, "height_factor", height_factor, bound=1.0)
        self.width_factor = _range(self, "width_factor", width_factor, bound=1.0)

    def matrices(self, n: int, h: int, w: int) -> np.ndarray:
        m = np.zeros((n, 2, 3))
        m[:, 0, 0] = m[:, 1, 1] = 1
        m[:, 0, 2] = -_uniform(self.height_factor, n) * h
        m[:, 1, 2] = -_uniform(self.width_factor, n) * w
        return m

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": list(self.width_factor)}  # fmt: skip


@register
class RandomRotation(_AffineAugmentation):
    """Rotate each image about its centre by a random fraction of a full turn (``factor``: f →
    [−f·2π, f·2π]); positive angles turn the content counter-clockwise."""

    default_name = "random_rotation"

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, fill_value, seed=seed, data_format=data_format,
                         **kwargs)  # fmt: skip
        self.factor = _range(self, "factor", factor)

    def matrices(self, n: int, h: int, w: int) -> np.ndarray:
        theta = _uniform(self.factor, n) * 2 * np.pi
        cos, sin = np.cos(theta), np.sin(theta)
        cy, cx = (h - 1) / 2, (w - 1) / 2
        m = np.empty((n, 2, 3))  # input (r, c) of output (i, j), rows pointing down
        m[:, 0, 0], m[:, 0, 1] = cos, sin
        m[:, 1, 0], m[:, 1, 1] = -sin, cos
        m[:, 0, 2] = cy - cos * cy - sin * cx
        m[:, 1, 2] = cx + sin * cy - cos * cx
        return m

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": list(self.factor)}


@register
class RandomZoom(_AffineAugmentation):
    """Zoom each image about its centre: a factor z drawn from ``height_factor`` scales the view by
    1 + z (positive zooms out, negative zooms in, as Keras 3); ``width_factor=None`` uses the same
    z for the width (aspect ratio kept)."""

    default_name = "random_zoom"

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):  # fmt: skip
        super().__init__(fill_mode, interpolation, fill_value, seed=seed, data_format=data_format,
                         **kwargs)  # fmt: skip
        self.height_factor = _range(self, "height_factor", height_factor)
        self.width_factor = _range(self, "width_factor", width_factor, allow_none=True)
        for f in (self.height_factor, self.width_factor):
            if f is not None and f[0] <= -1:
                raise ValueError(f"{self.describe()}: zoom factors must be > -1, got {f}")

    def matrices(self, n: int, h: int, w: int) -> np.ndarray:
        zh = 1 + _uniform(self.height_factor, n)
        zw = zh if self.width_factor is None else 1 + _uniform(self.width_factor, n)
        cy, cx = (h - 1) / 2, (w - 1) / 2
        m = np.zeros((n, 2, 3))
        m[:, 0, 0], m[:, 1, 1] = zh, zw
        m[:, 0, 2], m[:, 1, 2] = cy * (1 - zh), cx * (1 - zw)
        return m

    def get_config(self) -> dict:
        wf = None if self.width_factor is None else list(self.width_factor)
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": wf}  # fmt: skip
