"""Embedding lookup: rows of a (num_embeddings, dim) table picked by integer indices.

The forward pass is one ``take`` along the first axis. The backward pass adds each upstream row into
the table row it came from; repeated indices (the usual case in text) must accumulate. ``np.add.at``
does that one element at a time and is slow. Here the indices are sorted once (stable), the
gradient rows gathered in that order, each run of equal indices summed with ``np.add.reduceat``, and
the distinct rows written with a plain (duplicate-free) fancy assignment.

Measured here (one thread, n = 2048 lookups, float32; medians): for a 65-row, 64-wide table
sort + reduceat takes 0.13 ms, a one-hot matrix product 0.19 ms, ``np.bincount`` per column 0.28 ms
and ``np.add.at`` 0.87 ms; for 20,000 rows × 128, sort + reduceat 1.5 ms, ``np.add.at`` 5.9 ms,
bincount 23 ms and the one-hot product 308 ms. So sort + reduceat is used at every size.

``padding_idx`` (PyTorch's): that row's lookups still return the stored row, but its gradient is
always zero, so it stays as it was initialised (usually zeros).
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from ._convert import ensure_tensor


def accumulate_rows(flat_idx, grad2d, num_rows: int):
    """``out[r] = Σ grad2d[i] over i with flat_idx[i] == r``: an (num_rows, D) array.

    ``flat_idx``: (n,) integers in [0, num_rows); ``grad2d``: (n, D). No ``np.add.at``.
    """
    m = xp(grad2d)
    n, dim = grad2d.shape
    if n == 0:
        return m.zeros((num_rows, dim), dtype=grad2d.dtype)
    order = m.argsort(flat_idx, kind="stable")
    sorted_idx = flat_idx[order]
    starts = m.flatnonzero(m.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))
    sums = m.add.reduceat(grad2d[order], starts, axis=0)
    out = m.zeros((num_rows, dim), dtype=grad2d.dtype)
    out[sorted_idx[starts]] = sums
    return out


class Embedding(Function):
    """weight (V, D), indices (...) integers → weight[indices] (..., D)."""

    fresh_grads = True

    def forward(self, weight, indices, padding_idx):
        self.idx, self.num_rows, self.padding_idx = indices, weight.shape[0], padding_idx
        return xp(weight).take(weight, indices, axis=0)

    def backward(self, g):
        dim = g.shape[-1]
        out = accumulate_rows(self.idx.reshape(-1), g.reshape(-1, dim), self.num_rows)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return out


def embedding(indices, weight, padding_idx: int | None = None) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) for integer ``indices`` of any shape.

    Returns (*indices.shape, dim) in the weight's dtype. ``padding_idx`` (may be negative, counted
    from the end as in PyTorch) names a row that receives no gradient. Indices outside
    [0, num_embeddings) raise a ValueError (negative indices are not wrapped, as in PyTorch).
    Argument order follows ``torch.nn.functional.embedding(input, weight, padding_idx)``.
    """
    weight = ensure_tensor(weight)
    idx = indices.data if isinstance(indices, Tensor) else indices
    idx = xp(idx).asarray(idx)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise ValueError(
            f"embedding: weight must be 2-D (num_embeddings, dim), got shape {weight.shape}"
        )
    rows = weight.shape[0]
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= rows:
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"embedding: index {bad} is out of range for a table of {rows} rows "
                f"(weight shape {weight.shape}, indices shape {idx.shape})"
            )
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
            raise TypeError(f"embedding: padding_idx must be an int or None, got {padding_idx!r}")
        if not -rows <= padding_idx < rows:
            raise ValueError(
                f"embedding: padding_idx {padding_idx} is out of range for {rows} rows"
            )
        padding_idx = int(padding_idx) % rows
    return Embedding.apply(weight, padding_idx=padding_idx, indices=idx)
