"""conv2d, conv1d and conv_transpose2d against ``torch.nn.functional``: forward values and the
gradient of x, weight and bias, in float64 (~1e-10) and float32 (~1e-5), in both layouts (see
``layout_cases``), over strides, paddings ('same' with even kernels, Keras's 'same' at stride 2,
explicit pairs, 'causal'), dilations, groups (depthwise included) and odd sizes; plus float64
gradcheck on the small cases.
"""

from __future__ import annotations

import pytest
import torch.nn.functional as TF
from layout_cases import Cases, check_float32, check_float64, check_gradcheck, nchw, nhwc

import chainrule.functional as F

CASES = Cases()

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
    CASES.both_layouts(
        f"conv2d-{name}",
        "conv2d",
        ours,
        lambda x, w, b, t=theirs: TF.conv2d(x, w, b, **t),
        (xs, ws, (o,)),
        grad=True,
    )
CASES.both_layouts(
    "conv2d-nobias",
    "conv2d",
    {"padding": 1},
    lambda x, w: TF.conv2d(x, w, padding=1),
    ((2, 3, 5, 6), (4, 3, 3, 3)),
)
# Keras 'same' with stride 2 (PyTorch has no such mode): TF pads (top, bottom) = (1, 1) for H=7,
# k=3 and (left, right) = (0, 1) for W=8, k=3 — the odd pad goes after.
CASES.both_layouts(
    "conv2d-keras-same-stride2",
    "conv2d",
    {"padding": "same", "stride": 2},
    lambda x, w, b: TF.conv2d(TF.pad(x, (0, 1, 1, 1)), w, b, stride=2),
    ((2, 3, 7, 8), (4, 3, 3, 3), (4,)),
)
# explicit asymmetric pairs ((top, bottom), (left, right))
CASES.both_layouts(
    "conv2d-pairs",
    "conv2d",
    {"padding": ((2, 0), (1, 3))},
    lambda x, w, b: TF.conv2d(TF.pad(x, (1, 3, 2, 0)), w, b),
    ((2, 3, 5, 6), (4, 3, 3, 3), (4,)),
)
# one input channel (LeNet's first layer): the columns are laid out the other way round and the
# bias rides inside the matrix product
CASES.both_layouts(
    "conv2d-1ch",
    "conv2d",
    {"padding": 2},
    lambda x, w, b: TF.conv2d(x, w, b, padding=2),
    ((2, 1, 7, 6), (3, 1, 5, 5), (3,)),
    grad=True,
)
CASES.both_layouts(
    "conv2d-1ch-nobias-stride2",
    "conv2d",
    {"stride": 2, "dilation": (1, 2)},
    lambda x, w: TF.conv2d(x, w, stride=2, dilation=(1, 2)),
    ((2, 1, 9, 8), (4, 1, 3, 2)),
    grad=True,
)
# fused ReLU (Keras Conv2D(activation="relu"))
CASES.both_layouts(
    "conv2d-relu",
    "conv2d",
    {"padding": 1, "activation": "relu"},
    lambda x, w, b: TF.relu(TF.conv2d(x, w, b, padding=1)),
    ((2, 3, 5, 6), (4, 3, 3, 3), (4,)),
    grad=True,
)
CASES.both_layouts(
    "conv2d-1ch-relu",
    "conv2d",
    {"activation": "relu"},
    lambda x, w, b: TF.relu(TF.conv2d(x, w, b)),
    ((2, 1, 6, 6), (4, 1, 3, 3), (4,)),
)
CASES.both_layouts(
    "conv1d-1ch",
    "conv1d",
    {"padding": 1},
    lambda x, w, b: TF.conv1d(x, w, b, padding=1),
    ((2, 1, 9), (3, 1, 3), (3,)),
    grad=True,
)
# channels-last input with a PyTorch-layout weight (layouts mix freely)
CASES.case(
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
    CASES.both_layouts(
        f"conv1d-{name}",
        "conv1d",
        ours,
        lambda x, w, b, t=theirs: TF.conv1d(x, w, b, **t),
        (xs, ws, (ws[0],)),
        grad=True,
    )
# Keras 'causal': dilation·(k − 1) zeros on the left only
CASES.both_layouts(
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
    CASES.both_layouts(
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
    CASES.both_layouts(f"convT-keras-{name}", "conv_transpose2d", ours, th, (xs, ws, (ws[1],)))
CASES.both_layouts(
    "convT-nobias",
    "conv_transpose2d",
    {"stride": 2},
    lambda x, w: TF.conv_transpose2d(x, w, stride=2),
    ((2, 3, 3, 4), (3, 2, 3, 3)),
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
