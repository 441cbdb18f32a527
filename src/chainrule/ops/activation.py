"""Activation functions, written for numerical stability at extreme inputs.

sigmoid, softmax, log_softmax and softplus work from exp(-|x|) or a shifted maximum, so inputs of
±1e4 give finite values and finite, correct gradients.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from ._convert import float_only, floating, not_bool, scalar_param

_erf_impl = None


def _erf(x):
    """erf, elementwise. SciPy's vectorised one when installed, else the exact scalar one from the
    standard library. Imported on first use: SciPy costs ~0.2 s and ~24 MB at ``import chainrule``."""
    global _erf_impl
    if _erf_impl is None:
        try:
            from scipy.special import erf as _erf_impl
        except ImportError:  # pragma: no cover - depends on what is installed
            scalar = np.frompyfunc(math.erf, 1, 1)

            def _erf_impl(v):
                return scalar(v).astype(v.dtype)

    return _erf_impl(x)


def _sigmoid(x):
    m = xp(x)
    e = m.exp(-m.abs(x))
    return m.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


class ReLU(Function):
    def forward(self, a):
        self.mask = a > 0
        return xp(a).maximum(a, 0)

    def backward(self, g):
        return g * self.mask


class LeakyReLU(Function):
    def forward(self, a, slope):
        self.mask, self.slope = a > 0, slope
        return xp(a).where(self.mask, a, a * a.dtype.type(slope))

    def backward(self, g):
        return xp(g).where(self.mask, g, g * g.dtype.type(self.slope))


class ELU(Function):
    def forward(self, a, alpha):
        m = xp(a)
        self.a, self.alpha = a, alpha
        with np.errstate(over="ignore"):
            self.neg = a.dtype.type(alpha) * m.expm1(m.minimum(a, 0))
        return m.where(a > 0, a, self.neg)

    def backward(self, g):
        return xp(g).where(self.a > 0, g, g * (self.neg + g.dtype.type(self.alpha)))


class GELU(Function):
    """GELU, exact (x·Φ(x), with erf) or with the tanh approximation."""

    def forward(self, a, approximate):
        m = xp(a)
        self.a, self.approximate = a, approximate
        if approximate == "tanh":
            k = a.dtype.type(math.sqrt(2 / math.pi))
            self.t = m.tanh(k * (a + a.dtype.type(0.044715) * a**3))
            return a.dtype.type(0.5) * a * (1 + self.t)
        self.cdf = a.dtype.type(0.5) * (1 + _erf(a * a.dtype.type(1 / math.sqrt(2))))
        return a * self.cdf

    def backward(self, g):
        a = self.a
        m = xp(a)
        if self.approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = self.t
            d = 0.5 * (1 + t) + 0.5 * a * (1 - t * t) * k * (1 + 3 * 0.044715 * a * a)
            return g * d.astype(g.dtype, copy=False)
        pdf = m.exp(-0.5 * a * a) * a.dtype.type(1 / math.sqrt(2 * math.pi))
        return g * (self.cdf + a * pdf)


class Sigmoid(Function):
    def forward(self, a):
        self.out = out = _sigmoid(a)
        return out

    def backward(self, g):
        out = self.out
        return g * out * (1 - out)


class Tanh(Function):
    def forward(self, a):
        self.out = out = xp(a).tanh(a)
        return out

    def backward(self, g):
        out = self.out
        return g * (1 - out * out)


class Softplus(Function):
    """log(1 + exp(βx))/β, linear above ``threshold`` (PyTorch's definition)."""

    def forward(self, a, beta, threshold):
        m = xp(a)
        z = a * a.dtype.type(beta)
        self.z, self.beta, self.linear = z, beta, z > threshold
        soft = (m.log1p(m.exp(-m.abs(z))) + m.maximum(z, 0)) / a.dtype.type(beta)
        return m.where(self.linear, a, soft)

    def backward(self, g):
        return g * xp(g).where(self.linear, 1, _sigmoid(self.z)).astype(g.dtype, copy=False)


class Softmax(Function):
    def forward(self, a, axis):
        m = xp(a)
        if a.size == 0:  # nothing to normalise (an empty axis or batch)
            self.out, self.axis = a.copy(), axis
            return self.out
        e = m.exp(a - a.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        self.out, self.axis = e, axis
        return e

    def backward(self, g):
        out = self.out
        return out * (g - (g * out).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def forward(self, a, axis):
        m = xp(a)
        if a.size == 0:
            self.out, self.axis = a.copy(), axis
            return self.out
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - m.log(m.exp(shifted).sum(axis=axis, keepdims=True))
        self.out, self.axis = out, axis
        return out

    def backward(self, g):
        return g - xp(g).exp(self.out) * g.sum(axis=self.axis, keepdims=True)


def relu(a) -> Tensor:
    return ReLU.apply(not_bool(a, "relu"))


def leaky_relu(a, negative_slope: float = 0.2) -> Tensor:
    """Leaky ReLU. The default slope is ``keras.ops.leaky_relu``'s (0.2); the PyTorch door's
    ``F.leaky_relu`` and ``Tensor.leaky_relu`` pass torch's 0.01."""
    slope = scalar_param(negative_slope, "leaky_relu", "negative_slope")
    return LeakyReLU.apply(float_only(a, "leaky_relu"), slope=slope)


def elu(a, alpha: float = 1.0) -> Tensor:
    return ELU.apply(float_only(a, "elu"), alpha=scalar_param(alpha, "elu", "alpha"))


def gelu(a, approximate: bool | str = True) -> Tensor:
    """GELU: exact (with erf) for ``approximate=False`` or ``"none"`` (torch's spelling), the tanh
    approximation for ``True`` or ``"tanh"``. The default is ``keras.ops.gelu``'s (True); the
    PyTorch door's ``F.gelu`` and ``Tensor.gelu`` pass torch's ``"none"``."""
    if approximate is True or approximate is False:
        approximate = "tanh" if approximate else "none"
    if approximate not in ("none", "tanh"):
        raise ValueError(
            f"gelu: approximate must be True/False or 'none'/'tanh', got {approximate!r}"
        )
    return GELU.apply(float_only(a, "gelu"), approximate=approximate)


def sigmoid(a) -> Tensor:
    return Sigmoid.apply(floating(a, "sigmoid"))


def tanh(a) -> Tensor:
    return Tanh.apply(floating(a, "tanh"))


def softplus(a, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    beta = scalar_param(beta, "softplus", "beta")
    threshold = scalar_param(threshold, "softplus", "threshold")
    return Softplus.apply(float_only(a, "softplus"), beta=beta, threshold=threshold)


def softmax(a, axis: int = -1) -> Tensor:
    """Softmax along ``axis``. The result remembers its input (``softmax_logits``) so that a
    cross-entropy given these probabilities can work from the logits instead, as TF-Keras does."""
    a = float_only(a, "softmax")
    out = Softmax.apply(a, axis=axis)
    out.softmax_logits = (a, axis)
    return out


def log_softmax(a, axis: int = -1) -> Tensor:
    return LogSoftmax.apply(float_only(a, "log_softmax"), axis=axis)


# ------------------------------------------------------------------ added for chainrule.nn (issue 4)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class SELU(Function):
    """scale·(x if x > 0 else α·(eᶻ − 1)), with the self-normalising constants of Klambauer et al."""

    def forward(self, a):
        m = xp(a)
        t = a.dtype.type
        self.pos = a > 0
        with np.errstate(over="ignore"):
            self.neg = t(_SELU_SCALE * _SELU_ALPHA) * m.expm1(m.minimum(a, 0))
        return m.where(self.pos, t(_SELU_SCALE) * a, self.neg)

    def backward(self, g):
        t = g.dtype.type
        return g * xp(g).where(self.pos, t(_SELU_SCALE), self.neg + t(_SELU_SCALE * _SELU_ALPHA))


class SiLU(Function):
    """x·σ(x) (also called swish)."""

    def forward(self, a):
        self.a, self.s = a, _sigmoid(a)
        return a * self.s

    def backward(self, g):
        s = self.s
        return g * (s * (1 + self.a * (1 - s)))


class Softsign(Function):
    """x / (1 + |x|)."""

    def forward(self, a):
        self.den = 1 + xp(a).abs(a)
        return a / self.den

    def backward(self, g):
        den = self.den
        return g / (den * den)


class HardSigmoid(Function):
    """relu6(x + 3) / 6: 0 below −3, 1 above 3, linear between (PyTorch's and Keras 3's definition)."""

    def forward(self, a):
        m = xp(a)
        self.inside = (a > -3) & (a < 3)
        return m.clip(a / a.dtype.type(6) + a.dtype.type(0.5), 0, 1)

    def backward(self, g):
        return g * (self.inside * g.dtype.type(1 / 6))


class HardSwish(Function):
    """x · hard_sigmoid(x)."""

    def forward(self, a):
        m = xp(a)
        t = a.dtype.type
        self.a = a
        return a * m.clip(a / t(6) + t(0.5), 0, 1)

    def backward(self, g):
        a = self.a
        m = xp(a)
        t = g.dtype.type
        # PyTorch: 0 for x <= -3, 1 for x >= 3 (the one-sided limits at the kinks are not used)
        d = m.where(a <= -3, t(0), m.where(a >= 3, t(1), a / t(3) + t(0.5)))
        return g * d


def selu(a) -> Tensor:
    return SELU.apply(float_only(a, "selu"))


def silu(a) -> Tensor:
    """x·sigmoid(x), a.k.a. swish."""
    return SiLU.apply(float_only(a, "silu"))


def softsign(a) -> Tensor:
    return Softsign.apply(floating(not_bool(a, "softsign"), "softsign"))


def hard_sigmoid(a) -> Tensor:
    return HardSigmoid.apply(float_only(a, "hard_sigmoid"))


def hard_swish(a) -> Tensor:
    return HardSwish.apply(float_only(a, "hard_swish"))
