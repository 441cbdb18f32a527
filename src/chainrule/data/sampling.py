"""Sampling the next token from a language model's logits: temperature, top-k and top-p.

``sample_logits(logits, temperature=1.0, top_k=None, top_p=None)``: logits (..., V) → int64 ids
(...), one draw per row from the chainrule generator (``chainrule.manual_seed`` repeats them).

- ``temperature`` divides the logits (0 means greedy: the argmax);
- ``top_k`` keeps the k largest logits of each row;
- ``top_p`` keeps the smallest set of most probable tokens whose probabilities sum to at least
  ``top_p`` (nucleus sampling; the most probable token is always kept).

Filters apply in that order (top-k, then top-p on what is left), as in common practice; ties at
the k-th largest logit are all kept. ``next_token_probs`` gives the filtered distribution itself.
"""

from __future__ import annotations

import numpy as np

from ..random import get_generator
from ..tensor import Tensor


def check_sampling_options(
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    where: str = "sample_logits",
) -> None:
    """ValueError (naming ``where``) unless temperature >= 0, top_k a positive int or None and
    top_p in (0, 1] or None."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.floating)) or (
            not temperature >= 0 or not np.isfinite(temperature)):  # fmt: skip
        raise ValueError(f"{where}: temperature must be a finite number >= 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                              or not 1 <= top_k):  # fmt: skip
        raise ValueError(f"{where}: top_k must be a positive int or None, got {top_k!r}")
    if top_p is not None and (isinstance(top_p, bool)
                              or not isinstance(top_p, (int, float, np.floating))
                              or not 0 < top_p <= 1):  # fmt: skip
        raise ValueError(f"{where}: top_p must be in (0, 1] or None, got {top_p!r}")


def next_token_probs(logits, temperature: float = 1.0, top_k: int | None = None,
                     top_p: float | None = None) -> np.ndarray:  # fmt: skip
    """The distribution :func:`sample_logits` draws from: float64 (..., V), each row summing to 1,
    zero outside the tokens the filters keep. Temperature 0 puts all mass on the argmax."""
    z = np.asarray(logits.data if isinstance(logits, Tensor) else logits, dtype=np.float64)
    if z.ndim < 1 or z.shape[-1] < 1:
        raise ValueError(f"sample_logits: logits must be (..., vocabulary), got shape {z.shape}")
    check_sampling_options(temperature, top_k, top_p)
    if np.isnan(z).any() or np.isposinf(z).any():
        raise ValueError("sample_logits: logits hold NaN or +inf (the model's outputs are not "
                         "finite)")  # fmt: skip
    if not np.isfinite(z).any(axis=-1).all():
        raise ValueError("sample_logits: a row of logits is -inf everywhere (no token is possible)")
    V = z.shape[-1]
    if temperature == 0:
        return np.eye(V)[np.argmax(z, axis=-1)]
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
    return p


def sample_logits(logits, temperature: float = 1.0, top_k: int | None = None,
                  top_p: float | None = None) -> np.ndarray:  # fmt: skip
    """See the module docstring. Returns int64 ids of shape ``logits.shape[:-1]``."""
    p = next_token_probs(logits, temperature, top_k, top_p)
    V = p.shape[-1]
    if temperature == 0:
        return np.argmax(p, axis=-1).astype(np.int64)
    flat = p.reshape(-1, V)
    u = get_generator().random(flat.shape[0])
    cdf = np.cumsum(flat, axis=-1)
    ids = (cdf < u[:, None] * cdf[:, -1:]).sum(axis=-1)
    return np.minimum(ids, V - 1).astype(np.int64).reshape(p.shape[:-1])
