"""Image augmentation on whole batches: random shift, random crop, horizontal flip.

Batches may be ``(N, H, W, C)`` (``layout="NHWC"``, the default), ``(N, C, H, W)`` (``"NCHW"``) or
``(N, H, W)`` (``"NHW"``, e.g. raw MNIST). Every function draws from ``rng`` (default: the library
generator, seeded by ``chainrule.manual_seed``), is vectorised over the batch (one fancy-index
gather, no per-image Python loop) and returns a new array of the input's dtype.
"""

from __future__ import annotations

import numpy as np

from .. import random as _random

_LAYOUTS = {"NHWC": (1, 2), "NCHW": (2, 3), "NHW": (1, 2)}


def _check(images: np.ndarray, layout: str, op: str) -> tuple[int, int]:
    if layout not in _LAYOUTS:
        raise ValueError(f"{op}: layout must be one of {sorted(_LAYOUTS)}, got {layout!r}")
    want = 3 if layout == "NHW" else 4
    if images.ndim != want:
        raise ValueError(
            f"{op}: layout {layout} expects a {want}-D batch, got shape {images.shape}"
        )
    return _LAYOUTS[layout]


def _to_nhw_rest(images: np.ndarray, layout: str) -> np.ndarray:
    """A view with the spatial axes at positions 1, 2 (channels, if any, last)."""
    return np.moveaxis(images, 1, -1) if layout == "NCHW" else images


def _from_nhw_rest(images: np.ndarray, layout: str) -> np.ndarray:
    return np.ascontiguousarray(np.moveaxis(images, -1, 1)) if layout == "NCHW" else images


def _gather(padded: np.ndarray, top: np.ndarray, left: np.ndarray, h: int, w: int) -> np.ndarray:
    """``out[i] = padded[i, top[i]:top[i]+h, left[i]:left[i]+w]`` for every i, in one gather."""
    n = padded.shape[0]
    rows = top[:, None] + np.arange(h)  # (N, h)
    cols = left[:, None] + np.arange(w)  # (N, w)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def random_crop(
    images: np.ndarray,
    size: tuple[int, int],
    padding: int = 0,
    layout: str = "NHWC",
    fill: float = 0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Crop a random ``size=(h, w)`` window from each image, after padding each side by ``padding``.

    The output has the batch's layout with spatial size ``(h, w)``; padded pixels take ``fill``.
    """
    images = np.asarray(images)
    _check(images, layout, "random_crop")
    h, w = size
    if padding < 0:
        raise ValueError(f"random_crop: padding must be >= 0, got {padding}")
    x = _to_nhw_rest(images, layout)
    height, width = x.shape[1] + 2 * padding, x.shape[2] + 2 * padding
    if not (0 < h <= height and 0 < w <= width):
        raise ValueError(
            f"random_crop: crop size {(h, w)} does not fit images of spatial size "
            f"{x.shape[1:3]} padded by {padding}"
        )
    rng = _random.get_generator() if rng is None else rng
    n = x.shape[0]
    top = rng.integers(0, height - h + 1, size=n)
    left = rng.integers(0, width - w + 1, size=n)
    if padding:
        pad = [(0, 0), (padding, padding), (padding, padding)] + [(0, 0)] * (x.ndim - 3)
        x = np.pad(x, pad, constant_values=fill)
    return _from_nhw_rest(_gather(x, top, left, h, w), layout)


def random_shift(
    images: np.ndarray,
    max_shift: int,
    layout: str = "NHWC",
    fill: float = 0,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Translate each image by a random integer offset in ``[-max_shift, max_shift]`` per axis.

    Pixels shifted in from outside take ``fill``; the shape is unchanged.
    """
    images = np.asarray(images)
    h_axis, w_axis = _check(images, layout, "random_shift")
    if max_shift < 0:
        raise ValueError(f"random_shift: max_shift must be >= 0, got {max_shift}")
    size = (images.shape[h_axis], images.shape[w_axis])
    return random_crop(images, size, padding=max_shift, layout=layout, fill=fill, rng=rng)


def random_flip_horizontal(
    images: np.ndarray,
    p: float = 0.5,
    layout: str = "NHWC",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Mirror each image left-right with probability ``p``; returns a new array, shape unchanged."""
    images = np.asarray(images)
    _, w_axis = _check(images, layout, "random_flip_horizontal")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"random_flip_horizontal: p must be in [0, 1], got {p}")
    rng = _random.get_generator() if rng is None else rng
    flip = rng.random(images.shape[0]) < p
    out = images.copy()
    out[flip] = np.flip(images[flip], axis=w_axis)
    return out
