"""Resizing images: nearest and bilinear interpolation (upsampling), and 2-D constant padding.

Integer nearest upsampling (Keras ``UpSampling2D``'s default, PyTorch's ``scale_factor=2``) is a
broadcast copy forward and ``fh·fw`` strided adds backward. Every other resize is linear and
separable — ``y[n, o, p, c] = Σ A[o, h] · x[n, h, w, c] · B[p, w]`` — and runs as
:class:`SpatialLinear`: two matrix products forward, the transposed two backward. The matrices
hold PyTorch's coefficients (computed in the input's float type, as PyTorch computes them), so
nearest at non-integer scales, bilinear with or without ``align_corners``, and the non-divisible
case of adaptive average pooling are all exact matches.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from . import _conv_util as cu
from ._convert import ensure_tensor


class SpatialLinear(Function):
    """``y = A · x · Bᵀ`` over the two spatial axes; A (Ho, H), B (Wo, W)."""

    def forward(self, x, *, a, b, cf):
        m = xp(x)
        self.a, self.b, self.cf = a, b, cf
        xv = cu.to_nhwc(x, cf)
        t = m.tensordot(a, xv, axes=(1, 1))  # (Ho, N, W, C)
        y = m.tensordot(t, b, axes=(2, 1))  # (Ho, N, C, Wo)
        out = m.ascontiguousarray(y.transpose(1, 0, 3, 2))
        return cu.from_nhwc(out, cf)

    def backward(self, g):
        m = xp(g)
        gv = cu.to_nhwc(g, self.cf)
        t = m.tensordot(self.a, gv, axes=(0, 1))  # (H, N, Wo, C)
        y = m.tensordot(t, self.b, axes=(2, 0))  # (H, N, C, W)
        return cu.from_nhwc(m.ascontiguousarray(y.transpose(1, 0, 3, 2)), self.cf)

    def backward_graph(self, g):
        """The adjoint is the same op with the transposed matrices."""
        return SpatialLinear.apply(g, a=self.a.T, b=self.b.T, cf=self.cf)


def _spatial_linear(x: Tensor, a, b, cf: bool) -> Tensor:
    m = xp(x.data)
    return SpatialLinear.apply(x, a=m.asarray(a), b=m.asarray(b), cf=cf)


class Repeat2d(Function):
    """Nearest upsampling by integer factors (fh, fw): each pixel becomes an fh×fw block."""

    def forward(self, x, *, factors, cf):
        m = xp(x)
        xv = cu.to_nhwc(x, cf)
        n, h, w, c = xv.shape
        fh, fw = factors
        self.factors, self.cf, self.in_shape = factors, cf, xv.shape
        out = m.empty((n, h, fh, w, fw, c), dtype=x.dtype)
        out[...] = xv[:, :, None, :, None, :]
        return cu.from_nhwc(out.reshape(n, h * fh, w * fw, c), cf)

    def backward(self, g):
        gv = cu.to_nhwc(g, self.cf)
        fh, fw = self.factors
        gx = gv[:, ::fh, ::fw].copy()
        for i in range(fh):
            for j in range(fw):
                if i or j:
                    gx += gv[:, i::fh, j::fw]
        return cu.from_nhwc(gx, self.cf)

    def backward_graph(self, g):
        """The sum over each fh×fw block: a reshape and a sum."""
        fh, fw = self.factors
        n, h, w, c = self.in_shape
        if self.cf:
            return g.reshape(n, c, h, fh, w, fw).sum(axis=(3, 5))
        return g.reshape(n, h, fh, w, fw, c).sum(axis=(2, 4))


def adaptive_matrix(n: int, o: int, dtype) -> np.ndarray:
    """(o, n) averaging matrix of PyTorch's adaptive pooling: row i averages
    ``floor(i·n/o) … ceil((i+1)·n/o) − 1``."""
    a = np.zeros((o, n), dtype=dtype)
    for i in range(o):
        lo, hi = (i * n) // o, -(-((i + 1) * n) // o)
        a[i, lo:hi] = 1 / (hi - lo)
    return a


def _scale(n: int, o: int, factor, align_corners: bool, ftype):
    """PyTorch's source-per-destination scale, in the compute type ``ftype``."""
    if align_corners:
        return ftype((n - 1) / (o - 1)) if o > 1 else ftype(0)
    if factor is not None:
        return ftype(1.0 / factor)
    return ftype(n) / ftype(o)


def nearest_index(n: int, o: int, factor=None) -> np.ndarray:
    """PyTorch ``mode='nearest'``: source ``min(floor(dst · scale), n − 1)``, computed in float32."""
    if o == n:
        return np.arange(o)
    if o == 2 * n:
        return np.arange(o) // 2
    scale = _scale(n, o, factor, False, np.float32)
    src = np.floor(np.arange(o, dtype=np.float32) * scale).astype(np.int64)
    return np.minimum(src, n - 1)


def bilinear_matrix(n: int, o: int, factor, align_corners: bool, dtype) -> np.ndarray:
    """(o, n) linear-interpolation matrix, PyTorch's coefficients (half-pixel centres unless
    ``align_corners``; Keras/TensorFlow bilinear resizing uses the same half-pixel rule)."""
    ft = np.dtype(dtype).type
    scale = _scale(n, o, factor, align_corners, ft)
    dst = np.arange(o, dtype=dtype)
    if align_corners:
        src = scale * dst
    else:
        src = np.maximum(scale * (dst + ft(0.5)) - ft(0.5), ft(0))
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    lam = np.clip(src - i0.astype(dtype), 0, 1).astype(dtype)
    i1 = i0 + (i0 < n - 1)
    a = np.zeros((o, n), dtype=dtype)
    rows = np.arange(o)
    a[rows, i0] += 1 - lam
    a[rows, i1] += lam
    return a


def interpolate(
    x,
    size=None,
    scale_factor=None,
    mode: str = "nearest",
    align_corners: bool | None = None,
    data_format: str = "channels_last",
) -> Tensor:
    """Resize the two spatial axes of a 4-D input, with PyTorch's ``F.interpolate`` rules.

    x: (N, H, W, C) or (N, C, H, W). Give ``size`` (int or (Ho, Wo)) or ``scale_factor`` (number
    or pair; output ``floor(H · factor)``; the coordinate scale is then ``1 / factor``, as PyTorch
    does unless ``recompute_scale_factor``). mode: ``"nearest"`` (PyTorch's legacy nearest,
    Keras's) or ``"bilinear"`` (``align_corners`` False by default: Keras's rule).
    """
    op = "interpolate"
    x = ensure_tensor(x)
    cf = cu.channels_first(op, data_format)
    cu.check_rank(op, x, 4, cf)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    if mode not in ("nearest", "bilinear"):
        raise ValueError(f"{op}: mode must be 'nearest' or 'bilinear', got {mode!r}")
    if align_corners is not None and mode == "nearest":
        raise ValueError(f"{op}: align_corners applies only to mode='bilinear'")
    sizes = tuple(x.shape[2:] if cf else x.shape[1:3])
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        outs = cu.int_tuple(op, "size", size, 2)
        factors = (None, None)
    else:
        factors = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * 2
        if len(factors) != 2 or not all(isinstance(f, (int, float)) and f > 0 for f in factors):
            raise ValueError(f"{op}: scale_factor must be positive numbers, got {scale_factor!r}")
        factors = tuple(float(f) for f in factors)
        outs = tuple(int(np.floor(s * f)) for s, f in zip(sizes, factors))
        if min(outs) < 1:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} gives empty output {outs}")
    if mode == "nearest":
        idx = [nearest_index(s, o, f) for s, o, f in zip(sizes, outs, factors)]
        if all(
            o % s == 0 and np.array_equal(i, np.arange(o) // (o // s))
            for s, o, i in zip(sizes, outs, idx)
        ):
            return Repeat2d.apply(x, factors=tuple(o // s for s, o in zip(sizes, outs)), cf=cf)
        mats = []
        for s, i in zip(sizes, idx):
            a = np.zeros((len(i), s), dtype=x.dtype)
            a[np.arange(len(i)), i] = 1
            mats.append(a)
    else:
        mats = [
            bilinear_matrix(s, o, f, bool(align_corners), x.dtype)
            for s, o, f in zip(sizes, outs, factors)
        ]
    return _spatial_linear(x, mats[0], mats[1], cf)


def upsample2d(
    x, size=(2, 2), interpolation: str = "nearest", data_format: str = "channels_last"
) -> Tensor:
    """Keras ``UpSampling2D``: repeat rows and columns ``size`` times (``"nearest"``) or resize
    bilinearly to (H·sh, W·sw) with half-pixel centres (``"bilinear"``)."""
    sh, sw = cu.int_tuple("upsample2d", "size", size, 2)
    return interpolate(x, scale_factor=(sh, sw), mode=interpolation, data_format=data_format)


class Pad2d(Function):
    """Constant padding of the spatial axes; negative amounts crop (as PyTorch's ``F.pad``)."""

    def forward(self, x, *, pads, value, cf):
        m = xp(x)
        xv = cu.to_nhwc(x, cf)
        n, h, w, c = xv.shape
        (t, b), (left, r) = pads
        out = m.full((n, h + t + b, w + left + r, c), value, dtype=x.dtype)
        src = (slice(max(-t, 0), h - max(-b, 0)), slice(max(-left, 0), w - max(-r, 0)))
        dst = (slice(max(t, 0), h + t + min(b, 0)), slice(max(left, 0), w + left + min(r, 0)))
        out[:, dst[0], dst[1]] = xv[:, src[0], src[1]]
        self.src, self.dst, self.shape, self.cf = src, dst, xv.shape, cf
        self.pads = pads
        return cu.from_nhwc(out, cf)

    def backward(self, g):
        gv = cu.to_nhwc(g, self.cf)
        gx = xp(g).zeros(self.shape, dtype=g.dtype)
        gx[:, self.src[0], self.src[1]] = gv[:, self.dst[0], self.dst[1]]
        return cu.from_nhwc(gx, self.cf)

    def backward_graph(self, g):
        """The adjoint of padding by ``pads`` is padding (cropping) by ``-pads`` with zeros."""
        pads = tuple((-lo, -hi) for lo, hi in self.pads)
        return Pad2d.apply(g, pads=pads, value=0.0, cf=self.cf)


def pad2d(x, padding, value: float = 0.0, data_format: str = "channels_last") -> Tensor:
    """Pad (or, with negative amounts, crop) the spatial axes of a 4-D input with ``value``.

    padding: an int (all sides), (h, w) (symmetric, Keras ``ZeroPadding2D``), or ((top, bottom),
    (left, right)). PyTorch's ``F.pad(x, (left, right, top, bottom))`` is
    ``pad2d(x, ((top, bottom), (left, right)), data_format="channels_first")``.
    """
    op = "pad2d"
    x = ensure_tensor(x)
    cf = cu.channels_first(op, data_format)
    cu.check_rank(op, x, 4, cf)
    if (
        isinstance(padding, (tuple, list))
        and len(padding) == 2
        and all(isinstance(p, (tuple, list)) for p in padding)
    ):
        pads = tuple(tuple(cu.as_int(op, "padding", v) for v in p) for p in padding)
        if any(len(p) != 2 for p in pads):
            raise ValueError(f"{op}: padding pairs must be (before, after), got {padding!r}")
    else:
        ph, pw = cu.int_tuple(op, "padding", padding, 2, minimum=-(2**62))
        pads = ((ph, ph), (pw, pw))
    sizes = x.shape[2:] if cf else x.shape[1:3]
    for s, (lo, hi) in zip(sizes, pads):
        if s + lo + hi < 1 or s + min(lo, 0) + min(hi, 0) < 1:
            raise ValueError(f"{op}: padding {padding!r} crops more than input {x.shape} holds")
    return Pad2d.apply(x, pads=pads, value=value, cf=cf)
