"""Gradient clipping that never writes into a gradient array.

Gradient arrays may be shared between tensors (``a + b`` hands the same array to both inputs), so
these functions *replace* ``p.grad`` with a new, clipped array instead of modifying it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..backend import xp
from ..tensor import Tensor


def _with_grads(params: Iterable[Tensor] | Tensor, op: str) -> list[Tensor]:
    params = [params] if isinstance(params, Tensor) else list(params)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(p).__name__} at position {i}")
    return [p for p in params if p.grad is not None]


def global_grad_norm(params: Iterable[Tensor], norm_type: float = 2.0) -> float:
    """The norm of all gradients together, as if concatenated (Python float)."""
    # a gradient left by backward(create_graph=True) is a Tensor: its values are what count here
    grads = [
        p.grad.data if isinstance(p.grad, Tensor) else p.grad for p in params if p.grad is not None
    ]
    if not grads:
        return 0.0
    if norm_type == math.inf:
        return max(float(xp(g).abs(g).max()) if g.size else 0.0 for g in grads)
    if norm_type == 2.0:  # a BLAS dot per array; accumulate across arrays in Python floats
        return math.sqrt(sum(float(xp(g).dot(g.reshape(-1), g.reshape(-1))) for g in grads))
    total = sum(float((xp(g).abs(g) ** norm_type).sum()) for g in grads)
    return total ** (1.0 / norm_type)


def clip_grad_norm(
    params: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float = 2.0
) -> float:
    """Scale all gradients jointly so their total ``norm_type``-norm is at most ``max_norm``.

    Like ``torch.nn.utils.clip_grad_norm_``: the factor is ``max_norm / (total_norm + 1e-6)``,
    applied only when below 1. Each affected ``p.grad`` is replaced by a new array of its dtype.
    Returns the total norm before clipping.
    """
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    if not max_norm >= 0 or not math.isfinite(max_norm):
        raise ValueError(f"clip_grad_norm: max_norm must be finite and >= 0, got {max_norm}")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm: norm_type must be > 0 (or inf), got {norm_type}")
    params = _with_grads(params, "clip_grad_norm")
    total = global_grad_norm(params, norm_type)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in params:
            p.grad = p.grad * coef  # a Python float keeps the gradient's dtype
    return total


def clip_grad_value(params: Iterable[Tensor] | Tensor, clip_value: float) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]`` (replacing ``p.grad``)."""
    clip_value = float(clip_value)
    if not clip_value >= 0 or not math.isfinite(clip_value):
        raise ValueError(f"clip_grad_value: clip_value must be finite and >= 0, got {clip_value}")
    for p in _with_grads(params, "clip_grad_value"):
        g = p.grad.data if isinstance(p.grad, Tensor) else p.grad
        p.grad = xp(g).clip(g, -clip_value, clip_value)
