"""Elementwise arithmetic and math: each op's forward and its derivative.

Binary ops broadcast like NumPy; their backward sums each gradient back to its input's shape with
:func:`~chainrule.function.unbroadcast`.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function, unbroadcast
from ..tensor import Tensor
from ._convert import ensure_tensor, operands


class Add(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), unbroadcast(g, sb)


class Sub(Function):
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g):
        sa, sb = self.shapes
        return unbroadcast(g, sa), unbroadcast(-g, sb)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        a, b = self.a, self.b
        ga = unbroadcast(g * b, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * a, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        a, b = self.a, self.b
        gb_ = g / b
        ga = unbroadcast(gb_, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(-gb_ * a / b, b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, g):
        return -g


class PowScalar(Function):
    """``a ** p`` for a constant exponent p."""

    def forward(self, a, p):
        self.a, self.p = a, p
        return a**p

    def backward(self, g):
        a, p = self.a, self.p
        if p == 0:
            return xp(a).zeros_like(a)
        if p == 1:
            return g
        if p == 2:
            return g * (2 * a)
        return g * (p * a ** (p - 1))


class Pow(Function):
    """``a ** b`` with a tensor exponent."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = out = a**b
        return out

    def backward(self, g):
        a, b = self.a, self.b
        ga = gb = None
        if self.needs_input_grad[0]:
            with np.errstate(divide="ignore", invalid="ignore"):
                da = b * a ** (b - 1)
            # d(a**b)/da = b · a**(b-1), taken as 0 where b == 0 (also at a == 0, as PyTorch does)
            ga = unbroadcast(g * xp(a).where(b == 0, 0, da).astype(g.dtype, copy=False), a.shape)
        if self.needs_input_grad[1]:
            m = xp(a)
            with np.errstate(divide="ignore", invalid="ignore"):
                dlog = self.out * m.log(a)
            # d(a**b)/db = a**b · log a, taken as 0 where a == 0 and b >= 0 (as PyTorch does)
            dlog = m.where((a == 0) & (b >= 0), 0, dlog)
            gb = unbroadcast(g * dlog, b.shape)
        return ga, gb


class Exp(Function):
    def forward(self, a):
        self.out = out = xp(a).exp(a)
        return out

    def backward(self, g):
        return g * self.out


class Log(Function):
    def forward(self, a):
        self.a = a
        return xp(a).log(a)

    def backward(self, g):
        return g / self.a


class Sqrt(Function):
    def forward(self, a):
        self.out = out = xp(a).sqrt(a)
        return out

    def backward(self, g):
        return g / (2 * self.out)


class Abs(Function):
    def forward(self, a):
        self.a = a
        return xp(a).abs(a)

    def backward(self, g):
        return g * xp(self.a).sign(self.a)


class Sin(Function):
    def forward(self, a):
        self.a = a
        return xp(a).sin(a)

    def backward(self, g):
        return g * xp(self.a).cos(self.a)


class Cos(Function):
    def forward(self, a):
        self.a = a
        return xp(a).cos(a)

    def backward(self, g):
        return -g * xp(self.a).sin(self.a)


class Maximum(Function):
    """Elementwise max; at ties the gradient is split evenly between both inputs (as PyTorch)."""

    sign = 1

    def forward(self, a, b):
        self.a, self.b = a, b
        m = xp(a)
        return m.maximum(a, b) if self.sign > 0 else m.minimum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        m = xp(a)
        wins = (a > b) if self.sign > 0 else (a < b)
        share = m.where(wins, 1.0, m.where(a == b, 0.5, 0.0)).astype(g.dtype)
        ga = unbroadcast(g * share, a.shape) if self.needs_input_grad[0] else None
        gb = unbroadcast(g * (1 - share), b.shape) if self.needs_input_grad[1] else None
        return ga, gb


class Minimum(Maximum):
    sign = -1


class Clip(Function):
    """``clip(a, lo, hi)``; the gradient passes where lo <= a <= hi (as PyTorch's clamp)."""

    def forward(self, a, lo, hi):
        m = xp(a)
        if a.dtype.kind == "f":  # a NumPy float64 bound must not upcast a float32 tensor
            lo = None if lo is None else a.dtype.type(lo)
            hi = None if hi is None else a.dtype.type(hi)
        mask = m.ones(a.shape, dtype=bool)
        if lo is not None:
            mask &= a >= lo
        if hi is not None:
            mask &= a <= hi
        self.mask = mask
        return m.clip(a, lo, hi)

    def backward(self, g):
        return g * self.mask


class Where(Function):
    """``where(cond, a, b)``; ``cond`` is a constant boolean array."""

    def forward(self, a, b, cond):
        self.cond = cond
        self.shapes = a.shape, b.shape
        return xp(a).where(cond, a, b)

    def backward(self, g):
        cond = self.cond
        m = xp(g)
        zero = g.dtype.type(0)
        ga = (
            unbroadcast(m.where(cond, g, zero), self.shapes[0])
            if self.needs_input_grad[0]
            else None
        )
        gb = (
            unbroadcast(m.where(cond, zero, g), self.shapes[1])
            if self.needs_input_grad[1]
            else None
        )
        return ga, gb


class AsType(Function):
    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g):
        return g.astype(self.dtype)


# ------------------------------------------------------------------ functional entry points
def add(a, b) -> Tensor:
    return Add.apply(*operands(a, b))


def sub(a, b) -> Tensor:
    return Sub.apply(*operands(a, b))


def mul(a, b) -> Tensor:
    return Mul.apply(*operands(a, b))


def div(a, b) -> Tensor:
    return Div.apply(*operands(a, b))


def neg(a) -> Tensor:
    return Neg.apply(ensure_tensor(a))


def pow(a, b) -> Tensor:
    """``a ** b``; a Python-number exponent takes the cheaper constant-exponent path."""
    if isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, Tensor):
        return PowScalar.apply(a, p=b.item() if isinstance(b, np.generic) else b)  # never upcast
    return Pow.apply(*operands(a, b))


def exp(a) -> Tensor:
    return Exp.apply(ensure_tensor(a))


def log(a) -> Tensor:
    return Log.apply(ensure_tensor(a))


def sqrt(a) -> Tensor:
    return Sqrt.apply(ensure_tensor(a))


def abs(a) -> Tensor:
    return Abs.apply(ensure_tensor(a))


def sin(a) -> Tensor:
    return Sin.apply(ensure_tensor(a))


def cos(a) -> Tensor:
    return Cos.apply(ensure_tensor(a))


def maximum(a, b) -> Tensor:
    return Maximum.apply(*operands(a, b))


def minimum(a, b) -> Tensor:
    return Minimum.apply(*operands(a, b))


def clip(a, min=None, max=None) -> Tensor:
    """Limit values to [min, max]; either bound may be None."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min ({min}) is greater than max ({max})")
    return Clip.apply(ensure_tensor(a), lo=min, hi=max)


def where(cond, a, b) -> Tensor:
    """Elements of ``a`` where ``cond`` is true, else of ``b`` (broadcast together)."""
    cond = cond.data if isinstance(cond, Tensor) else np.asarray(cond)
    if cond.dtype != bool:
        cond = cond.astype(bool)
    a, b = operands(a, b)
    return Where.apply(a, b, cond=cond)


def astype(a, dtype) -> Tensor:
    a = ensure_tensor(a)
    dtype = np.dtype(dtype)
    if a.data.dtype == dtype:
        return a
    if dtype.kind not in "fc":  # integer/bool results carry no gradient
        return Tensor._wrap(a.data.astype(dtype))
    return AsType.apply(a, dtype=dtype)
