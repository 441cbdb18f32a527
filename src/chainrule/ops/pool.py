"""Pooling: max and average pooling (1-D and 2-D), global pooling, adaptive average pooling.

Every window reduction is a loop over the ``kh·kw`` kernel offsets of vectorised elementwise ops on
strided slices of the (padded) channels-last image: offset (i, j) of every window at once is the
slice ``x[:, i·dh :: sh, j·dw :: sw]``. Where the windows tile the input (2×2 stride 2 and the like)
those slices are plain views of the input — the reshape ``(N, Ho, kh, Wo, kw, C)`` taken apart — and
nothing is padded or copied; otherwise the input is padded once (``-inf`` for max, 0 for average).

Max-pool backward routes each output gradient to the *first* maximum of its window in row-major
window order, as PyTorch does (a window of ties — e.g. the zeros after a ReLU — sends its gradient
to one element, not split): offset by offset, the positions equal to the window maximum and not yet
claimed by an earlier offset take the gradient. No ``np.add.at``. A window containing NaN outputs
NaN and passes no gradient (PyTorch sends it to the NaN).
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from . import _conv_util as cu
from ._convert import ensure_tensor
from .reduce import max as _reduce_max
from .reduce import mean as _reduce_mean


def _expand_1d(a, cf):
    return a[:, :, None, :] if cf else a[:, None]


def _squeeze_1d(a, cf):
    return a[:, :, 0] if cf else a[:, 0]


class _Pool(Function):
    """Shared forward set-up of :class:`MaxPool` and :class:`AvgPool`.

    Parameters: ``kernel``, ``stride``, ``dilation``: pairs; ``pads``: ((top, bottom), (left,
    right)) including the extra bottom/right rows that ``ceil_mode`` windows reach; ``out_hw``;
    ``cf``; ``one_d``.
    """

    fill = 0.0

    def _setup(self, x, kernel, stride, dilation, pads, out_hw, cf, one_d):
        if one_d:
            x = _expand_1d(x, cf)
        xv = cu.to_nhwc(x, cf)
        self.kernel, self.stride, self.dilation, self.pads = kernel, stride, dilation, pads
        self.out_hw, self.cf, self.one_d = out_hw, cf, one_d
        self.in_shape = xv.shape
        xpad = cu.pad_nhwc(xv, pads, self.fill) if any(map(any, pads)) else xv
        self.padded_shape = xpad.shape
        self.slices = cu.offset_slices(kernel, dilation, stride, out_hw)
        k_eff = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
        # windows disjoint: each padded pixel is read by at most one (window, offset) pair
        self.disjoint = all(s >= k for s, k in zip(stride, k_eff))
        # ... and covering the padded image exactly: every pixel is written by backward
        self.exact = self.disjoint and all(
            s == k and (o * s == p) and d == 1
            for s, k, o, p, d in zip(stride, kernel, out_hw, xpad.shape[1:3], dilation)
        )
        return xpad

    def _finish(self, out):
        out = cu.from_nhwc(out, self.cf)
        return _squeeze_1d(out, self.cf) if self.one_d else out

    def _grad_nhwc(self, g):
        if self.one_d:
            g = _expand_1d(g, self.cf)
        return cu.to_nhwc(g, self.cf)

    def _grad_buffer(self, m, dtype):
        return (m.empty if self.exact else m.zeros)(self.padded_shape, dtype=dtype)

    def _grad_out(self, gx):
        gx = cu.from_nhwc(cu.crop(gx, self.pads), self.cf)
        return _squeeze_1d(gx, self.cf) if self.one_d else gx


class MaxPool(_Pool):
    """Max over each window. The windows are first gathered offset-major, ``(kh·kw, N·Ho·Wo·C)``,
    by one strided copy; the max, the first-maximum search and the gradient products then run on
    contiguous blocks, and one strided fold (:func:`_conv_util.col2im`) puts the gradient back."""

    fill = float("-inf")

    def forward(self, x, **params):
        xpad = self._setup(x, **params)
        m = xp(x)
        kh, kw = self.kernel
        win = cu.windows(xpad, self.kernel, self.dilation, self.stride, self.out_hw)
        n, ho, wo, _, _, c = win.shape
        cols = m.empty((kh, kw, n, ho, wo, c), dtype=x.dtype)
        cols[...] = win.transpose(3, 4, 0, 1, 2, 5)
        blocks = cols.reshape(kh * kw, -1)
        out = blocks[0].copy()
        for block in blocks[1:]:
            m.maximum(out, block, out=out)
        self.blocks, self.out = blocks, out
        return self._finish(out.reshape(n, ho, wo, c))

    def backward(self, g):
        m = xp(g)
        g = m.ascontiguousarray(self._grad_nhwc(g))
        blocks, out = self.blocks, self.out
        gflat = g.reshape(-1)
        gcols = m.empty(blocks.shape, dtype=g.dtype)
        free = None  # per window: its maximum is not claimed yet
        hit = m.empty(out.shape, dtype=bool)
        last = len(blocks) - 1
        for t, block in enumerate(blocks):
            m.equal(block, out, out=hit)
            if free is None:
                free = m.logical_not(hit)
            else:
                hit &= free
                if t < last:
                    free ^= hit  # hit ⊂ free: this removes the claimed windows
            m.multiply(gflat, hit, out=gcols[t])
        kh, kw = self.kernel
        gcols = gcols.reshape((kh, kw) + g.shape)
        if not self.disjoint:  # overlapping windows: add the offsets up
            gx = cu.col2im(gcols, self.padded_shape, self.dilation, self.stride, g.dtype)
            return self._grad_out(gx)
        gx = self._grad_buffer(m, g.dtype)  # disjoint windows: each pixel written at most once
        for t, (r, c) in enumerate(self.slices):
            gx[:, r, c] = gcols[divmod(t, kw)]
        return self._grad_out(gx)

    def backward_graph(self, g):
        """The same routing with differentiable ops: each output gradient is added (a
        differentiable scatter-add) at its window's first maximum, found from the saved
        windows."""
        from .elementwise import where
        from .index_put import index_add_grad

        m = xp(self.out)
        n, h, w, c = self.in_shape
        ho, wo = self.out_hw
        kw, (sh, sw), (dh, dw) = self.kernel[1], self.stride, self.dilation
        hit = self.blocks == self.out  # (kh·kw, N·Ho·Wo·C)
        first = hit.argmax(axis=0).reshape(n, ho, wo, c)
        i, j = first // kw, first % kw
        rows = m.arange(ho)[None, :, None, None] * sh + i * dh - self.pads[0][0]
        cols = m.arange(wo)[None, None, :, None] * sw + j * dw - self.pads[1][0]
        # no maximum (a NaN window) or a maximum in the padding: no gradient
        keep = hit.any(axis=0).reshape(n, ho, wo, c) & (rows >= 0) & (rows < h)
        keep &= (cols >= 0) & (cols < w)
        flat = (m.arange(n)[:, None, None, None] * h + rows.clip(0, h - 1)) * w
        flat = (flat + cols.clip(0, w - 1)) * c + m.arange(c)
        gv = self._grad_nhwc(g)
        gv = where(keep, gv, 0.0).reshape(-1)
        gx = index_add_grad(gv, (n * h * w * c,), flat.reshape(-1)).reshape(n, h, w, c)
        gx = cu.from_nhwc(gx, self.cf)
        return _squeeze_1d(gx, self.cf) if self.one_d else gx


class AvgPool(_Pool):
    """Average over each window; ``divisor``: a scalar or an (Ho, Wo, 1) array of window counts."""

    def forward(self, x, divisor, **params):
        xpad = self._setup(x, **params)
        (r, c), *rest = self.slices
        out = xpad[:, r, c].copy()
        for r, c in rest:
            out += xpad[:, r, c]
        self.divisor = divisor
        out *= 1 / divisor if not hasattr(divisor, "shape") else (1 / divisor).astype(x.dtype)
        return self._finish(out)

    def backward(self, g):
        m = xp(g)
        g = self._grad_nhwc(g)
        d = self.divisor
        gd = g * (1 / d if not hasattr(d, "shape") else (1 / d).astype(g.dtype))
        gx = self._grad_buffer(m, g.dtype)
        for r, c in self.slices:
            if self.disjoint:
                gx[:, r, c] = gd
            else:
                gx[:, r, c] += gd
        return self._grad_out(gx)

    def backward_graph(self, g):
        """The same linear map with differentiable ops: ``g`` divided by the window counts, spread
        over each window by a depthwise transposed convolution with a kernel of ones, cropped
        to the input."""
        from .conv_transpose import ConvTranspose

        _, h, w, c = self.in_shape
        ho, wo = self.out_hw
        (kh, kw), stride, dilation = self.kernel, self.stride, self.dilation
        gv = self._grad_nhwc(g)
        d = self.divisor
        gv = gv * (1 / d if not hasattr(d, "shape") else (1 / d).astype(gv.dtype))
        ones = Tensor._wrap(xp(gv.data).ones((kh, kw, 1, c), dtype=gv.dtype))
        full = [(o - 1) * s + (k - 1) * dd + 1 for o, s, k, dd in
                zip((ho, wo), stride, (kh, kw), dilation)]  # fmt: skip
        crops = tuple((p[0], f - p[0] - size) for p, f, size in zip(self.pads, full, (h, w)))
        gx = ConvTranspose.apply(gv, ones, stride=stride, dilation=dilation, crops=crops,
                                 groups=c, cf=False, torch_w=False)  # fmt: skip
        gx = cu.from_nhwc(gx, self.cf)
        return _squeeze_1d(gx, self.cf) if self.one_d else gx


def _pool_geometry(op, x, pool_size, strides, padding, dilation, ceil_mode, data_format, nd):
    """Check arguments; return (params for the Function, per-axis counts for average pooling)."""
    cf = cu.channels_first(op, data_format)
    cu.check_rank(op, x, nd + 2, cf)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    kernel = cu.int_tuple(op, "pool_size", pool_size, nd)
    stride = kernel if strides is None else cu.int_tuple(op, "strides", strides, nd)
    dilation = cu.int_tuple(op, "dilation", dilation, nd)
    sizes = tuple(x.shape[2:] if cf else x.shape[1:-1])
    k_eff = tuple((k - 1) * d + 1 for k, d in zip(kernel, dilation))
    same = isinstance(padding, str) and padding.lower() == "same"
    pads = cu.resolve_pads(op, padding, sizes, k_eff, stride)
    if not isinstance(padding, str):
        for p, k in zip(pads, kernel):
            if 2 * p[0] > k:
                raise ValueError(
                    f"{op}: padding {p[0]} must be at most half the window {k} (as PyTorch), "
                    f"got padding={padding!r}, pool_size={pool_size!r}"
                )
    cu.check_spatial(op, x.shape, sizes, pads, k_eff, "pool window")
    outs, full_pads = [], []
    for s, (lo, hi), k, st in zip(sizes, pads, k_eff, stride):
        span = s + lo + hi - k
        o = (-(-span // st) if ceil_mode else span // st) + 1
        if ceil_mode and (o - 1) * st >= s + lo:  # the last window must start inside the input
            o -= 1
        outs.append(o)
        full_pads.append((lo, max(hi, (o - 1) * st + k - s - lo)))
    if one_d := nd == 1:
        kernel, stride, dilation = (1,) + kernel, (1,) + stride, (1,) + dilation
        outs, full_pads, pads = [1] + outs, [(0, 0)] + full_pads, ((0, 0),) + pads
        sizes = (1,) + sizes
    params = {
        "kernel": kernel,
        "stride": stride,
        "dilation": dilation,
        "pads": tuple(full_pads),
        "out_hw": tuple(outs),
        "cf": cf,
        "one_d": one_d,
    }
    return params, (sizes, pads, same)


def _avg_divisor(params, geometry, count_include_pad, divisor_override, dtype):
    """PyTorch's window counts: with ``count_include_pad`` the window clipped to the padded input,
    without it (and for Keras ``'same'``) clipped to the input itself."""
    if divisor_override is not None:
        return float(divisor_override)
    sizes, pads, same = geometry
    include = count_include_pad and not same
    counts = []
    for s, (lo, hi), k, st, o in zip(
        sizes, pads, params["kernel"], params["stride"], params["out_hw"]
    ):
        starts = [i * st - lo for i in range(o)]
        if include:
            counts.append([min(a + k, s + hi) - a for a in starts])
        else:
            counts.append([min(a + k, s) - max(a, 0) for a in starts])
    if all(len(set(c)) == 1 for c in counts):
        return float(counts[0][0] * counts[1][0])
    return (np.outer(counts[0], counts[1])[:, :, None]).astype(dtype)


def max_pool2d(
    x,
    pool_size,
    strides=None,
    padding="valid",
    dilation=1,
    ceil_mode: bool = False,
    data_format: str = "channels_last",
) -> Tensor:
    """Max over sliding windows of a 4-D input.

    x: (N, H, W, C) (``"channels_last"``) or (N, C, H, W) (``"channels_first"``).
    pool_size: int or (kh, kw); strides: int, pair, or None (= pool_size, as both libraries).
    padding: ``"valid"``, ``"same"`` (Keras: TF padding, padded cells never win) or an int / pair
    padded with −inf on both sides (PyTorch; at most half the window). ceil_mode: PyTorch's (windows
    may overhang the bottom/right edge if they start inside the input). dilation: PyTorch's.
    Returns (N, Ho, Wo, C) or (N, C, Ho, Wo).
    """
    x = ensure_tensor(x)
    params, _ = _pool_geometry(
        "max_pool2d", x, pool_size, strides, padding, dilation, ceil_mode, data_format, 2
    )
    return MaxPool.apply(x, **params)


def max_pool1d(
    x,
    pool_size,
    strides=None,
    padding="valid",
    dilation=1,
    ceil_mode: bool = False,
    data_format: str = "channels_last",
) -> Tensor:
    """:func:`max_pool2d` over one spatial axis: x (N, L, C) or (N, C, L)."""
    x = ensure_tensor(x)
    params, _ = _pool_geometry(
        "max_pool1d", x, pool_size, strides, padding, dilation, ceil_mode, data_format, 1
    )
    return MaxPool.apply(x, **params)


def avg_pool2d(
    x,
    pool_size,
    strides=None,
    padding="valid",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    data_format: str = "channels_last",
) -> Tensor:
    """Mean over sliding windows of a 4-D input.

    Arguments as :func:`max_pool2d` (no dilation). Integer padding adds zeros on both sides
    (PyTorch); ``count_include_pad`` (PyTorch's default True) counts them in the divisor, and
    ``divisor_override`` replaces the divisor. ``padding="same"`` (Keras) averages over the real
    pixels of each window only, as Keras/TensorFlow do.
    """
    x = ensure_tensor(x)
    params, geo = _pool_geometry(
        "avg_pool2d", x, pool_size, strides, padding, 1, ceil_mode, data_format, 2
    )
    if (
        divisor_override is not None
        and cu.as_int("avg_pool2d", "divisor_override", divisor_override) <= 0
    ):
        raise ValueError(f"avg_pool2d: divisor_override must be positive, got {divisor_override}")
    divisor = _avg_divisor(params, geo, count_include_pad, divisor_override, x.dtype)
    return AvgPool.apply(x, divisor=divisor, **params)


def avg_pool1d(
    x,
    pool_size,
    strides=None,
    padding="valid",
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    data_format: str = "channels_last",
) -> Tensor:
    """:func:`avg_pool2d` over one spatial axis: x (N, L, C) or (N, C, L)."""
    x = ensure_tensor(x)
    params, geo = _pool_geometry(
        "avg_pool1d", x, pool_size, strides, padding, 1, ceil_mode, data_format, 1
    )
    divisor = _avg_divisor(params, geo, count_include_pad, None, x.dtype)
    return AvgPool.apply(x, divisor=divisor, **params)


def _spatial_axes(op, x, data_format):
    cf = cu.channels_first(op, data_format)
    if x.ndim < 3:
        raise ValueError(f"{op}: expected (N, *spatial, C) or (N, C, *spatial), got {x.shape}")
    return tuple(range(2, x.ndim)) if cf else tuple(range(1, x.ndim - 1))


def global_avg_pool(x, data_format: str = "channels_last", keepdims: bool = False) -> Tensor:
    """Mean over every spatial axis: (N, *spatial, C) → (N, C) (or keeping unit spatial axes).
    Works for 1-D, 2-D and 3-D inputs (Keras GlobalAveragePooling1D/2D/3D)."""
    x = ensure_tensor(x)
    return _reduce_mean(x, axis=_spatial_axes("global_avg_pool", x, data_format), keepdims=keepdims)


def global_max_pool(x, data_format: str = "channels_last", keepdims: bool = False) -> Tensor:
    """Max over every spatial axis (tied maxima share the gradient, as TensorFlow's reduce_max and
    PyTorch's amax do)."""
    x = ensure_tensor(x)
    return _reduce_max(x, axis=_spatial_axes("global_max_pool", x, data_format), keepdims=keepdims)


def adaptive_avg_pool2d(x, output_size, data_format: str = "channels_last") -> Tensor:
    """PyTorch's adaptive average pooling: output cell ``i`` of an axis of size ``n`` → ``o``
    averages input ``floor(i·n/o)`` to ``ceil((i+1)·n/o)`` (exclusive); windows may overlap when
    ``o`` does not divide ``n``. ``output_size``: int or (Ho, Wo); None in a slot keeps that size.
    Divisible sizes run as a tiling average pool; others as one separable linear map."""
    from .resize import _spatial_linear, adaptive_matrix

    op = "adaptive_avg_pool2d"
    x = ensure_tensor(x)
    cf = cu.channels_first(op, data_format)
    cu.check_rank(op, x, 4, cf)
    sizes = tuple(x.shape[2:] if cf else x.shape[1:3])
    if not isinstance(output_size, (tuple, list)):
        output_size = (output_size, output_size)
    if len(output_size) != 2:
        raise ValueError(f"{op}: output_size must be an int or 2 ints, got {output_size!r}")
    outs = tuple(
        s if o is None else cu.as_int(op, "output_size", o) for s, o in zip(sizes, output_size)
    )
    if min(outs) < 1 or min(sizes) < 1:
        raise ValueError(f"{op}: output_size {outs} and input {x.shape} must be positive")
    if all(s % o == 0 for s, o in zip(sizes, outs)):
        k = tuple(s // o for s, o in zip(sizes, outs))
        return avg_pool2d(x, k, k, data_format=data_format)
    mats = [adaptive_matrix(s, o, x.dtype) for s, o in zip(sizes, outs)]
    return _spatial_linear(x, mats[0], mats[1], cf)
