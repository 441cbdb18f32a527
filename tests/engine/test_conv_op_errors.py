"""Bad arguments to the convolution, pooling and resizing ops: a clear error naming the op and the
shapes or values at fault, raised before anything is computed or recorded."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F


def t(*shape, dtype=np.float32, grad=True):
    return cr.Tensor(np.ones(shape, dtype=dtype), requires_grad=grad and dtype != np.int64)


X = t(2, 8, 8, 3)  # channels-last
W = t(3, 3, 3, 4)  # (kh, kw, in, out)

CONV_ERRORS = [
    (lambda: F.conv2d(t(8, 8, 3), W), ValueError, r"conv2d: expected a 4-D input \(N, H, W, C\)"),
    (
        lambda: F.conv2d(t(2, 3, 8), W, data_format="channels_first"),
        ValueError,
        r"conv2d: expected a 4-D input \(N, C, H, W\) .* got shape \(2, 3, 8\)",
    ),
    (lambda: F.conv2d(X, t(3, 3, 4)), ValueError, r"conv2d: weight must be 4-D"),
    (
        lambda: F.conv2d(X, t(3, 3, 5, 4)),
        ValueError,
        r"conv2d: input has 3 channels but weight \(3, 3, 5, 4\)",
    ),
    (
        lambda: F.conv2d(X, t(3, 3, 1, 4), groups=2),
        ValueError,
        r"conv2d: groups=2 must divide both the input channels \(3\)",
    ),
    (
        lambda: F.conv2d(t(2, 8, 8, 4), t(3, 3, 2, 3), groups=2),
        ValueError,
        r"output channels \(3\)",
    ),
    (lambda: F.conv2d(X, W, groups=0), ValueError, r"conv2d: groups must be >= 1"),
    (
        lambda: F.conv2d(t(2, 2, 8, 3), W),
        ValueError,
        r"conv2d: input of shape \(2, 2, 8, 3\) is too small for kernel extent 3",
    ),
    (lambda: F.conv2d(X, W, dilation=4), ValueError, r"too small for kernel extent 9"),
    (lambda: F.conv2d(X, W, stride=0), ValueError, r"conv2d: stride must be >= 1"),
    (lambda: F.conv2d(X, W, stride=(1, -2)), ValueError, r"conv2d: stride must be >= 1"),
    (lambda: F.conv2d(X, W, stride=(1, 2, 3)), ValueError, r"conv2d: stride must be an int or 2"),
    (lambda: F.conv2d(X, W, stride=1.5), TypeError, r"conv2d: stride must be an int"),
    (lambda: F.conv2d(X, W, padding="full"), ValueError, r"conv2d: padding must be 'valid'"),
    (lambda: F.conv2d(X, W, padding=-1), ValueError, r"conv2d: padding must be non-negative"),
    (lambda: F.conv2d(X, W, t(5)), ValueError, r"conv2d: bias has shape \(5,\), expected \(4,\)"),
    (
        lambda: F.conv2d(X, t(3, 3, 3, 4, dtype=np.float64)),
        TypeError,
        r"conv2d: input, weight and bias must share one dtype",
    ),
    (
        lambda: F.conv2d(t(2, 8, 8, 3, dtype=np.int64), W),
        TypeError,
        r"conv2d: input must be floating point",
    ),
    (
        lambda: F.conv2d(X, W, data_format="NHWC"),
        ValueError,
        r"conv2d: data_format must be 'channels_last' or 'channels_first'",
    ),
    (
        lambda: F.conv2d(X, W, weight_layout="ohwi"),
        ValueError,
        r"conv2d: weight_layout must be 'hwio' \(Keras\) or 'oihw'",
    ),
    (lambda: F.conv2d(X, W, activation="tanh"), ValueError, r"conv2d: activation must be None"),
    (lambda: F.conv1d(t(2, 8, 3), t(9, 3, 4)), ValueError, r"conv1d: input of shape"),
    (lambda: F.conv1d(X, t(3, 3, 4)), ValueError, r"conv1d: expected a 3-D input"),
    (
        lambda: F.conv_transpose2d(X, t(3, 3, 4, 5)),
        ValueError,
        r"conv_transpose2d: input has 3 channels but weight \(3, 3, 4, 5\)",
    ),
    (
        lambda: F.conv_transpose2d(X, t(3, 3, 4, 3), stride=2, output_padding=2),
        ValueError,
        r"conv_transpose2d: output_padding \(2, 2\) must be smaller than stride",
    ),
    (
        lambda: F.conv_transpose2d(X, t(3, 3, 4, 3), padding="same", output_padding=1),
        ValueError,
        r"output_padding \(1, 1\) must be smaller than stride \(1, 1\)",
    ),
    (
        lambda: F.conv_transpose2d(t(2, 1, 1, 3), t(1, 1, 4, 3), padding=1),
        ValueError,
        r"conv_transpose2d: padding 1 leaves no output",
    ),
    (
        lambda: F.conv_transpose2d(X, t(3, 3, 4, 3), groups=2),
        ValueError,
        r"conv_transpose2d: groups=2 must divide the input channels \(3\)",
    ),
]
POOL_ERRORS = [
    (lambda: F.max_pool2d(t(2, 8, 3), 2), ValueError, r"max_pool2d: expected a 4-D input"),
    (
        lambda: F.max_pool2d(X, 9),
        ValueError,
        r"max_pool2d: input of shape \(2, 8, 8, 3\) is too small for pool window extent 9",
    ),
    (lambda: F.max_pool2d(X, 2, strides=0), ValueError, r"max_pool2d: strides must be >= 1"),
    (
        lambda: F.max_pool2d(X, 3, padding=2),
        ValueError,
        r"max_pool2d: padding 2 must be at most half the window 3",
    ),
    (
        lambda: F.avg_pool2d(X, 2, divisor_override=0),
        ValueError,
        r"avg_pool2d: divisor_override must be positive",
    ),
    (
        lambda: F.avg_pool2d(t(2, 8, 8, 3, dtype=np.int64), 2),
        TypeError,
        r"avg_pool2d: input must be floating point",
    ),
    (lambda: F.max_pool1d(X, 2), ValueError, r"max_pool1d: expected a 3-D input"),
    (lambda: F.adaptive_avg_pool2d(X, 0), ValueError, r"adaptive_avg_pool2d: output_size"),
    (lambda: F.adaptive_avg_pool2d(X, (1, 2, 3)), ValueError, r"adaptive_avg_pool2d: output_size"),
    (lambda: F.global_avg_pool(t(2, 3)), ValueError, r"global_avg_pool: expected"),
    (lambda: F.interpolate(X), ValueError, r"interpolate: give exactly one of size and"),
    (lambda: F.interpolate(X, size=4, scale_factor=2), ValueError, r"interpolate: give exactly"),
    (lambda: F.interpolate(X, size=4, mode="bicubic"), ValueError, r"interpolate: mode must be"),
    (lambda: F.interpolate(X, size=4, align_corners=True), ValueError, r"align_corners applies"),
    (lambda: F.interpolate(X, scale_factor=-1), ValueError, r"scale_factor must be positive"),
    (lambda: F.interpolate(X, scale_factor=0.1), ValueError, r"gives empty output"),
    (lambda: F.upsample2d(X, size=0), ValueError, r"upsample2d: size must be >= 1"),
    (lambda: F.pad2d(X, ((-5, -3), (0, 0))), ValueError, r"pad2d: padding .* crops more than"),
    (lambda: F.pad2d(X, ((1, 2, 3), (0, 0))), ValueError, r"pad2d: padding pairs"),
]


@pytest.mark.parametrize("call, kind, message", CONV_ERRORS + POOL_ERRORS)
def test_errors_name_the_op_and_the_fault(call, kind, message):
    with pytest.raises(kind, match=message):
        call()


def test_error_leaves_no_graph_and_no_gradient():
    x, w = t(2, 8, 8, 3), t(3, 3, 5, 4)
    with pytest.raises(ValueError):
        F.conv2d(x, w)
    assert x.grad is None and w.grad is None and x._fn is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_through_every_op(dtype):
    x = cr.Tensor(np.random.default_rng(0).standard_normal((2, 6, 6, 2)).astype(dtype), True)
    w = cr.Tensor(np.ones((3, 3, 2, 2), dtype=dtype), requires_grad=True)
    wt = cr.Tensor(np.ones((3, 3, 2, 2), dtype=dtype), requires_grad=True)
    outs = [
        F.conv2d(x, w, padding="same"),
        F.conv_transpose2d(x, wt, stride=2),
        F.max_pool2d(x, 2),
        F.avg_pool2d(x, 3, 1, padding=1),
        F.adaptive_avg_pool2d(x, (4, 5)),
        F.interpolate(x, size=(7, 9), mode="bilinear"),
        F.upsample2d(x, 2),
        F.pad2d(x, 1),
        F.global_avg_pool(x),
        F.global_max_pool(x),
    ]
    total = outs[0].sum()
    for o in outs:
        assert o.dtype == dtype
        total = total + o.sum()
    total.backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype and wt.grad.dtype == dtype
