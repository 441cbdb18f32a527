"""Turning op arguments into tensors without breaking the dtype rules."""

from __future__ import annotations

import numpy as np

from ..backend import DEFAULT_FLOAT
from ..tensor import Tensor, _to_array


def ensure_tensor(value, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor that requires no grad.

    A Python scalar takes the dtype of ``like`` when ``like`` is floating point, so ``x * 2.0``
    stays float32 for a float32 ``x`` (Python scalars never upcast).
    """
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, (int, float, bool, np.number)):
        kind = like.data.dtype.kind
        if kind == "f":
            return Tensor._wrap(np.asarray(value, dtype=like.data.dtype))
        if isinstance(value, float):
            return Tensor._wrap(np.asarray(value, dtype=DEFAULT_FLOAT))
    return Tensor._wrap(_to_array(value))


def _promote(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Mixed integer/bool and floating operands: the integer side takes the floating dtype (as in
    PyTorch), so an int64 tensor never turns a float32 computation into float64."""
    ka, kb = a.data.dtype.kind, b.data.dtype.kind
    if ka in "fc" and kb in "biu":
        return a, Tensor._wrap(b.data.astype(a.data.dtype))
    if kb in "fc" and ka in "biu":
        return Tensor._wrap(a.data.astype(b.data.dtype)), b
    return a, b


def operands(a, b) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as tensors; a scalar side adopts the tensor side's dtype."""
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = ensure_tensor(b, a)
    else:
        b = ensure_tensor(b)
        a = ensure_tensor(a, b)
    if a.data.dtype is not b.data.dtype and a.data.dtype != b.data.dtype:
        return _promote(a, b)
    return a, b
