"""Negative log-likelihood with class weights and an ignored label (PyTorch's ``nll_loss``).

The op picks ``-weight[t] · logp[t]`` along the class axis (axis 1, PyTorch's layout: logp (N, C) or
(N, C, d1, …), targets (N,) or (N, d1, …)); elements whose target equals ``ignore_index`` give 0
and no gradient. It returns the unreduced values and the per-element weights, whose sum is the
denominator of PyTorch's ``reduction='mean'``.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from ._convert import ensure_tensor


class NLL(Function):
    """``out[n, …] = −w[n, …] · logp[n, t[n, …], …]`` with ``w`` precomputed (0 where ignored)."""

    fresh_grads = True

    def forward(self, logp, safe, w):
        m = xp(logp)
        self.safe, self.w, self.shape = safe, w, logp.shape
        if logp.ndim == 2:
            picked = logp[m.arange(logp.shape[0]), safe]
        else:
            picked = m.take_along_axis(logp, safe[:, None], axis=1)[:, 0]
        return -w * picked

    def backward(self, g):
        m = xp(g)
        grad = m.zeros(self.shape, dtype=g.dtype)
        vals = -(self.w * g)
        if grad.ndim == 2:
            grad[m.arange(grad.shape[0]), self.safe] = vals
        else:
            m.put_along_axis(grad, self.safe[:, None], vals[:, None], axis=1)
        return grad


def _targets(target, logp: Tensor, ignore_index: int, op: str) -> tuple[np.ndarray, np.ndarray]:
    """(targets with ignored entries replaced by 0, mask of kept entries); checks shape and range."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: class-index targets must be an integer tensor (int64), got dtype {t.dtype}; "
            "use target.long()"
        )
    expected = (logp.shape[0],) + tuple(logp.shape[2:])
    if t.shape != expected:
        raise ValueError(
            f"{op}: input of shape {tuple(logp.shape)} needs targets of shape {expected}, "
            f"got {tuple(t.shape)}"
        )
    c = logp.shape[1]
    keep = t != ignore_index
    bad = keep & ((t < 0) | (t >= c))
    if bad.any():
        raise ValueError(
            f"{op}: target {int(t[bad].flat[0])} is out of bounds for {c} classes "
            f"(targets must lie in [0, {c - 1}] or equal ignore_index={ignore_index})"
        )
    safe = np.where(keep, t, 0).astype(np.int64, copy=False)
    return safe, keep


def nll(logp, target, weight=None, ignore_index: int = -100, op: str = "nll_loss"):
    """Unreduced NLL and per-element weights.

    logp: (N, C) or (N, C, d1, …) log-probabilities; target: (N,) or (N, d1, …) integer classes;
    weight: (C,) class weights or None. Returns ``(loss, w)``: ``loss`` a Tensor of the target's
    shape, ``w`` an array of that shape (the class weight of each element, 0 where ignored).
    """
    logp = ensure_tensor(logp)
    if logp.ndim < 2:
        raise ValueError(f"{op}: input needs shape (N, C) or (N, C, d1, ...), got {logp.shape}")
    safe, keep = _targets(target, logp, ignore_index, op)
    dtype = logp.data.dtype
    if weight is None:
        w = keep.astype(dtype)
    else:
        wd = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        if wd.shape != (logp.shape[1],):
            raise ValueError(
                f"{op}: weight must have shape ({logp.shape[1]},) (one per class), got {wd.shape}"
            )
        w = wd.astype(dtype, copy=False)[safe] * keep
    return NLL.apply(logp, Tensor._wrap(safe), Tensor._wrap(w)), w
