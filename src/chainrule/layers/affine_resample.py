"""Vectorised per-image affine resampling for the augmentation layers (no loop over images).

``affine_resample(x, m, ...)`` reads, for each output pixel (row i, column j) of image n, the input
at ``(r, c) = m[n] @ (i, j, 1)`` (an output→input map), by ``"nearest"`` or ``"bilinear"``
interpolation, with Keras's fill modes for points outside the image: ``"reflect"`` (d c b a | a b c
d | d c b a), ``"wrap"`` (a b c d | a b c d), ``"nearest"`` (a a a a | a b c d | d d d d) and
``"constant"`` (``fill_value``). Input arrays are channels-last (N, H, W, C).
"""

from __future__ import annotations

import numpy as np

FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def _fold(k: np.ndarray, n: int, mode: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer indices folded into [0, n) by ``mode``; for "constant" also the in-range mask."""
    if mode == "reflect":
        k = np.mod(k, 2 * n)
        return np.where(k >= n, 2 * n - 1 - k, k), None
    if mode == "wrap":
        return np.mod(k, n), None
    inside = (k >= 0) & (k < n) if mode == "constant" else None
    return np.clip(k, 0, n - 1), inside


def affine_resample(x: np.ndarray, m: np.ndarray, interpolation: str = "bilinear",
                    fill_mode: str = "reflect", fill_value: float = 0.0) -> np.ndarray:  # fmt: skip
    """x (N, H, W, C), m (N, 2, 3) output→input maps in (row, column) pixel coordinates →
    (N, H, W, C) in x's dtype."""
    n, h, w, _ = x.shape
    ii, jj = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")  # fmt: skip
    grid = np.stack([ii.ravel(), jj.ravel(), np.ones(h * w)])  # (3, H·W)
    src = m.astype(np.float64) @ grid  # (N, 2, H·W)
    r, c = src[:, 0], src[:, 1]
    batch = np.arange(n)[:, None]
    if interpolation == "nearest":
        ri, rin = _fold(np.floor(r + 0.5).astype(np.int64), h, fill_mode)
        ci, cin = _fold(np.floor(c + 0.5).astype(np.int64), w, fill_mode)
        out = x[batch, ri, ci]  # (N, H·W, C)
        if fill_mode == "constant":
            out = np.where((rin & cin)[..., None], out, np.asarray(fill_value, x.dtype))
        return out.reshape(x.shape).astype(x.dtype, copy=False)
    r0, c0 = np.floor(r), np.floor(c)
    fr, fc = (r - r0).astype(x.dtype)[..., None], (c - c0).astype(x.dtype)[..., None]
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    out = np.zeros((n, h * w, x.shape[3]), dtype=x.dtype)
    fv = np.asarray(fill_value, dtype=x.dtype)
    for dr, wr in ((0, 1 - fr), (1, fr)):
        ri, rin = _fold(r0 + dr, h, fill_mode)
        for dc, wc in ((0, 1 - fc), (1, fc)):
            ci, cin = _fold(c0 + dc, w, fill_mode)
            v = x[batch, ri, ci]
            if fill_mode == "constant":
                v = np.where((rin & cin)[..., None], v, fv)
            out += wr * wc * v
    return out.reshape(x.shape)
