"""Shared by the convolution and pooling oracle files: a case table whose entries run in both
layouts against one PyTorch call, and the three checks every entry gets.

A channels-last entry transposes PyTorch's (N, C, H, W) input to (N, H, W, C) and PyTorch's weight to
Keras's layout with ``permute`` before calling the op, and the output back; the gradients then
travel through those permutes, so both layouts are checked against the same PyTorch call.
"""

from __future__ import annotations

import numpy as np
import pytest
from oracle_harness import check, make_array

import chainrule as cr
import chainrule.functional as F

#: float32 tolerances: sums of up to ~100 products, so a slightly looser absolute floor
F32 = {"rtol": 1e-5, "atol": 1e-5}
NCHW_TO_NHWC, NHWC_TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)
#: per op family, the permutation taking PyTorch's weight to the Keras layout
W_TO_KERAS = {"conv2d": (2, 3, 1, 0), "conv1d": (2, 1, 0), "conv_transpose2d": (2, 3, 1, 0)}


def nhwc(x):
    return F.permute(x, NCHW_TO_NHWC if x.ndim == 4 else (0, 2, 1))


def nchw(y):
    if y.ndim < 3:  # pooled to (N, C): no spatial axes left
        return y
    return F.permute(y, NHWC_TO_NCHW if y.ndim == 4 else (0, 2, 1))


class Cases(list):
    """A list of ``pytest.param(cr_fn, torch_fn, inputs, grad)``."""

    def case(self, name, cr_fn, th_fn, *inputs, grad=False):
        """Register a case; ``grad=True`` also runs it through float64 gradcheck (keep it small)."""
        self.append(pytest.param(cr_fn, th_fn, inputs, grad, id=name))

    def both_layouts(self, name, op, kwargs, th_fn, shapes, grad=False, weight=True):
        """Register ``op`` in channels-first (PyTorch weight) and channels-last (Keras weight)."""

        def cf(*t):
            return getattr(F, op)(*t, **kwargs, data_format="channels_first")

        def cl(x, *rest):
            if weight:
                rest = (F.permute(rest[0], W_TO_KERAS[op]),) + rest[1:]
            return nchw(getattr(F, op)(nhwc(x), *rest, **kwargs, data_format="channels_last"))

        self.case(f"{name}-cf", cf, th_fn, *shapes, grad=grad)
        self.case(f"{name}-cl", cl, th_fn, *shapes, grad=False)

    def smooth(self):
        return [c for c in self if c.values[3]]


def check_float64(cr_fn, torch_fn, inputs):
    check(cr_fn, torch_fn, *inputs, dtype=np.float64)


def check_float32(cr_fn, torch_fn, inputs):
    check(cr_fn, torch_fn, *inputs, dtype=np.float32, **F32)


def check_gradcheck(cr_fn, inputs):
    arrays = [make_array(s, np.float64) for s in inputs]
    arrays[0] = arrays[0][:1]  # batch 1 keeps the finite differences quick
    assert cr.gradcheck(cr_fn, arrays, eps=1e-6, atol=1e-6, rtol=1e-5)
