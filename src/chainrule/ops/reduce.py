"""Reductions: sum, mean, max, min, var, std, logsumexp over an axis (or all axes)."""

from __future__ import annotations

import operator

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from ._convert import ensure_tensor, float_only, floating


def _norm_axis(axis, ndim: int):
    """``axis`` as a sorted tuple of non-negative ints (None → every axis).

    A 0-d tensor accepts axis 0 or -1 (as PyTorch does). This module defines ``max``/``min``/``sum``,
    so no builtin of those names is used here.
    """
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (tuple, list)):
        axis = (axis,)
    n = ndim if ndim else 1
    out = set()
    for a in axis:
        a = operator.index(a)
        if not -n <= a < n:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.add(a % n)
    return tuple(sorted(out)) if ndim else ()


def _expand(g, in_shape, axes, keepdims):
    """Reshape a reduced gradient so it broadcasts against the input."""
    if keepdims or not axes:
        return g
    shape = list(in_shape)
    for a in axes:
        shape[a] = 1
    return g.reshape(shape)


def _count(shape, axes) -> int:
    n = 1
    for a in axes:
        n *= shape[a]
    return n


class Sum(Function):
    def forward(self, a, axis, keepdims):
        self.shape, self.axes, self.keepdims = a.shape, _norm_axis(axis, a.ndim), keepdims
        if a.dtype.kind in "bu":  # PyTorch sums bool and unsigned integers into int64
            return a.sum(axis=self.axes, keepdims=keepdims, dtype=np.int64)
        return a.sum(axis=self.axes, keepdims=keepdims)

    def backward(self, g):
        g = _expand(g, self.shape, self.axes, self.keepdims)
        return xp(g).broadcast_to(g, self.shape)


class Mean(Function):
    def forward(self, a, axis, keepdims):
        self.shape, self.axes, self.keepdims = a.shape, _norm_axis(axis, a.ndim), keepdims
        return a.mean(axis=self.axes, keepdims=keepdims)

    def backward(self, g):
        g = _expand(g, self.shape, self.axes, self.keepdims) / _count(self.shape, self.axes)
        return xp(g).broadcast_to(g, self.shape)


class Max(Function):
    """Max over axes; tied maxima share the gradient evenly (as PyTorch's amax and full max)."""

    sign = 1

    def forward(self, a, axis, keepdims):
        self.a, self.axes, self.keepdims = a, _norm_axis(axis, a.ndim), keepdims
        out = (
            a.max(axis=self.axes, keepdims=True)
            if self.sign > 0
            else a.min(axis=self.axes, keepdims=True)
        )
        self.out = out
        return (
            out
            if keepdims
            else out.reshape([n for i, n in enumerate(a.shape) if i not in self.axes])
        )

    def backward(self, g):
        a = self.a
        g = _expand(g, a.shape, self.axes, self.keepdims)
        mask = (a == self.out).astype(g.dtype)
        mask /= mask.sum(axis=self.axes, keepdims=True)
        return g * mask


class Min(Max):
    sign = -1


def _centered(a, axes):
    """``a − mean(a)`` over ``axes``, in float64 for narrower floats (as PyTorch accumulates on the
    CPU: float32 ``std([1e30, 0, -1e30])`` is then finite), and exactly 0 on constant finite rows
    (a rounded mean would leave a tiny spread there, and a gradient of noise or NaN)."""
    m = xp(a)
    if a.dtype.kind == "f" and a.dtype.itemsize < 8:
        a = a.astype(m.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        centered = a - a.mean(axis=axes, keepdims=True)
        hi = a.max(axis=axes, keepdims=True) if a.size else None
        if hi is not None:
            const = (hi == a.min(axis=axes, keepdims=True)) & m.isfinite(hi)
            if const.any():
                centered = m.where(const, 0.0, centered)
    return centered


class Var(Function):
    """Variance over ``axes``; computed in float64 for float32 inputs and returned in their dtype."""

    def forward(self, a, axis, ddof, keepdims):
        axes = _norm_axis(axis, a.ndim)
        n = _count(a.shape, axes)
        if isinstance(ddof, bool) or not isinstance(ddof, (int, np.integer)) or ddof < 0:
            raise ValueError(f"var: ddof must be an int >= 0, got {ddof!r}")
        self.centered = _centered(a, axes)
        # no degrees of freedom left (n <= ddof, an empty axis): NaN or inf, as in PyTorch
        self.dtype, self.axes, self.keepdims = a.dtype, axes, keepdims
        self.denom = n - ddof if n > ddof else 0  # (this module shadows the builtin max)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.var = (self.centered**2).sum(axis=axes, keepdims=keepdims) / self.denom
        with np.errstate(over="ignore"):
            return self.var.astype(a.dtype, copy=False)

    def backward(self, g):
        g = _expand(g, self.centered.shape, self.axes, self.keepdims)
        scale = 2 / self.denom if self.denom else np.nan
        return (g * scale * self.centered).astype(self.dtype, copy=False)


class Std(Var):
    """√var; its gradient is 0 where the result is 0 (a constant row), as in PyTorch."""

    def forward(self, a, axis, ddof, keepdims):
        super().forward(a, axis, ddof, keepdims)
        self.out = out = xp(self.var).sqrt(self.var)
        with np.errstate(over="ignore"):
            return out.astype(a.dtype, copy=False)

    def backward(self, g):
        m = xp(g)
        out = self.out
        with np.errstate(divide="ignore", invalid="ignore"):
            gs = m.where(out == 0, 0.0, g / out)
        g = _expand(gs, self.centered.shape, self.axes, self.keepdims)
        scale = 1 / self.denom if self.denom else np.nan
        return (g * self.centered * scale).astype(self.dtype, copy=False)


class LogSumExp(Function):
    """log(sum(exp(a))) computed around the maximum, so ±1e4 inputs stay finite."""

    def forward(self, a, axis, keepdims):
        m = xp(a)
        axes = _norm_axis(axis, a.ndim)
        mx = _amax(a, axes)
        mx = m.where(m.isfinite(mx), mx, 0)
        out = m.log(m.exp(a - mx).sum(axis=axes, keepdims=True)) + mx
        self.a, self.out_k, self.axes, self.keepdims = a, out, axes, keepdims
        return out if keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, g):
        g = _expand(g, self.a.shape, self.axes, self.keepdims)
        return g * xp(g).exp(self.a - self.out_k)


def _amax(a, axes):
    """``a.max(axes, keepdims=True)``; −inf over an empty axis (so logsumexp of nothing is −inf)."""
    if a.size == 0:
        return xp(a).full([1 if i in axes else n for i, n in enumerate(a.shape)], -np.inf, a.dtype)
    return a.max(axis=axes, keepdims=True)


def sum(a, axis=None, keepdims: bool = False) -> Tensor:
    return Sum.apply(ensure_tensor(a), axis=axis, keepdims=keepdims)


def mean(a, axis=None, keepdims: bool = False) -> Tensor:
    return Mean.apply(float_only(a, "mean"), axis=axis, keepdims=keepdims)


def max(a, axis=None, keepdims: bool = False) -> Tensor:
    return Max.apply(ensure_tensor(a), axis=axis, keepdims=keepdims)


def min(a, axis=None, keepdims: bool = False) -> Tensor:
    return Min.apply(ensure_tensor(a), axis=axis, keepdims=keepdims)


def var(a, axis=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance; ``ddof=0`` (NumPy's default) divides by N, ``ddof=1`` by N-1 (PyTorch's default)."""
    return Var.apply(float_only(a, "var"), axis=axis, ddof=ddof, keepdims=keepdims)


def std(a, axis=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation, with the same ``ddof`` convention as :func:`var`."""
    return Std.apply(float_only(a, "std"), axis=axis, ddof=ddof, keepdims=keepdims)


def logsumexp(a, axis=None, keepdims: bool = False) -> Tensor:
    return LogSumExp.apply(floating(a, "logsumexp"), axis=axis, keepdims=keepdims)
