"""Keras spatial reshaping layers: UpSampling2D, ZeroPadding2D, Cropping2D and Resizing — thin
constructors over :func:`chainrule.ops.upsample2d`, :func:`~chainrule.ops.pad2d` (negative amounts
crop) and :func:`~chainrule.ops.interpolate`. Inputs (N, H, W, C), or (N, C, H, W) for
``data_format="channels_first"``.
"""

from __future__ import annotations

from ..ops import interpolate, pad2d, upsample2d
from .base import Layer, register
from .convolutional import data_format_of, int_tuple


def pairs(layer: Layer, arg: str, value) -> tuple:
    """Keras's int / (h, w) / ((top, bottom), (left, right)) as ((t, b), (l, r)) of ints >= 0."""
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (tuple, list)) for v in value)
    ):
        return tuple(int_tuple(layer, arg, v, 2, minimum=0) for v in value)
    h, w = int_tuple(layer, arg, value, 2, minimum=0)
    return ((h, h), (w, w))


class Spatial2D(Layer):
    """Shared input check and data_format of the 2-D spatial layers."""

    autocast = False

    def __init__(self, data_format=None, name: str | None = None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.data_format = data_format_of(self, data_format)

    def _hw(self, shape) -> tuple:
        if len(shape) != 4:
            raise ValueError(
                f"{self.describe()} expects a 4-D input ({self.data_format}), got shape "
                f"{tuple(shape)}"
            )
        return tuple(shape[1:3]) if self.data_format == "channels_last" else tuple(shape[2:])

    def _with_hw(self, input_shape, h, w) -> tuple:
        if self.data_format == "channels_last":
            return (input_shape[0], h, w, input_shape[3])
        return (input_shape[0], input_shape[1], h, w)

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


@register
class UpSampling2D(Spatial2D):
    """(N, H, W, C) → (N, H·sh, W·sw, C): rows/columns repeated ("nearest") or bilinear."""

    default_name = "up_sampling2d"

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = int_tuple(self, "size", size, 2)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"{self.describe()}: interpolation must be 'nearest' or 'bilinear', got "
                f"{interpolation!r}"
            )
        self.interpolation = interpolation

    def forward(self, x):
        self._hw(x.shape)
        return upsample2d(x, self.size, self.interpolation, self.data_format)

    def compute_output_shape(self, input_shape):
        h, w = self._hw(input_shape)
        sh, sw = self.size
        return self._with_hw(input_shape, None if h is None else h * sh,
                             None if w is None else w * sw)  # fmt: skip

    def get_config(self) -> dict:
        return {**super().get_config(), "size": list(self.size),
                "interpolation": self.interpolation}  # fmt: skip


class _Border(Spatial2D):
    sign = 1
    arg = "padding"

    def __init__(self, amounts, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        setattr(self, self.arg, pairs(self, self.arg, amounts))

    def _amounts(self):
        return getattr(self, self.arg)

    def _out_hw(self, shape):
        h, w = self._hw(shape)
        (t, b), (left, r) = self._amounts()
        s = self.sign
        oh = None if h is None else h + s * (t + b)
        ow = None if w is None else w + s * (left + r)
        if (oh is not None and oh < 1) or (ow is not None and ow < 1):
            raise ValueError(
                f"{self.describe()}: {self.arg} {self._amounts()} leaves nothing of input "
                f"{tuple(shape)}"
            )
        return oh, ow

    def forward(self, x):
        self._out_hw(x.shape)
        (t, b), (left, r) = self._amounts()
        s = self.sign
        return pad2d(x, ((s * t, s * b), (s * left, s * r)), 0.0, self.data_format)

    def compute_output_shape(self, input_shape):
        return self._with_hw(input_shape, *self._out_hw(input_shape))

    def get_config(self) -> dict:
        return {**super().get_config(), self.arg: [list(p) for p in self._amounts()]}


@register
class ZeroPadding2D(_Border):
    """(N, H, W, C) → (N, H + t + b, W + l + r, C), zeros around. ``padding``: int, (h, w) or
    ((top, bottom), (left, right)); default 1 on every side."""

    default_name = "zero_padding2d"

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


@register
class Cropping2D(_Border):
    """(N, H, W, C) → (N, H − t − b, W − l − r, C). ``cropping`` as ZeroPadding2D's padding;
    default no cropping."""

    default_name = "cropping2d"
    sign = -1
    arg = "cropping"

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


@register
class Resizing(Spatial2D):
    """(N, H, W, C) → (N, height, width, C), bilinear (half-pixel centres) or nearest, as Keras's
    ``Resizing`` without antialiasing; a 3-D (H, W, C) image is resized as a batch of one.
    ``crop_to_aspect_ratio=True`` first center-crops to the target aspect ratio."""

    default_name = "resizing"
    autocast = True

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, data_format=None, **kwargs):  # fmt: skip
        super().__init__(data_format, **kwargs)
        self.height, self.width = int_tuple(self, "(height, width)", (height, width), 2)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(
                f"{self.describe()}: interpolation must be 'nearest' or 'bilinear', got "
                f"{interpolation!r}"
            )
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def forward(self, x):
        single = x.ndim == 3
        if single:
            x = x.reshape(1, *x.shape)
        h, w = self._hw(x.shape)
        if self.crop_to_aspect_ratio:
            ch = min(h, round(w * self.height / self.width))
            cw = min(w, round(h * self.width / self.height))
            t, left = (h - ch) // 2, (w - cw) // 2
            x = pad2d(x, ((-t, -(h - ch - t)), (-left, -(w - cw - left))), 0.0, self.data_format)
        y = interpolate(x, size=(self.height, self.width), mode=self.interpolation,
                        data_format=self.data_format)  # fmt: skip
        return y.reshape(*y.shape[1:]) if single else y

    def compute_output_shape(self, input_shape):
        if len(input_shape) == 3:
            return self.compute_output_shape((1, *input_shape))[1:]
        self._hw(input_shape)
        return self._with_hw(input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio}  # fmt: skip
