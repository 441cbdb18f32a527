"""Sampling the next token from a language model's logits: temperature, top-k and top-p.

``sample_logits(logits, temperature=1.0, top_k=None, top_p=None)``: logits (..., V) → int64 ids
(...), one draw per row from the chainrule generator (``chainrule.manual_seed`` repeats them).

- ``temperature`` divides the logits (0 means greedy: the argmax);
- ``top_k`` keeps the k largest logits of each row;
- ``top_p`` keeps the smallest set of most probable tokens whose probabilities sum to at least
  ``top_p`` (nucleus sampling; the most probable token is always kept).

Filters apply in that order (top-k, then top-p on what is left), as in common practice.
"""

from __future__ import annotations

import numpy as np

from ..random import get_generator
from ..tensor import Tensor


def sample_logits(logits, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None) -> np.ndarray:  # fmt: skip
    """See the module docstring. Returns int64 ids of shape ``logits.shape[:-1]``."""
    z = np.asarray(logits.data if isinstance(logits, Tensor) else logits, dtype=np.float64)
    if z.ndim < 1 or z.shape[-1] < 1:
        raise ValueError(f"sample_logits: logits must be (..., vocabulary), got shape {z.shape}")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or (
            temperature < 0):  # fmt: skip
        raise ValueError(f"sample_logits: temperature must be >= 0, got {temperature!r}")
    V = z.shape[-1]
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                              or not 1 <= top_k):  # fmt: skip
        raise ValueError(f"sample_logits: top_k must be a positive int or None, got {top_k!r}")
    if top_p is not None and (isinstance(top_p, bool) or not 0 < top_p <= 1):
        raise ValueError(f"sample_logits: top_p must be in (0, 1] or None, got {top_p!r}")
    if temperature == 0:
        return np.argmax(z, axis=-1).astype(np.int64)
    z = z / float(temperature)
    if top_k is not None and top_k < V:
        kth = np.partition(z, V - top_k, axis=-1)[..., V - top_k : V - top_k + 1]
        z = np.where(z < kth, -np.inf, z)
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=-1, keepdims=True)
    if top_p is not None and top_p < 1:
        order = np.argsort(-p, axis=-1, kind="stable")
        sorted_p = np.take_along_axis(p, order, axis=-1)
        before = np.cumsum(sorted_p, axis=-1) - sorted_p  # mass of the tokens ranked above
        keep_sorted = before < top_p  # the first token always (before = 0)
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, axis=-1)
        p = np.where(keep, p, 0.0)
        p /= p.sum(axis=-1, keepdims=True)
    flat = p.reshape(-1, V)
    u = get_generator().random(flat.shape[0])
    cdf = np.cumsum(flat, axis=-1)
    ids = (cdf < u[:, None] * cdf[:, -1:]).sum(axis=-1)
    return np.minimum(ids, V - 1).astype(np.int64).reshape(z.shape[:-1])
