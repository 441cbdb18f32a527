"""Pooling, resizing, padding and 4-D batch norm against ``torch.nn.functional``: forward values
and gradients in float64 and float32, in both layouts (see ``layout_cases``), plus float64
gradcheck on the small cases. Max-pooling inputs are continuous random draws (tie-free) except in
the ties section, which checks PyTorch's first-maximum rule on inputs full of exact ties.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from layout_cases import Cases, check_float32, check_float64, check_gradcheck, nchw, nhwc

import chainrule as cr
import chainrule.functional as F

CASES = Cases()

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
    CASES.both_layouts(
        f"maxpool-{name}",
        "max_pool2d",
        ours,
        lambda x, t=theirs: TF.max_pool2d(x, **t),
        (xs,),
        grad=True,
        weight=False,
    )
# Keras 'same' (H=7, k=3, s=2: pads (1, 1); W=8: (0, 1)); padded cells never win
CASES.both_layouts(
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
    CASES.both_layouts(
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


CASES.both_layouts(
    "avgpool-keras-same",
    "avg_pool2d",
    {"pool_size": 3, "strides": 2, "padding": "same"},
    _keras_same_avg,
    ((2, 3, 7, 8),),
    weight=False,
)
CASES.both_layouts(
    "maxpool1d",
    "max_pool1d",
    {"pool_size": 3, "strides": 2, "padding": 1},
    lambda x: TF.max_pool1d(x, 3, 2, 1),
    ((2, 3, 9),),
    grad=True,
    weight=False,
)
CASES.both_layouts(
    "avgpool1d-ceil",
    "avg_pool1d",
    {"pool_size": 3, "strides": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    lambda x: TF.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
    ((2, 3, 8),),
    grad=True,
    weight=False,
)
CASES.both_layouts(
    "global-avg", "global_avg_pool", {}, lambda x: x.mean((2, 3)), ((2, 3, 5, 4),), weight=False
)
CASES.case(
    "global-max-cl", lambda x: F.global_max_pool(nhwc(x)), lambda x: x.amax((2, 3)), (2, 3, 5, 4)
)
CASES.case(
    "global-avg-keepdims-cf",
    lambda x: F.global_avg_pool(x, data_format="channels_first", keepdims=True),
    lambda x: x.mean((2, 3), keepdim=True),
    (2, 3, 5, 4),
)
for out in [(3, 4), (4, 2), (7, 3), (2, None), 1]:
    size = out if isinstance(out, int) else tuple(out)
    CASES.both_layouts(
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
    CASES.both_layouts(
        f"interp-{name}",
        "interpolate",
        kw,
        lambda x, k=kw: TF.interpolate(x, **k),
        ((2, 3, 4, 5),),
        grad=True,
        weight=False,
    )
CASES.both_layouts(
    "upsample2d-nearest",
    "upsample2d",
    {"size": (2, 3)},
    lambda x: TF.interpolate(x, scale_factor=(2, 3)),
    ((2, 3, 4, 5),),
    weight=False,
)
CASES.both_layouts(
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
    CASES.both_layouts(
        f"pad2d-{pad}",
        "pad2d",
        {"padding": pad},
        lambda x, p=th: TF.pad(x, p),
        ((2, 3, 4, 5),),
        grad=True,
        weight=False,
    )
CASES.both_layouts(
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
CASES.both_layouts(
    "maxpool-ties-2x2",
    "max_pool2d",
    {"pool_size": 2},
    lambda x: TF.max_pool2d(x, 2),
    (_ties,),
    weight=False,
)
CASES.both_layouts(
    "maxpool-ties-3s1p1",
    "max_pool2d",
    {"pool_size": 3, "strides": 1, "padding": 1},
    lambda x: TF.max_pool2d(x, 3, 1, 1),
    (_ties,),
    weight=False,
)
CASES.both_layouts(
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


CASES.case(
    "batchnorm-4d-axis1",
    lambda x, g, b: F.batch_norm(x, g, b, training=True, axis=1),
    _bn_torch,
    (4, 3, 5, 6),
    (3,),
    (3,),
)
CASES.case(
    "batchnorm-4d-axis-1",
    lambda x, g, b: nchw(F.batch_norm(nhwc(x), g, b, training=True)),
    _bn_torch,
    (4, 3, 5, 6),
    (3,),
    (3,),
)


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, grad", CASES)
def test_float64(cr_fn, torch_fn, inputs, grad):
    check_float64(cr_fn, torch_fn, inputs)


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, grad", CASES)
def test_float32(cr_fn, torch_fn, inputs, grad):
    check_float32(cr_fn, torch_fn, inputs)


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, grad", CASES.smooth())
def test_gradcheck(cr_fn, torch_fn, inputs, grad):
    check_gradcheck(cr_fn, inputs)


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
