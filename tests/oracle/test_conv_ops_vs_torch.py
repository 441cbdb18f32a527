"""Convolution, pooling and resizing ops against ``torch.nn.functional``: forward values and the
gradient of every input (x, weight, bias), in float64 (~1e-10) and float32 (~1e-5), in both layouts;
plus finite differences (``chainrule.gradcheck``) in float64 on small cases, and the errors.

A channels-last case transposes PyTorch's (N, C, H, W) input to (N, H, W, C) and PyTorch's weight to
Keras's layout with ``permute`` before calling the op, and the output back; the gradients then
travel through those permutes, so both layouts are checked against the same PyTorch call.
Max-pooling inputs are continuous random draws (tie-free); ties are tested separately.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from oracle_harness import check, make_array

import chainrule as cr
import chainrule.functional as F

CASES = []
#: float32 tolerances: sums of up to ~100 products, so a slightly looser absolute floor
F32 = {"rtol": 1e-5, "atol": 1e-5}
NCHW_TO_NHWC, NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)
#: per op family, the permutation taking PyTorch's weight to the Keras layout
W_TO_KERAS = {"conv2d": (2, 3, 1, 0), "conv1d": (2, 1, 0), "conv_transpose2d": (2, 3, 1, 0)}


def case(name, cr_fn, th_fn, *inputs, grad=False):
    """Register a case; ``grad=True`` also runs it through float64 gradcheck (keep those small)."""
    CASES.append(pytest.param(cr_fn, th_fn, inputs, grad, id=name))


def nhwc(x):
    return F.permute(x, NCHW_TO_NHWC if x.ndim == 4 else (0, 2, 1))


def nchw(y):
    if y.ndim < 3:  # pooled to (N, C): no spatial axes left
        return y
    return F.permute(y, NHWC_TO_NCHW if y.ndim == 4 else (0, 2, 1))


def both_layouts(name, op, kwargs, th_fn, shapes, grad=False, weight=True):
    """Register ``op`` in channels-first (PyTorch weight) and channels-last (Keras weight)."""

    def cf(*t):
        return getattr(F, op)(*t, **kwargs, data_format="channels_first")

    def cl(x, *rest):
        if weight:
            rest = (F.permute(rest[0], W_TO_KERAS[op]),) + rest[1:]
        return nchw(getattr(F, op)(nhwc(x), *rest, **kwargs, data_format="channels_last"))

    case(f"{name}-cf", cf, th_fn, *shapes, grad=grad)
    case(f"{name}-cl", cl, th_fn, *shapes, grad=False)


# -------------------------------------------------------------------------------------- conv2d
CONV2D = [  # name, x shape (N, C, H, W), weight shape (O, C/g, kh, kw), our kwargs, torch kwargs
    ("basic", (2, 3, 7, 8), (4, 3, 3, 3), {}, {}),
    (
        "stride2-pad1",
        (2, 4, 9, 8),
        (6, 2, 3, 2),
        {"stride": 2, "padding": 1, "groups": 2},
        {"stride": 2, "padding": 1, "groups": 2},
    ),
    (
        "mixed",
        (2, 4, 9, 8),
        (8, 1, 3, 3),
        {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 4},
        {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1), "groups": 4},
    ),
    ("same-even", (2, 3, 7, 8), (4, 3, 4, 4), {"padding": "same"}, {"padding": "same"}),
    (
        "same-dilated",
        (1, 3, 7, 6),
        (2, 3, 2, 3),
        {"padding": "same", "dilation": (3, 2)},
        {"padding": "same", "dilation": (3, 2)},
    ),
    (
        "depthwise",
        (2, 4, 6, 5),
        (8, 1, 3, 3),
        {"groups": 4, "padding": 1},
        {"groups": 4, "padding": 1},
    ),
    ("1x1-stride2", (2, 3, 7, 7), (5, 3, 1, 1), {"stride": 2}, {"stride": 2}),
    (
        "odd-stride3",
        (1, 2, 11, 9),
        (3, 2, 3, 4),
        {"stride": 3, "padding": 2},
        {"stride": 3, "padding": 2},
    ),
    ("dilated-valid", (2, 2, 9, 10), (3, 2, 3, 2), {"dilation": 2}, {"dilation": 2}),
]
for name, xs, ws, ours, theirs in CONV2D:
    o = ws[0]
    both_layouts(
        f"conv2d-{name}",
        "conv2d",
        ours,
        lambda x, w, b, t=theirs: TF.conv2d(x, w, b, **t),
        (xs, ws, (o,)),
        grad=True,
    )
both_layouts(
    "conv2d-nobias",
    "conv2d",
    {"padding": 1},
    lambda x, w: TF.conv2d(x, w, padding=1),
    ((2, 3, 5, 6), (4, 3, 3, 3)),
)
# Keras 'same' with stride 2 (PyTorch has no such mode): TF pads (top, bottom) = (1, 1) for H=7,
# k=3 and (left, right) = (0, 1) for W=8, k=3 — the odd pad goes after.
both_layouts(
    "conv2d-keras-same-stride2",
    "conv2d",
    {"padding": "same", "stride": 2},
    lambda x, w, b: TF.conv2d(TF.pad(x, (0, 1, 1, 1)), w, b, stride=2),
    ((2, 3, 7, 8), (4, 3, 3, 3), (4,)),
)
# explicit asymmetric pairs ((top, bottom), (left, right))
both_layouts(
    "conv2d-pairs",
    "conv2d",
    {"padding": ((2, 0), (1, 3))},
    lambda x, w, b: TF.conv2d(TF.pad(x, (1, 3, 2, 0)), w, b),
    ((2, 3, 5, 6), (4, 3, 3, 3), (4,)),
)
# one input channel (LeNet's first layer): the columns are laid out the other way round and the
# bias rides inside the matrix product
both_layouts(
    "conv2d-1ch",
    "conv2d",
    {"padding": 2},
    lambda x, w, b: TF.conv2d(x, w, b, padding=2),
    ((2, 1, 7, 6), (3, 1, 5, 5), (3,)),
    grad=True,
)
both_layouts(
    "conv2d-1ch-nobias-stride2",
    "conv2d",
    {"stride": 2, "dilation": (1, 2)},
    lambda x, w: TF.conv2d(x, w, stride=2, dilation=(1, 2)),
    ((2, 1, 9, 8), (4, 1, 3, 2)),
    grad=True,
)
# fused ReLU (Keras Conv2D(activation="relu"))
both_layouts(
    "conv2d-relu",
    "conv2d",
    {"padding": 1, "activation": "relu"},
    lambda x, w, b: TF.relu(TF.conv2d(x, w, b, padding=1)),
    ((2, 3, 5, 6), (4, 3, 3, 3), (4,)),
    grad=True,
)
both_layouts(
    "conv2d-1ch-relu",
    "conv2d",
    {"activation": "relu"},
    lambda x, w, b: TF.relu(TF.conv2d(x, w, b)),
    ((2, 1, 6, 6), (4, 1, 3, 3), (4,)),
)
both_layouts(
    "conv1d-1ch",
    "conv1d",
    {"padding": 1},
    lambda x, w, b: TF.conv1d(x, w, b, padding=1),
    ((2, 1, 9), (3, 1, 3), (3,)),
    grad=True,
)
# channels-last input with a PyTorch-layout weight (layouts mix freely)
case(
    "conv2d-cl-oihw",
    lambda x, w, b: nchw(F.conv2d(nhwc(x), w, b, padding=1, weight_layout="oihw")),
    lambda x, w, b: TF.conv2d(x, w, b, padding=1),
    (2, 3, 6, 5),
    (4, 3, 3, 3),
    (4,),
)

# -------------------------------------------------------------------------------------- conv1d
CONV1D = [
    ("basic", (2, 3, 9), (4, 3, 3), {}, {}),
    (
        "stride2-pad2",
        (2, 4, 11),
        (6, 2, 4),
        {"stride": 2, "padding": 2, "groups": 2},
        {"stride": 2, "padding": 2, "groups": 2},
    ),
    (
        "same-even-dilated",
        (2, 3, 10),
        (4, 3, 4),
        {"padding": "same", "dilation": 2},
        {"padding": "same", "dilation": 2},
    ),
    ("depthwise", (2, 3, 8), (3, 1, 3), {"groups": 3}, {"groups": 3}),
]
for name, xs, ws, ours, theirs in CONV1D:
    both_layouts(
        f"conv1d-{name}",
        "conv1d",
        ours,
        lambda x, w, b, t=theirs: TF.conv1d(x, w, b, **t),
        (xs, ws, (ws[0],)),
        grad=True,
    )
# Keras 'causal': dilation·(k − 1) zeros on the left only
both_layouts(
    "conv1d-causal",
    "conv1d",
    {"padding": "causal", "dilation": 2},
    lambda x, w, b: TF.conv1d(TF.pad(x, (4, 0)), w, b, dilation=2),
    ((2, 3, 9), (4, 3, 3), (4,)),
)

# ---------------------------------------------------------------------------- conv_transpose2d
CONVT = [  # x (N, C_in, H, W), weight (C_in, C_out/g, kh, kw), kwargs (same meaning in both)
    ("basic", (2, 3, 4, 5), (3, 2, 3, 3), {}),
    (
        "stride2-pad1-outpad1",
        (2, 3, 4, 5),
        (3, 4, 3, 3),
        {"stride": 2, "padding": 1, "output_padding": 1},
    ),
    (
        "groups-dilation",
        (2, 4, 3, 4),
        (4, 3, 2, 3),
        {"stride": (2, 3), "padding": (0, 1), "dilation": (2, 1), "groups": 2},
    ),
    (
        "outpad-dilation",
        (1, 2, 4, 3),
        (2, 2, 2, 2),
        {"stride": 1, "dilation": 3, "output_padding": (2, 1)},
    ),
    ("kernel-lt-stride", (2, 2, 3, 3), (2, 3, 2, 1), {"stride": 3, "output_padding": (2, 1)}),
]
for name, xs, ws, kw in CONVT:
    o = ws[1] * kw.get("groups", 1)
    both_layouts(
        f"convT-{name}",
        "conv_transpose2d",
        kw,
        lambda x, w, b, k=kw: TF.conv_transpose2d(x, w, b, **k),
        (xs, ws, (o,)),
        grad=True,
    )
# Keras padding: output length H·s (+ max(k − s, 0) for 'valid'), cropping total//2 first.
KERAS_CONVT = [  # x, weight, our kwargs, the same computation written with PyTorch's arguments
    (
        "valid-k3s2",
        (2, 3, 4, 5),
        (3, 2, 3, 3),
        {"stride": 2, "padding": "valid"},
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2),
    ),
    (
        "valid-k2s3",
        (2, 3, 4, 5),
        (3, 2, 2, 2),
        {"stride": 3, "padding": "valid"},
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=3, output_padding=1),
    ),
    (
        "same-k3s2",
        (2, 3, 4, 5),
        (3, 2, 3, 3),
        {"stride": 2, "padding": "same"},
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2)[:, :, :8, :10],
    ),
    (
        "same-k4s2",
        (2, 3, 4, 5),
        (3, 2, 4, 4),
        {"stride": 2, "padding": "same"},
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2, padding=1),
    ),
    (
        "same-k5s2",
        (2, 3, 4, 5),
        (3, 2, 5, 5),
        {"stride": 2, "padding": "same"},
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2)[:, :, 1:9, 1:11],
    ),
    (
        "same-k3s2-outpad0",
        (2, 3, 4, 5),
        (3, 2, 3, 3),
        {"stride": 2, "padding": "same", "output_padding": 0},
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2, padding=1),
    ),
    (
        "valid-k3s2-outpad1",
        (2, 3, 4, 5),
        (3, 2, 3, 3),
        {"stride": 2, "padding": "valid", "output_padding": 1},
        lambda x, w, b: TF.conv_transpose2d(x, w, b, stride=2, output_padding=1),
    ),
]
for name, xs, ws, ours, th in KERAS_CONVT:
    both_layouts(f"convT-keras-{name}", "conv_transpose2d", ours, th, (xs, ws, (ws[1],)))
both_layouts(
    "convT-nobias",
    "conv_transpose2d",
    {"stride": 2},
    lambda x, w: TF.conv_transpose2d(x, w, stride=2),
    ((2, 3, 3, 4), (3, 2, 3, 3)),
)

# ------------------------------------------------------------------------------------- pooling
MAXPOOL = [  # x (N, C, H, W), our kwargs, torch kwargs
    ("2x2", (2, 3, 8, 6), {"pool_size": 2}, {"kernel_size": 2}),
    ("2x2-odd", (2, 3, 7, 9), {"pool_size": 2}, {"kernel_size": 2}),
    (
        "3s2p1",
        (2, 3, 7, 8),
        {"pool_size": 3, "strides": 2, "padding": 1},
        {"kernel_size": 3, "stride": 2, "padding": 1},
    ),
    ("3s1", (2, 2, 5, 6), {"pool_size": 3, "strides": 1}, {"kernel_size": 3, "stride": 1}),
    (
        "ceil",
        (2, 3, 7, 8),
        {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": True},
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    ),
    (
        "ceil-nopad",
        (1, 2, 6, 9),
        {"pool_size": (2, 3), "strides": (2, 2), "ceil_mode": True},
        {"kernel_size": (2, 3), "stride": (2, 2), "ceil_mode": True},
    ),
    (
        "dilated",
        (2, 2, 9, 8),
        {"pool_size": 3, "strides": (2, 1), "dilation": 2, "padding": (1, 1)},
        {"kernel_size": 3, "stride": (2, 1), "dilation": 2, "padding": (1, 1)},
    ),
]
for name, xs, ours, theirs in MAXPOOL:
    both_layouts(
        f"maxpool-{name}",
        "max_pool2d",
        ours,
        lambda x, t=theirs: TF.max_pool2d(x, **t),
        (xs,),
        grad=True,
        weight=False,
    )
# Keras 'same' (H=7, k=3, s=2: pads (1, 1); W=8: (0, 1)); padded cells never win
both_layouts(
    "maxpool-keras-same",
    "max_pool2d",
    {"pool_size": 3, "strides": 2, "padding": "same"},
    lambda x: TF.max_pool2d(TF.pad(x, (0, 1, 1, 1), value=-np.inf), 3, 2),
    ((2, 3, 7, 8),),
    weight=False,
)

AVGPOOL = [
    ("2x2", (2, 3, 8, 6), {"pool_size": 2}, {"kernel_size": 2}),
    (
        "3s2p1",
        (2, 3, 7, 8),
        {"pool_size": 3, "strides": 2, "padding": 1},
        {"kernel_size": 3, "stride": 2, "padding": 1},
    ),
    (
        "3s2p1-exclude",
        (2, 3, 7, 8),
        {"pool_size": 3, "strides": 2, "padding": 1, "count_include_pad": False},
        {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
    ),
    (
        "ceil-include",
        (2, 2, 8, 7),
        {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": True},
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    ),
    (
        "ceil-exclude",
        (2, 2, 8, 7),
        {
            "pool_size": (3, 2),
            "strides": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
        {
            "kernel_size": (3, 2),
            "stride": 2,
            "padding": 1,
            "ceil_mode": True,
            "count_include_pad": False,
        },
    ),
    (
        "divisor",
        (1, 2, 6, 6),
        {"pool_size": 3, "strides": 1, "padding": 1, "divisor_override": 4},
        {"kernel_size": 3, "stride": 1, "padding": 1, "divisor_override": 4},
    ),
]
for name, xs, ours, theirs in AVGPOOL:
    both_layouts(
        f"avgpool-{name}",
        "avg_pool2d",
        ours,
        lambda x, t=theirs: TF.avg_pool2d(x, **t),
        (xs,),
        grad=True,
        weight=False,
    )


def _keras_same_avg(x):  # mean over the real pixels of each window: pads (1, 1), (0, 1)
    pad = (0, 1, 1, 1)
    return TF.avg_pool2d(TF.pad(x, pad), 3, 2) / TF.avg_pool2d(
        TF.pad(torch.ones_like(x), pad), 3, 2
    )


both_layouts(
    "avgpool-keras-same",
    "avg_pool2d",
    {"pool_size": 3, "strides": 2, "padding": "same"},
    _keras_same_avg,
    ((2, 3, 7, 8),),
    weight=False,
)
both_layouts(
    "maxpool1d",
    "max_pool1d",
    {"pool_size": 3, "strides": 2, "padding": 1},
    lambda x: TF.max_pool1d(x, 3, 2, 1),
    ((2, 3, 9),),
    grad=True,
    weight=False,
)
both_layouts(
    "avgpool1d-ceil",
    "avg_pool1d",
    {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    lambda x: TF.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    ((2, 3, 8),),
    grad=True,
    weight=False,
)
both_layouts(
    "global-avg", "global_avg_pool", {}, lambda x: x.mean((2, 3)), ((2, 3, 5, 4),), weight=False
)
case("global-max-cl", lambda x: F.global_max_pool(nhwc(x)), lambda x: x.amax((2, 3)), (2, 3, 5, 4))
case(
    "global-avg-keepdims-cf",
    lambda x: F.global_avg_pool(x, data_format="channels_first", keepdims=True),
    lambda x: x.mean((2, 3), keepdim=True),
    (2, 3, 5, 4),
)
for out in [(3, 4), (4, 2), (7, 3), (2, None), 1]:
    size = out if isinstance(out, int) else tuple(out)
    both_layouts(
        f"adaptive-avg-{out}",
        "adaptive_avg_pool2d",
        {"output_size": size},
        lambda x, s=size: TF.adaptive_avg_pool2d(x, s),
        ((2, 3, 8, 9),),
        grad=True,
        weight=False,
    )

# ------------------------------------------------------------------------ resizing and padding
INTERP = [  # our kwargs = torch kwargs
    ("nearest-x2", {"scale_factor": 2}),
    ("nearest-x(3,2)", {"scale_factor": (3, 2)}),
    ("nearest-size", {"size": (7, 11)}),
    ("nearest-down", {"size": (2, 3)}),
    ("nearest-x1.5", {"scale_factor": 1.5}),
    ("bilinear-x2", {"scale_factor": 2, "mode": "bilinear"}),
    ("bilinear-size", {"size": (7, 4), "mode": "bilinear"}),
    ("bilinear-corners", {"size": (9, 8), "mode": "bilinear", "align_corners": True}),
    ("bilinear-down", {"size": (3, 2), "mode": "bilinear"}),
]
for name, kw in INTERP:
    both_layouts(
        f"interp-{name}",
        "interpolate",
        kw,
        lambda x, k=kw: TF.interpolate(x, **k),
        ((2, 3, 4, 5),),
        grad=True,
        weight=False,
    )
both_layouts(
    "upsample2d-nearest",
    "upsample2d",
    {"size": (2, 3)},
    lambda x: TF.interpolate(x, scale_factor=(2, 3)),
    ((2, 3, 4, 5),),
    weight=False,
)
both_layouts(
    "upsample2d-bilinear",
    "upsample2d",
    {"size": 2, "interpolation": "bilinear"},
    lambda x: TF.interpolate(x, scale_factor=2, mode="bilinear"),
    ((2, 3, 4, 5),),
    weight=False,
)
for pad in [1, (2, 1), ((0, 2), (3, 1)), ((-1, 2), (1, -2))]:
    if isinstance(pad, int):
        th = (pad,) * 4
    elif isinstance(pad[0], int):
        th = (pad[1], pad[1], pad[0], pad[0])
    else:
        th = (pad[1][0], pad[1][1], pad[0][0], pad[0][1])
    both_layouts(
        f"pad2d-{pad}",
        "pad2d",
        {"padding": pad},
        lambda x, p=th: TF.pad(x, p),
        ((2, 3, 4, 5),),
        grad=True,
        weight=False,
    )
both_layouts(
    "pad2d-value",
    "pad2d",
    {"padding": 1, "value": 2.5},
    lambda x: TF.pad(x, (1, 1, 1, 1), value=2.5),
    ((1, 2, 3, 3),),
    weight=False,
)


# ------------------------------------------------------------------------ ties in max pooling
# After a ReLU many windows are all zeros: PyTorch sends such a window's gradient to its first
# element in row-major order, and so do we (fixed inputs with many exact ties).
_ties = np.maximum(np.random.default_rng(1).standard_normal((2, 3, 6, 8)), 0).round(1)
both_layouts(
    "maxpool-ties-2x2",
    "max_pool2d",
    {"pool_size": 2},
    lambda x: TF.max_pool2d(x, 2),
    (_ties,),
    weight=False,
)
both_layouts(
    "maxpool-ties-3s1p1",
    "max_pool2d",
    {"pool_size": 3, "strides": 1, "padding": 1},
    lambda x: TF.max_pool2d(x, 3, 1, 1),
    (_ties,),
    weight=False,
)
both_layouts(
    "maxpool-ties-3s2",
    "max_pool2d",
    {"pool_size": (3, 2), "strides": (2, 1)},
    lambda x: TF.max_pool2d(x, (3, 2), (2, 1)),
    (_ties,),
    weight=False,
)


# ----------------------------------------------- batch norm over the channels of 4-D input
# the existing ops.batch_norm, with the channel axis given: 1 for (N, C, H, W), -1 for (N, H, W, C)
def _bn_torch(x, g, b):
    return TF.batch_norm(x, None, None, g, b, training=True, eps=1e-3)


case(
    "batchnorm-4d-axis1",
    lambda x, g, b: F.batch_norm(x, g, b, training=True, axis=1),
    _bn_torch,
    (4, 3, 5, 6),
    (3,),
    (3,),
)
case(
    "batchnorm-4d-axis-1",
    lambda x, g, b: nchw(F.batch_norm(nhwc(x), g, b, training=True)),
    _bn_torch,
    (4, 3, 5, 6),
    (3,),
    (3,),
)


# ------------------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("cr_fn, torch_fn, inputs, grad", CASES)
def test_float64(cr_fn, torch_fn, inputs, grad):
    check(cr_fn, torch_fn, *inputs, dtype=np.float64)


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, grad", CASES)
def test_float32(cr_fn, torch_fn, inputs, grad):
    check(cr_fn, torch_fn, *inputs, dtype=np.float32, **F32)


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, grad", [c for c in CASES if c.values[3]])
def test_gradcheck(cr_fn, torch_fn, inputs, grad):
    arrays = [make_array(s, np.float64) for s in inputs]
    arrays[0] = arrays[0][:1]  # batch 1 keeps the finite differences quick
    assert cr.gradcheck(cr_fn, arrays, eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("channels_last", [False, True])
def test_batch_norm_4d_running_statistics(channels_last):
    """Training updates the running mean/variance as PyTorch does (Keras momentum m = 1 − PyTorch
    momentum; unbiased variance), and evaluation normalises with them."""
    x = np.random.default_rng(2).standard_normal((4, 3, 5, 6)) * 2 + 1
    rm, rv = np.zeros(3), np.ones(3)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    ours = np.ascontiguousarray(x.transpose(0, 2, 3, 1)) if channels_last else x
    axis = -1 if channels_last else 1
    F.batch_norm(cr.Tensor(ours), None, None, rm, rv, training=True, momentum=0.9, axis=axis)
    TF.batch_norm(torch.from_numpy(x), trm, trv, training=True, momentum=0.1, eps=1e-3)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-12)
    y = F.batch_norm(cr.Tensor(ours), None, None, rm, rv, training=False, axis=axis).data
    ty = TF.batch_norm(torch.from_numpy(x), trm, trv, training=False, eps=1e-3).numpy()
    np.testing.assert_allclose(y.transpose(0, 3, 1, 2) if channels_last else y, ty, rtol=1e-12)
