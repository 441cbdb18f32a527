"""Scaled dot-product attention as one fused node, with PyTorch's semantics.

``softmax(q kᵀ · scale + mask) v`` over the last two axes; every leading axis (batch, heads) is a
batch axis and broadcasts as in a matrix product. The forward pass keeps the attention weights P;
the backward pass uses the closed form of the softmax's vector-Jacobian product,
dS = P ⊙ (dP − Σ_j dP ⊙ P), so no intermediate of the softmax is differentiated separately.

Masks (PyTorch's ``F.scaled_dot_product_attention``):

- a boolean ``attn_mask``: True means "may attend"; False positions get −∞ before the softmax;
- a floating ``attn_mask``: added to the scores (and differentiable, as in PyTorch);
- ``is_causal=True``: query i attends to keys j ≤ i (a top-left aligned lower triangle of the
  (L, S) score matrix); it may not be combined with ``attn_mask``.

A query row whose every key is masked has no well-defined softmax. PyTorch 2.13 returns zeros for
such a row, with zero gradients, for boolean and −∞ float masks alike; so does this op (no NaN).

``dropout_p > 0`` drops attention weights with that probability (mask from the library generator,
``chainrule.manual_seed``) and scales the rest by 1 / (1 − p), as PyTorch does; like PyTorch's
functional form, it applies whenever ``dropout_p > 0`` (pass 0 in evaluation).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..backend import xp
from ..function import Function, unbroadcast
from ..random import get_generator
from ..tensor import Tensor
from ._convert import ensure_tensor


@functools.lru_cache(maxsize=32)
def _causal_blocked(L: int, S: int) -> np.ndarray:
    """(L, S) booleans, True above the diagonal: the keys a causal query may NOT see (read-only)."""
    blocked = np.triu(np.ones((L, S), dtype=bool), k=1)
    blocked.flags.writeable = False
    return blocked


class ScaledDotProductAttention(Function):
    """q (..., L, E), k (..., S, E), v (..., S, Ev) [, float mask] → (..., L, Ev)."""

    def forward(self, q, k, v, *float_mask, blocked, scale, dropout_p, scores):
        m = xp(q)
        self.q, self.k, self.v, self.scale = q, k, v, q.dtype.type(scale)
        s = q @ k.swapaxes(-1, -2)
        if s.shape != scores:  # v or the mask has more leading axes than q and k
            s = m.broadcast_to(s, scores).copy()
        s *= self.scale
        self.mask_shape = None
        if float_mask:
            self.mask_shape = float_mask[0].shape
            s += float_mask[0]
        if blocked is not None:
            m.copyto(s, -m.inf, where=blocked)
        # a numerically stable softmax, in place; rows with every key masked give zeros
        top = s.max(axis=-1, keepdims=True)
        dead = ~m.isfinite(top)
        has_dead = bool(dead.any())
        if has_dead:
            top[dead] = 0
        s -= top
        m.exp(s, out=s)
        total = s.sum(axis=-1, keepdims=True)
        if has_dead:
            total[total == 0] = 1
        s /= total
        self.p = s
        self.drop = None
        pd = s
        if dropout_p > 0:
            keep = get_generator().random(s.shape, dtype=np.float32) >= dropout_p
            self.drop = m.multiply(keep, q.dtype.type(1 / (1 - dropout_p)), dtype=q.dtype)
            pd = s * self.drop
        self.pd = pd
        self.blocked = blocked
        return pd @ v

    def backward(self, g):
        q, k, v, p = self.q, self.k, self.v, self.p
        need = self.needs_input_grad
        dv = unbroadcast(self.pd.swapaxes(-1, -2) @ g, v.shape) if need[2] else None
        ds = g @ v.swapaxes(-1, -2)  # gradient of the (dropped) weights
        if self.drop is not None:
            ds *= self.drop
        row = (ds * p).sum(axis=-1, keepdims=True)
        ds -= row
        ds *= p  # now the gradient of the masked, scaled scores
        dmask = None
        if self.mask_shape is not None and need[3]:
            dmask = unbroadcast(ds, self.mask_shape).copy()
        ds *= self.scale
        dq = unbroadcast(ds @ k, q.shape) if need[0] else None
        dk = unbroadcast(ds.swapaxes(-1, -2) @ q, k.shape) if need[1] else None
        if self.mask_shape is not None:
            return dq, dk, dv, dmask
        return dq, dk, dv

    def backward_graph(self, g):
        """The same closed form with differentiable ops; the attention weights are rebuilt from
        q, k (and the float mask) so that their dependence on them is differentiated too. The
        softmax is shifted by the forward pass's row maxima (constants: the softmax does not
        depend on the shift), masked entries are zeroed by ``where``, and the dropout mask is the
        one forward drew."""
        from .elementwise import sum_to, where
        from .linalg import _swap_last

        q, k, v = self.parents[:3]
        need = self.needs_input_grad
        s = (q @ _swap_last(k)) * float(self.scale)
        if self.mask_shape is not None:
            s = s + self.parents[3]
        blocked = self.blocked
        sd = s.data
        if blocked is not None:
            sd = xp(sd).where(blocked, -xp(sd).inf, sd)
        top = sd.max(axis=-1, keepdims=True)
        top = xp(sd).where(xp(sd).isfinite(top), top, 0)
        if blocked is not None:  # a finite stand-in first, so no inf meets a zero gradient
            s = where(blocked, top, s)
        e = (s - top).exp()
        if blocked is not None:
            e = where(blocked, 0.0, e)
        total = e.sum(axis=-1, keepdims=True)
        p = e / where(total.data == 0, 1.0, total)
        pd = p if self.drop is None else p * self.drop
        dv = sum_to(_swap_last(pd) @ g, v.shape) if need[2] else None
        dp = g @ _swap_last(v)
        if self.drop is not None:
            dp = dp * self.drop
        ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True))
        dmask = None
        if self.mask_shape is not None and need[3]:
            dmask = sum_to(ds, self.mask_shape)
        ds = ds * float(self.scale)
        dq = sum_to(ds @ k, q.shape) if need[0] else None
        dk = sum_to(_swap_last(ds) @ q, k.shape) if need[1] else None
        if self.mask_shape is not None:
            return dq, dk, dv, dmask
        return dq, dk, dv


def scaled_dot_product_attention(
    q, k, v, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False, scale=None
) -> Tensor:
    """Attention ``softmax(q kᵀ · scale + mask) v`` with PyTorch's arguments and semantics.

    q (..., L, E), k (..., S, E), v (..., S, Ev): leading axes (batch, heads) broadcast.
    ``attn_mask``: boolean (True = attend) or floating (added), broadcastable to (..., L, S).
    ``scale`` defaults to 1/√E. Returns (..., L, Ev). See the module doc for fully-masked rows.
    """
    op = "scaled_dot_product_attention"
    q, k, v = ensure_tensor(q), ensure_tensor(k), ensure_tensor(v)
    for name, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2:
            raise ValueError(f"{op}: {name} needs at least 2 dimensions (..., L, E), got {t.shape}")
        if t.dtype.kind != "f":
            raise TypeError(f"{op}: {name} must be floating point, got dtype {t.dtype}")
        if t.dtype != q.dtype:
            raise TypeError(f"{op}: {name} has dtype {t.dtype} but query has {q.dtype}")
    L, E = q.shape[-2:]
    S = k.shape[-2]
    if k.shape[-1] != E:
        raise ValueError(f"{op}: query {q.shape} and key {k.shape} differ in the last axis")
    if v.shape[-2] != S:
        raise ValueError(f"{op}: key {k.shape} and value {v.shape} differ in length (axis -2)")
    try:
        lead = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: leading axes of query {q.shape}, key {k.shape}, value {v.shape} do not "
            "broadcast"
        ) from None
    scores = lead + (L, S)
    if isinstance(dropout_p, bool) or not 0.0 <= float(dropout_p) < 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p!r}")
    scale = 1.0 / math.sqrt(E) if scale is None else float(scale)
    blocked, extra = None, ()
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{op}: give either attn_mask or is_causal=True, not both")
        blocked = _causal_blocked(L, S)
    elif attn_mask is not None:
        mask = attn_mask if isinstance(attn_mask, Tensor) else ensure_tensor(attn_mask)
        try:
            ok = np.broadcast_shapes(mask.shape, scores) == scores
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{op}: attn_mask of shape {mask.shape} does not broadcast to the attention "
                f"weights' shape {scores}"
            )
        if mask.dtype == bool:
            blocked = ~mask.data
        elif mask.dtype.kind == "f":
            if mask.dtype != q.dtype:
                raise TypeError(f"{op}: attn_mask has dtype {mask.dtype} but query has {q.dtype}")
            extra = (mask,)
        else:
            raise TypeError(f"{op}: attn_mask must be boolean or floating, got {mask.dtype}")
    return ScaledDotProductAttention.apply(
        q, k, v, *extra, blocked=blocked, scale=scale, dropout_p=float(dropout_p), scores=scores
    )
