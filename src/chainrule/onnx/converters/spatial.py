"""Converters for convolution, transposed convolution and pooling.

ONNX convolves channels-first: a channels-last (Keras) input is transposed to NCHW around the node
and the Keras kernel (kh, kw, C_in/groups, C_out) to ONNX's (C_out, C_in/groups, kh, kw). 1-D ops
(recorded as 2-D with a unit height) become 1-D ONNX nodes.
"""

from __future__ import annotations

import numpy as np

from ...ops.conv import Conv
from ...ops.conv_transpose import ConvTranspose
from ...ops.pool import AvgPool, MaxPool
from ...ops.resize import Pad2d, Repeat2d, SpatialLinear
from ..graph import GraphBuilder, register


def _to_cf(g: GraphBuilder, x: str, rank: int, cf: bool) -> str:
    return x if cf else g.node("Transpose", [x], perm=[0, rank - 1, *range(1, rank - 1)])


def _from_cf(g: GraphBuilder, y: str, rank: int, cf: bool) -> str:
    return y if cf else g.node("Transpose", [y], perm=[0, *range(2, rank), 1])


def _spatial(p, key, one_d):
    """Per-axis values of a pair parameter, dropping the unit height axis of a 1-D op."""
    values = list(p[key])
    return values[1:] if one_d else values


def _onnx_pads(pairs) -> list[int]:
    """((lo, hi), …) → ONNX's [lo…, hi…]."""
    return [int(lo) for lo, _ in pairs] + [int(hi) for _, hi in pairs]


@register(Conv)
def _conv(g, rec):
    x, w, *b = rec.inputs
    p = rec.params
    one_d = p["one_d"]
    rank = x.ndim
    wn = g.name(w)
    if not p["torch_w"]:  # (k…, C_in/g, C_out) → (C_out, C_in/g, k…)
        wn = g.node("Transpose", [wn], perm=[w.ndim - 1, w.ndim - 2, *range(w.ndim - 2)])
    ins = [_to_cf(g, g.name(x), rank, p["cf"]), wn] + [g.name(t) for t in b]
    y = g.node(
        "Conv", ins, group=int(p["groups"]), strides=_spatial(p, "stride", one_d),
        dilations=_spatial(p, "dilation", one_d), pads=_onnx_pads(_spatial(p, "pads", one_d)),
    )  # fmt: skip
    if p["relu"]:
        y = g.node("Relu", [y])
    return _from_cf(g, y, rank, p["cf"])


@register(ConvTranspose)
def _conv_transpose(g, rec):
    x, w, *b = rec.inputs
    p = rec.params
    wn = g.name(w)
    if not p["torch_w"]:  # (kh, kw, C_out/g, C_in) → (C_in, C_out/g, kh, kw)
        wn = g.node("Transpose", [wn], perm=[3, 2, 0, 1])
    crops = p["crops"]
    pads = _onnx_pads([(max(lo, 0), max(hi, 0)) for lo, hi in crops])
    extra = [max(-hi, 0) for _, hi in crops]  # a negative end crop extends with zeros
    ins = [_to_cf(g, g.name(x), 4, p["cf"]), wn] + [g.name(t) for t in b]
    y = g.node(
        "ConvTranspose", ins, group=int(p["groups"]), strides=list(p["stride"]),
        dilations=list(p["dilation"]), pads=pads, output_padding=extra,
    )  # fmt: skip
    return _from_cf(g, y, 4, p["cf"])


def _pool_attrs(p):
    one_d = p["one_d"]
    return {
        "kernel_shape": _spatial(p, "kernel", one_d),
        "strides": _spatial(p, "stride", one_d),
        "pads": _onnx_pads(_spatial(p, "pads", one_d)),
    }


@register(MaxPool)
def _max_pool(g, rec):
    (x,) = rec.inputs
    p = rec.params
    rank = x.ndim
    y = g.node(
        "MaxPool", [_to_cf(g, g.name(x), rank, p["cf"])],
        dilations=_spatial(p, "dilation", p["one_d"]), **_pool_attrs(p),
    )  # fmt: skip
    return _from_cf(g, y, rank, p["cf"])


@register(AvgPool)
def _avg_pool(g, rec):
    """Window sums (an average counting every padded cell, times the window size) divided by the
    recorded divisor: exact for PyTorch's and Keras's window counts alike."""
    (x,) = rec.inputs
    p = rec.params
    rank = x.ndim
    if any(d != 1 for d in p["dilation"]):
        if g.opset < 19:
            raise ValueError("ONNX export: dilated average pooling needs opset_version >= 19")
        extra = {"dilations": _spatial(p, "dilation", p["one_d"])}
    else:
        extra = {}
    y = g.node(
        "AveragePool", [_to_cf(g, g.name(x), rank, p["cf"])], count_include_pad=1,
        **_pool_attrs(p), **extra,
    )  # fmt: skip
    dtype = x.data.dtype
    size = float(np.prod(p["kernel"]))
    divisor = p["divisor"]
    if np.ndim(divisor) == 0:
        scale = g.const(np.asarray(size / float(divisor), dtype=dtype), "scale")
    else:  # (Ho, Wo, 1) window counts → (Ho, Wo) or (Wo,) against (N, C, Ho, Wo)
        counts = np.asarray(divisor, dtype=np.float64)[:, :, 0]
        if p["one_d"]:
            counts = counts[0]
        scale = g.const((size / counts).astype(dtype), "scale")
    y = g.node("Mul", [y, scale])
    return _from_cf(g, y, rank, p["cf"])


@register(Repeat2d)
def _repeat2d(g, rec):
    """Nearest upsampling by integer factors: Resize with floor(i / f) source indices (exact)."""
    (x,) = rec.inputs
    fh, fw = rec.params["factors"]
    scales = (
        [1.0, 1.0, float(fh), float(fw)] if rec.params["cf"] else [1.0, float(fh), float(fw), 1.0]
    )
    return g.node(
        "Resize", [g.name(x), "", g.const(np.asarray(scales, dtype=np.float32), "scales")],
        mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor",
    )  # fmt: skip


@register(Pad2d)
def _pad2d(g, rec):
    """Constant padding of the spatial axes; negative amounts crop (ONNX Pad allows them)."""
    (x,) = rec.inputs
    (t, b), (left, r) = rec.params["pads"]
    lo, hi = (
        ([0, 0, t, left], [0, 0, b, r]) if rec.params["cf"] else ([0, t, left, 0], [0, b, r, 0])
    )
    value = g.scalar_like(rec.params["value"], x)
    return g.node("Pad", [g.name(x), g.ints(lo + hi, "pads"), value], mode="constant")


@register(SpatialLinear)
def _spatial_linear(g, rec):
    """y = A · x · Bᵀ over the spatial axes (bilinear/adaptive resizing): two MatMuls in NCHW."""
    (x,) = rec.inputs
    p = rec.params
    dtype = x.data.dtype
    a = g.const(np.asarray(p["a"], dtype=dtype), "rows")
    bt = g.const(np.ascontiguousarray(np.asarray(p["b"], dtype=dtype).T), "cols")
    xc = _to_cf(g, g.name(x), 4, p["cf"])
    y = g.node("MatMul", [g.node("MatMul", [a, xc]), bt])
    return _from_cf(g, y, 4, p["cf"])
