"""Fused batch and layer normalisation: one graph node each, with the closed-form backward.

Both compute ``y = (x − μ) / √(σ² + ε) · γ + β``. They differ in the axes the statistics run over:
batch norm reduces over every axis but the feature axis (and, in training, updates running
statistics); layer norm reduces over the trailing ``normalized_shape`` axes of each sample.

Momentum convention (Keras's): ``running = momentum · running + (1 − momentum) · batch``, so Keras's
``momentum=0.99`` equals PyTorch's ``momentum=0.01``. The batch is normalised with the biased
variance σ²; the running variance is updated with the unbiased n / (n − 1) · σ² by default (PyTorch's
rule, ``unbiased_running_var=True``) or with σ² itself (Keras 3's rule: its BatchNormalization
averages ``ops.moments``'s biased variance).
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from ._convert import float_only, scalar_param


class Normalize(Function):
    """``(x − mean) · inv_std · γ + β`` with precomputed statistics.

    ``stat_axes``: the axes the statistics were reduced over; ``batch_stats``: whether they came
    from ``x`` itself (then the gradient flows through them) or are constants (running statistics).
    ``param_shape``: γ/β reshaped to broadcast against x; ``param_axes``: axes γ/β are broadcast over.
    ``eps``: the variance floor inside ``inv_std``, kept so an exporter can recompute the statistics.
    """

    def forward(self, x, *params, mean, inv_std, stat_axes, batch_stats, param_shape, param_axes,
                has_gamma, has_beta, eps, xhat=None, rows=None):  # fmt: skip
        # ``xhat``: x̂ computed already (layer norm's statistics pass makes it); ``rows``: (R, C)
        # when the statistics run over x's trailing axes (layer norm): backward then works on
        # x viewed as R rows of C and reduces with matrix-vector products (see _rows_backward)
        self.rows = rows
        if xhat is None:
            xhat = (x - mean) * inv_std
        self.xhat, self.inv_std, self.stat_axes = xhat, inv_std, stat_axes
        self.batch_stats, self.eps, self.mean, self.param_shape = (
            batch_stats,
            eps,
            mean,
            param_shape,
        )
        self.param_axes, self.has_gamma, self.has_beta = param_axes, has_gamma, has_beta
        gamma = params[0].reshape(param_shape) if has_gamma else None
        self.gamma = gamma
        out = xhat * gamma if has_gamma else xhat.copy()
        if has_beta:
            out += params[-1].reshape(param_shape)
        return out

    def backward(self, g):
        if self.rows is not None and self.batch_stats:
            return self._rows_backward(g)
        xhat, gamma = self.xhat, self.gamma
        need = self.needs_input_grad
        grads = []
        if need[0]:
            dxhat = g * gamma if gamma is not None else g
            if self.batch_stats:
                axes = self.stat_axes
                dx = dxhat - dxhat.mean(axis=axes, keepdims=True)
                dx -= xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)
                dx *= self.inv_std
            else:
                dx = dxhat * self.inv_std
            grads.append(dx)
        else:
            grads.append(None)
        i = 1
        if self.has_gamma:
            grads.append((g * xhat).sum(axis=self.param_axes) if need[i] else None)
            i += 1
        if self.has_beta:
            grads.append(g.sum(axis=self.param_axes) if need[i] else None)
        return tuple(grads)

    def _rows_backward(self, g):
        """Layer norm's backward on (R, C) rows: dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ with
        dx̂ = g·γ, the row means as matrix-vector products / einsum (one pass each, no
        temporaries), dγ = Σ_rows g·x̂, dβ = Σ_rows g."""
        m = xp(g)
        R, C = self.rows
        need = self.needs_input_grad
        g2 = g.reshape(R, C)
        xhat = self.xhat.reshape(R, C)
        grads = [None]
        if need[0]:
            dxhat = g2 * self.gamma.reshape(C) if self.gamma is not None else g2
            avg = dxhat @ m.ones(C, dtype=g.dtype)
            avg /= C
            dx = m.subtract(dxhat, avg[:, None])
            proj = m.einsum("ij,ij->i", dxhat, xhat)
            proj /= C
            dx -= xhat * proj[:, None]
            dx *= self.inv_std.reshape(R, 1)
            grads[0] = dx.reshape(g.shape)
        i = 1
        if self.has_gamma:
            grads.append(m.einsum("ij,ij->j", g2, xhat) if need[i] else None)
            i += 1
        if self.has_beta:
            grads.append(m.ones(R, dtype=g.dtype) @ g2 if need[i] else None)
        shape = self.param_shape
        return tuple(
            gr if k == 0 or gr is None else gr.reshape(shape) for k, gr in enumerate(grads)
        )

    def backward_graph(self, g):
        """The backward above on Tensors, with x̂ and 1/σ rebuilt from x so that their own
        dependence on x is differentiated too (batch statistics)."""
        x = self.parents[0]
        axes = self.stat_axes
        if self.batch_stats:
            xc = x - x.mean(axis=axes, keepdims=True)
            inv_std = ((xc * xc).mean(axis=axes, keepdims=True) + self.eps) ** -0.5
        else:  # running statistics: constants
            xc, inv_std = x - self.mean, self.inv_std
        xhat = xc * inv_std
        gamma = self.parents[1].reshape(self.param_shape) if self.has_gamma else None
        need = self.needs_input_grad
        grads = [None]
        if need[0]:
            dxhat = g * gamma if gamma is not None else g
            if self.batch_stats:
                dx = dxhat - dxhat.mean(axis=axes, keepdims=True)
                dx = (dx - xhat * (dxhat * xhat).mean(axis=axes, keepdims=True)) * inv_std
            else:
                dx = dxhat * inv_std
            grads[0] = dx
        i = 1
        if self.has_gamma:
            grads.append((g * xhat).sum(axis=self.param_axes) if need[i] else None)
            i += 1
        if self.has_beta:
            grads.append(g.sum(axis=self.param_axes) if need[i] else None)
        return tuple(grads)


def _normalize(x, gamma, beta, mean, inv_std, stat_axes, batch_stats, param_shape, param_axes,
               eps, **rows):  # fmt: skip
    params = [p for p in (gamma, beta) if p is not None]
    return Normalize.apply(
        x, *params, mean=mean, inv_std=inv_std, stat_axes=stat_axes, batch_stats=batch_stats,
        param_shape=param_shape, param_axes=param_axes, has_gamma=gamma is not None,
        has_beta=beta is not None, eps=eps, **rows,
    )  # fmt: skip


def batch_norm(x, gamma: Tensor | None, beta: Tensor | None, running_mean=None, running_var=None,
               training: bool = True, momentum: float = 0.99, eps: float = 1e-3,
               axis: int = -1, unbiased_running_var: bool = True) -> Tensor:  # fmt: skip
    """Batch normalisation over every axis of ``x`` except ``axis`` (the feature axis).

    x: (N, ..., C) for ``axis=-1`` (or (N, C, ...) with ``axis=1``); gamma, beta, running_mean,
    running_var: (C,) or None. In training the batch statistics are used and the running arrays
    (NumPy arrays) are updated in place (``running = momentum · running + (1 − momentum) · batch``;
    the batch variance with Bessel's correction when ``unbiased_running_var``, as PyTorch, without
    it as Keras); in evaluation the running statistics are used.
    """
    x = float_only(x, "batch_norm")
    eps = scalar_param(eps, "batch_norm", "eps")
    momentum = scalar_param(momentum, "batch_norm", "momentum")
    for label, stat in (("running_mean", running_mean), ("running_var", running_var)):
        if isinstance(stat, Tensor):
            if stat.requires_grad:
                raise TypeError(f"batch_norm: {label} is a statistic and gets no gradient")
            stat = stat.data
        if label == "running_mean":
            running_mean = stat
        else:
            running_var = stat
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input needs a batch and a feature axis, got shape {x.shape}")
    axis = axis % x.ndim
    c = x.shape[axis]
    for label, p in (("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                     ("running_var", running_var)):  # fmt: skip
        if p is not None and tuple(p.shape) != (c,):
            raise ValueError(f"batch_norm: {label} has shape {tuple(p.shape)}, expected ({c},)")
    stat_axes = tuple(i for i in range(x.ndim) if i != axis)
    param_shape = tuple(c if i == axis else 1 for i in range(x.ndim))
    data = x.data
    m = xp(data)
    t = data.dtype.type
    if training:
        n = data.size // c
        if n < 2:
            raise ValueError(
                f"batch_norm: training needs more than one value per feature, got input {x.shape}"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            mean = data.mean(axis=stat_axes, keepdims=True)
            var = ((data - mean) ** 2).mean(axis=stat_axes, keepdims=True)
        if t(0).itemsize < 8 and not m.isfinite(var + mean * mean).all():
            mean, var = _wide_moments(data, stat_axes)
        if running_mean is not None:
            running_mean *= momentum
            running_mean += (1 - momentum) * mean.reshape(c).astype(running_mean.dtype, copy=False)
        if running_var is not None:
            batch_var = var.reshape(c) * t(n / (n - 1)) if unbiased_running_var else var.reshape(c)
            running_var *= momentum
            running_var += (1 - momentum) * batch_var.astype(running_var.dtype, copy=False)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
        mean = m.asarray(running_mean, dtype=data.dtype).reshape(param_shape)
        var = m.asarray(running_var, dtype=data.dtype).reshape(param_shape)
    with np.errstate(over="ignore", invalid="ignore"):
        inv_std = (1 / m.sqrt(var.astype(m.float64) + eps)).astype(data.dtype)
    return _normalize(
        x, gamma, beta, mean, inv_std, stat_axes, training, param_shape, stat_axes, eps
    )


def _wide_moments(data, axes):
    """Mean (in ``data``'s dtype) and biased variance (kept in float64, where a float32 one would
    overflow): PyTorch accumulates float32 batch statistics in double, so a feature holding ±1e30
    still normalises to finite values."""
    m = xp(data)
    wide = data.astype(m.float64)
    mean = wide.mean(axis=axes, keepdims=True)
    var = ((wide - mean) ** 2).mean(axis=axes, keepdims=True)
    return mean.astype(data.dtype), var


def layer_norm(x, normalized_shape, gamma: Tensor | None = None, beta: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalise each sample over its trailing ``normalized_shape`` axes.

    x: (..., *normalized_shape); gamma, beta: ``normalized_shape`` or None.
    """
    x = float_only(x, "layer_norm")
    eps = scalar_param(eps, "layer_norm", "eps")
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or tuple(x.shape[x.ndim - k :]) != shape or x.ndim < k:
        raise ValueError(f"layer_norm: input {x.shape} does not end with normalized_shape {shape}")
    for label, p in (("gamma", gamma), ("beta", beta)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(f"layer_norm: {label} has shape {tuple(p.shape)}, expected {shape}")
    data = x.data
    m = xp(data)
    stat_axes = tuple(range(x.ndim - k, x.ndim))
    C, R = int(np.prod(shape)), int(np.prod(data.shape[: x.ndim - k]))
    # statistics of R rows of C: the mean as a matrix-vector product, the variance with einsum
    # (one pass each); the centred rows become x̂ in place and are handed to the node
    rows = data.reshape(R, C)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = rows @ m.ones(C, dtype=data.dtype)  # sums, then / C as NumPy's mean does (a
        mean /= C  # constant row then centres to exact zeros)
        xhat = rows - mean[:, None]
        var = m.einsum("ij,ij->i", xhat, xhat)
        var /= C
        inv_std = 1 / m.sqrt(var + data.dtype.type(eps))
        # a row whose second moment E[x²] = var + mean² overflows the dtype has no representable
        # statistics: it comes out NaN (forward and backward), as PyTorch's does, never silently 0
        moment = var + mean * mean
        if not m.isfinite(moment).all():
            inv_std = m.where(m.isfinite(moment), inv_std, data.dtype.type("nan"))
        xhat *= inv_std[:, None]
    keep = data.shape[: x.ndim - k] + (1,) * k
    mean, inv_std = mean.reshape(keep), inv_std.reshape(keep)
    param_axes = tuple(range(x.ndim - k))
    return _normalize(x, gamma, beta, mean, inv_std, stat_axes, True, shape, param_axes, eps,
                      xhat=xhat.reshape(data.shape), rows=(R, C))  # fmt: skip
