"""Image grids as PNG files, written with NumPy and the standard library alone (zlib), so that a
generative model's samples can be saved without any optional extra.

``save_image_grid(images, "samples.png", nrow=8)`` tiles a batch of images row by row, ``nrow``
images per row (as torchvision's ``save_image``), with ``padding`` pixels of ``pad_value`` between
and around them. Accepted layouts, float values in ``value_range`` (default ``(0, 1)``, clipped)
or uint8 values in [0, 255]:

- ``(N, H, W)`` grayscale;
- ``(N, H, W, C)`` channels-last (Keras door), C in {1, 3};
- ``(N, C, H, W)`` channels-first (PyTorch door), C in {1, 3}.

A 4-D array whose last axis is 1 or 3 is read channels-last; otherwise one whose axis 1 is 1 or 3
is read channels-first.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np

MAX_IMAGES = 100_000
MAX_SIDE = 16_384


def _as_array(images) -> np.ndarray:
    data = getattr(images, "data", images)  # a Tensor's array
    if hasattr(data, "get"):  # a CuPy array
        data = data.get()
    return np.asarray(data)


def _channels_last(a: np.ndarray) -> np.ndarray:
    """``(N, H, W, C)`` with C in {1, 3} from any accepted layout."""
    if a.ndim == 3:
        return a[..., None]
    if a.ndim == 4:
        if a.shape[-1] in (1, 3):
            return a
        if a.shape[1] in (1, 3):
            return a.transpose(0, 2, 3, 1)
    raise ValueError(
        "save_image_grid: images must be (N, H, W), (N, H, W, C) or (N, C, H, W) with C 1 or 3, "
        f"got shape {a.shape}"
    )


def image_grid(
    images,
    nrow: int = 8,
    *,
    padding: int = 2,
    pad_value: float = 0.0,
    value_range: tuple[float, float] = (0.0, 1.0),
    scale: int = 1,
) -> np.ndarray:
    """The tiled grid as uint8 ``(rows, cols)`` (grayscale) or ``(rows, cols, 3)`` (RGB).

    ``images``: see the module docstring. ``nrow``: images per row (the last row may be short).
    ``pad_value``: the separator's value in ``value_range`` units. ``scale``: each pixel becomes a
    ``scale`` × ``scale`` block (nearest neighbour), for viewing small images.
    """
    a = _channels_last(_as_array(images))
    n, h, w, c = a.shape
    if n == 0 or n > MAX_IMAGES:
        raise ValueError(f"save_image_grid: expects 1 to {MAX_IMAGES} images, got {n}")
    for name, v, lo in (("nrow", nrow, 1), ("padding", padding, 0), ("scale", scale, 1)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < lo:
            raise ValueError(f"save_image_grid: {name} must be an int >= {lo}, got {v!r}")
    lo, hi = (float(v) for v in value_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"save_image_grid: value_range must be (low, high) with low < high, got "
                         f"{value_range!r}")  # fmt: skip
    if a.dtype == np.uint8:
        pixels = a
        pad = np.uint8(np.clip(round(255 * (pad_value - lo) / (hi - lo)), 0, 255))
    elif np.issubdtype(a.dtype, np.number) and not np.iscomplexobj(a):
        f = (a.astype(np.float32) - np.float32(lo)) * np.float32(255.0 / (hi - lo))
        pixels = np.clip(np.nan_to_num(f, nan=0.0), 0, 255).round().astype(np.uint8)
        pad = np.uint8(np.clip(round(255 * (pad_value - lo) / (hi - lo)), 0, 255))
    else:
        raise TypeError(f"save_image_grid: images must be real numbers, got dtype {a.dtype}")
    if scale > 1:
        pixels = pixels.repeat(scale, axis=1).repeat(scale, axis=2)
        h, w = h * scale, w * scale
    cols = min(int(nrow), n)
    rows = -(-n // cols)
    height, width = rows * (h + padding) + padding, cols * (w + padding) + padding
    if height > MAX_SIDE or width > MAX_SIDE:
        raise ValueError(f"save_image_grid: grid of {height} x {width} pixels exceeds {MAX_SIDE}")
    full = np.full((rows * cols, h, w, c), pad, dtype=np.uint8)
    full[:n] = pixels
    # cells with their right/bottom padding, then the top/left border
    tiles = np.full((rows, h + padding, cols, w + padding, c), pad, dtype=np.uint8)
    tiles[:, :h, :, :w] = full.reshape(rows, cols, h, w, c).transpose(0, 2, 1, 3, 4)
    grid = np.full((height, width, c), pad, dtype=np.uint8)
    grid[padding:, padding:] = tiles.reshape(height - padding, width - padding, c)
    return grid[..., 0] if c == 1 else grid


def encode_png(pixels: np.ndarray) -> bytes:
    """PNG bytes of a uint8 image ``(H, W)`` (grayscale) or ``(H, W, 3)`` (RGB)."""
    a = np.ascontiguousarray(pixels)
    if a.dtype != np.uint8 or not (a.ndim == 2 or (a.ndim == 3 and a.shape[2] == 3)):
        raise ValueError(f"encode_png: expects uint8 (H, W) or (H, W, 3), got {a.dtype} {a.shape}")
    h, w = a.shape[:2]
    colour = 0 if a.ndim == 2 else 2  # PNG colour type: 0 grayscale, 2 truecolour
    rows = a.reshape(h, -1)
    # Per scanline, filter "None" (0) or "Up" (2: the byte minus the one above, mod 256),
    # whichever has the smaller sum of absolute signed bytes (the usual PNG heuristic).
    up = rows.copy()
    up[1:] -= rows[:-1]  # uint8 arithmetic wraps, as PNG's filter does
    cost_none = np.abs(rows.view(np.int8).astype(np.int32)).sum(axis=1)
    cost_up = np.abs(up.view(np.int8).astype(np.int32)).sum(axis=1)
    use_up = cost_up < cost_none
    raw = np.empty((h, rows.shape[1] + 1), dtype=np.uint8)
    raw[:, 0] = np.where(use_up, 2, 0)
    raw[:, 1:] = np.where(use_up[:, None], up, rows)

    def chunk(tag: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(tag + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
        + chunk(b"IEND", b"")
    )


def save_image_grid(
    images,
    path: str | os.PathLike,
    nrow: int = 8,
    *,
    padding: int = 2,
    pad_value: float = 0.0,
    value_range: tuple[float, float] = (0.0, 1.0),
    scale: int = 1,
) -> Path:
    """Tile ``images`` (see the module docstring) ``nrow`` per row and write a PNG at ``path``
    (atomically); returns the path. Arguments as :func:`image_grid`."""
    from ..io.atomic import atomic_write_bytes

    grid = image_grid(images, nrow, padding=padding, pad_value=pad_value,
                      value_range=value_range, scale=scale)  # fmt: skip
    return atomic_write_bytes(Path(path), encode_png(grid))
