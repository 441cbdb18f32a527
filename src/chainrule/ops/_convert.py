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


def operands(a, b) -> tuple[Tensor, Tensor]:
    """Both operands of a binary op as tensors; a scalar side adopts the tensor side's dtype."""
    if isinstance(a, Tensor):
        return a, ensure_tensor(b, a)
    b = ensure_tensor(b)
    return ensure_tensor(a, b), b
