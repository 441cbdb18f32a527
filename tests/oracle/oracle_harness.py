"""One helper for the oracle suite: run an op in chainrule and in PyTorch, compare values and grads.

``check(cr_fn, torch_fn, *inputs, dtype=...)`` builds the same inputs for both libraries, compares the
forward results, then backpropagates the same random upstream gradient through both and compares the
gradient of every floating-point input. Inputs are given as:

- a shape tuple: standard-normal values;
- ``Pos(shape)``: values in [0.5, 2) (for log, sqrt, pow bases, divisors);
- an ndarray: used as is (floating arrays are cast to ``dtype``; integer/bool arrays are constants
  that require no grad);
- ``Keep(array)``: used with its own dtype (a float64 0-d operand beside float32 ones), requiring
  grad when floating.

The draws come from the library generator, which the autouse fixture seeds for every test.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

import chainrule as cr
from chainrule.random import get_generator

#: (rtol, atol) per dtype: float64 is compared to near machine precision, float32 loosely.
TOLERANCES = {np.float64: (1e-10, 1e-12), np.float32: (1e-5, 1e-6)}


@dataclass(frozen=True)
class Pos:
    """A positive input of the given shape (values in [0.5, 2))."""

    shape: tuple


@dataclass(frozen=True)
class Keep:
    """An input array whose dtype is kept whatever dtype the case runs in."""

    array: np.ndarray


def make_array(spec, dtype) -> np.ndarray:
    """The concrete array for one input spec (see the module docstring)."""
    if isinstance(spec, Keep):
        return np.asarray(spec.array)
    rng = get_generator()
    if isinstance(spec, Pos):
        return rng.uniform(0.5, 2.0, spec.shape).astype(dtype)
    if isinstance(spec, tuple):
        return rng.standard_normal(spec).astype(dtype)
    arr = np.asarray(spec)
    return arr.astype(dtype) if arr.dtype.kind == "f" else arr


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def check(cr_fn, torch_fn, *inputs, dtype=np.float64, rtol=None, atol=None, backward=True):
    """Assert that ``cr_fn`` and ``torch_fn`` agree on values and on every input's gradient.

    Each function receives one tensor per input, in its own library. It may return a tensor or a
    list/tuple of tensors. Returns the chainrule outputs (for extra assertions by the caller).
    """
    dtype = np.dtype(dtype).type
    rt, at = TOLERANCES[dtype]
    rtol = rt if rtol is None else rtol
    atol = at if atol is None else atol
    arrays = [make_array(s, dtype) for s in inputs]
    ours = [cr.Tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in arrays]

    out_cr = _as_list(cr_fn(*ours))
    out_th = _as_list(torch_fn(*theirs))
    assert len(out_cr) == len(out_th), f"{len(out_cr)} outputs vs torch's {len(out_th)}"
    for k, (o, t) in enumerate(zip(out_cr, out_th)):
        expected = t.detach().numpy()
        assert o.shape == expected.shape, f"output {k}: shape {o.shape} vs torch {expected.shape}"
        assert o.dtype == expected.dtype, f"output {k}: dtype {o.dtype} vs torch {expected.dtype}"
        np.testing.assert_allclose(o.data, expected, rtol=rtol, atol=atol, err_msg=f"output {k}")
    if not backward or not any(a.requires_grad for a in ours):
        return out_cr

    rng = get_generator()
    upstream = [rng.standard_normal(o.shape).astype(dtype) for o in out_cr]
    if len(out_cr) == 1:
        out_cr[0].backward(upstream[0])
    else:
        terms = [(o * g).sum() for o, g in zip(out_cr, upstream)]
        loss = terms[0]
        for term in terms[1:]:
            loss = loss + term
        loss.backward()
    torch.autograd.backward(out_th, [torch.from_numpy(g) for g in upstream])

    for i, (a, t) in enumerate(zip(ours, theirs)):
        if not a.requires_grad:
            continue
        expected = np.zeros_like(a.data) if t.grad is None else t.grad.numpy()
        got = np.zeros_like(a.data) if a.grad is None else np.asarray(a.grad)
        assert got.shape == a.shape, f"grad of input {i}: shape {got.shape}, input {a.shape}"
        assert got.dtype == a.dtype, f"grad of input {i}: dtype {got.dtype}, input {a.dtype}"
        np.testing.assert_allclose(
            got, expected, rtol=rtol, atol=atol, err_msg=f"grad of input {i}"
        )
    return out_cr
