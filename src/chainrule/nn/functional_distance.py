"""Distances between batches of vectors (``torch.nn.functional`` names and defaults)."""

from __future__ import annotations

from .. import ops
from ..ops._convert import ensure_tensor
from ..tensor import Tensor


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``Σ (x1/max(‖x1‖, eps))·(x2/max(‖x2‖, eps))`` along ``dim``; x1, x2 broadcast together,
    ``dim`` is removed."""
    x1, x2 = ensure_tensor(x1), ensure_tensor(x2)
    try:
        x1, x2 = ops.broadcast_to(x1, _broadcast(x1, x2)), ops.broadcast_to(x2, _broadcast(x1, x2))
    except ValueError:
        raise ValueError(
            f"cosine_similarity: shapes {tuple(x1.shape)} and {tuple(x2.shape)} do not broadcast"
        ) from None
    if not -x1.ndim <= dim < max(x1.ndim, 1):
        raise ValueError(f"cosine_similarity: dim {dim} is out of range for shape {x1.shape}")
    n1 = ops.sqrt((x1 * x1).sum(axis=dim, keepdims=True))
    n2 = ops.sqrt((x2 * x2).sum(axis=dim, keepdims=True))
    return ((x1 / ops.maximum(n1, eps)) * (x2 / ops.maximum(n2, eps))).sum(axis=dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:  # fmt: skip
    """``‖x1 − x2 + eps‖_p`` over the last dim (x1, x2 broadcast together)."""
    x1, x2 = ensure_tensor(x1), ensure_tensor(x2)
    if p <= 0:
        raise ValueError(f"pairwise_distance: p must be positive, got {p}")
    diff = x1 - x2 + eps
    if diff.ndim == 0:
        raise ValueError("pairwise_distance: inputs need at least one dim")
    return (ops.abs(diff) ** float(p)).sum(axis=-1, keepdims=keepdim) ** (1.0 / float(p))


def _broadcast(a: Tensor, b: Tensor) -> tuple:
    import numpy as np

    return np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
