"""Elementwise arithmetic and math: each op's forward and its derivative.

Binary ops broadcast like NumPy; their backward sums each gradient back to its input's shape with
:func:`~chainrule.function.unbroadcast`.
"""

from __future__ import annotations

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..function import Function, unbroadcast
from ..tensor import Tensor
from ._convert import cast, ensure_tensor, floating, not_bool, operands, result_dtype_of


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


class ClampTensor(Function):
    """``clamp(a, lo, hi)`` with tensor bounds (either may be absent), broadcast together.

    Gradients follow PyTorch's ``clamp_backward_min_max``: ``a`` gets it where lo <= a <= hi, ``lo``
    where a < lo (and lo < hi), ``hi`` where a > hi or hi < lo (with crossed bounds the result is hi).
    """

    def forward(self, a, *bounds, has_lo, has_hi):
        m = xp(a)
        lo = bounds[0] if has_lo else None
        hi = bounds[-1] if has_hi else None
        self.a, self.lo, self.hi = a, lo, hi
        out = a if lo is None else m.maximum(a, lo)
        out = out if hi is None else m.minimum(out, hi)
        if out is a:  # pragma: no cover - at least one bound is always given
            out = a.copy()
        return out

    def backward(self, g):
        a, lo, hi = self.a, self.lo, self.hi
        m = xp(g)
        zero = g.dtype.type(0)
        grads = []
        if self.needs_input_grad[0]:
            keep = (a >= lo) if lo is not None else True
            if hi is not None:
                keep = keep & (a <= hi)
            grads.append(unbroadcast(m.where(keep, g, zero), a.shape))
        else:
            grads.append(None)
        i = 1
        if lo is not None:
            if self.needs_input_grad[i]:
                below = a < lo
                if hi is not None:
                    below = below & (lo < hi)
                grads.append(unbroadcast(m.where(below, g, zero), lo.shape))
            else:
                grads.append(None)
            i += 1
        if hi is not None:
            if self.needs_input_grad[i]:
                above = a > hi
                if lo is not None:
                    above = above | (hi < lo)
                grads.append(unbroadcast(m.where(above, g, zero), hi.shape))
            else:
                grads.append(None)
        return tuple(grads)


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
    """True division: integer or bool operands give the default float (float32), as in PyTorch."""
    a, b = operands(a, b)
    if a.data.dtype.kind in "biu":
        a, b = cast(a, DEFAULT_FLOAT), cast(b, DEFAULT_FLOAT)
    return Div.apply(a, b)


def neg(a) -> Tensor:
    return Neg.apply(not_bool(a, "neg"))


def pow(a, b) -> Tensor:
    """``a ** b``; a Python-number exponent takes the cheaper constant-exponent path."""
    if isinstance(b, (int, float)) and not isinstance(b, bool) and isinstance(a, Tensor):
        p = b.item() if isinstance(b, np.generic) else b  # a Python number: never upcasts
        if isinstance(p, float) and a.data.dtype.kind in "biu":
            a = floating(a, "pow")  # int ** 0.5 computes in float32, as in PyTorch
        return PowScalar.apply(a, p=p)
    return Pow.apply(*operands(a, b))


def exp(a) -> Tensor:
    return Exp.apply(floating(a, "exp"))


def log(a) -> Tensor:
    return Log.apply(floating(a, "log"))


def sqrt(a) -> Tensor:
    return Sqrt.apply(floating(a, "sqrt"))


def abs(a) -> Tensor:
    return Abs.apply(not_bool(a, "abs"))


def sin(a) -> Tensor:
    return Sin.apply(floating(a, "sin"))


def cos(a) -> Tensor:
    return Cos.apply(floating(a, "cos"))


def maximum(a, b) -> Tensor:
    return Maximum.apply(*operands(a, b))


def minimum(a, b) -> Tensor:
    return Minimum.apply(*operands(a, b))


def _is_array_bound(b) -> bool:
    return isinstance(b, (Tensor, np.ndarray, list, tuple)) or hasattr(
        b, "__cuda_array_interface__"
    )


def clip(a, min=None, max=None) -> Tensor:
    """Limit values to [min, max]; either bound may be None.

    Bounds may be numbers or tensors (broadcast against ``a``); a tensor bound that requires grad
    gets its gradient where it is the active bound, as with PyTorch's ``clamp``. Number bounds must
    satisfy min <= max; with tensor bounds crossed entries give max (PyTorch's rule).
    """
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given")
    if _is_array_bound(min) or _is_array_bound(max):
        a = ensure_tensor(a)
        lo = None if min is None else ensure_tensor(min, a)
        hi = None if max is None else ensure_tensor(max, a)
        dtype = result_dtype_of(*[t for t in (a, lo, hi) if t is not None])
        if np.dtype(dtype).kind == "b":
            dtype = np.dtype(np.int64)
        a, lo, hi = (None if t is None else cast(t, dtype) for t in (a, lo, hi))
        bounds = [t for t in (lo, hi) if t is not None]
        return ClampTensor.apply(a, *bounds, has_lo=lo is not None, has_hi=hi is not None)
    for name, b in (("min", min), ("max", max)):
        if b is not None and not isinstance(b, (int, float, np.number, np.bool_)):
            raise TypeError(f"clip: {name} must be a number or a tensor, got {type(b).__name__}")
    if min is not None and max is not None and min > max:
        raise ValueError(f"clip: min ({min}) is greater than max ({max})")
    a = ensure_tensor(a)
    kind = a.data.dtype.kind
    if kind in "biu":
        if isinstance(min, (float, np.floating)) or isinstance(max, (float, np.floating)):
            a = floating(a, "clip")  # an integer tensor with float bounds: float32, as in PyTorch
        elif kind == "b":
            a = cast(a, np.int64)
    return Clip.apply(a, lo=min, hi=max)


def where(cond, a, b) -> Tensor:
    """Elements of ``a`` where ``cond`` is true, else of ``b`` (broadcast together)."""
    if isinstance(cond, Tensor) and cond.requires_grad:
        raise TypeError("where: cond is a condition and gets no gradient; pass a boolean tensor")
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
