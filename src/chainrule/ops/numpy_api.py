"""Keras 3's ``keras.ops`` names over chainrule Tensors (the ones not already primitives here).

Differentiable wherever Keras's are: each is composed from the primitives of this package (or is
a small Function, for ``cumsum``/``log1p``/``expm1``/``tile``/``repeat``). Comparisons, ``argmax``,
``sort``, ``one_hot``, ``floor`` and the like return Tensors that carry no gradient, as in Keras.
Inputs may be Tensors, arrays or Python numbers; dtypes follow the input (float32 by default).
"""

from __future__ import annotations

import builtins

import numpy as np

from ..function import Function
from ..tensor import Tensor
from ._convert import ensure_tensor
from .elementwise import add, astype, div, exp, log, mul, neg, pow, sqrt, sub
from .linalg import matmul
from .reduce import sum as _sum
from .shape import getitem, reshape, unsqueeze

__all__ = [
    "all", "any", "arange", "argmax", "argmin", "argsort", "cast", "ceil", "convert_to_numpy",
    "convert_to_tensor", "cumsum", "divide", "dot", "equal", "expand_dims", "expm1", "eye",
    "floor", "full", "full_like", "greater", "greater_equal", "less", "less_equal", "linspace",
    "log1p", "multiply", "negative", "norm", "not_equal", "one_hot", "ones", "ones_like",
    "power", "prod", "repeat", "round", "shape", "sign", "size", "sort", "square", "subtract",
    "take", "tile", "top_k", "true_divide", "zeros", "zeros_like",
]  # fmt: skip


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else ensure_tensor(x)


def _arr(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _const(a) -> Tensor:
    return Tensor._wrap(np.asarray(a))


def _float_dtype(dtype):
    return np.dtype("float32" if dtype is None else dtype)


# ------------------------------------------------------------------ conversion
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """A Tensor holding ``x`` (floats default to float32); a Tensor is returned as is (cast when
    ``dtype`` differs)."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.data.dtype == np.dtype(dtype) else astype(x, dtype)
    return Tensor(x, dtype=dtype)


def convert_to_numpy(x) -> np.ndarray:
    """The array behind ``x`` (a NumPy array)."""
    data = _arr(x)
    return data.get() if hasattr(data, "get") and not isinstance(data, np.ndarray) else data


def cast(x, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (differentiable between float types)."""
    return astype(_t(x), dtype)


def shape(x) -> tuple:
    return tuple(_arr(x).shape)


def size(x) -> int:
    return int(_arr(x).size)


# ------------------------------------------------------------------ creation
def zeros(shape, dtype=None) -> Tensor:
    return _const(np.zeros(shape, dtype=_float_dtype(dtype)))


def ones(shape, dtype=None) -> Tensor:
    return _const(np.ones(shape, dtype=_float_dtype(dtype)))


def full(shape, fill_value, dtype=None) -> Tensor:
    return _const(np.full(shape, fill_value, dtype=_float_dtype(dtype)))


def zeros_like(x, dtype=None) -> Tensor:
    return _const(np.zeros_like(_arr(x), dtype=dtype))


def ones_like(x, dtype=None) -> Tensor:
    return _const(np.ones_like(_arr(x), dtype=dtype))


def full_like(x, fill_value, dtype=None) -> Tensor:
    return _const(np.full_like(_arr(x), fill_value, dtype=dtype))


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in [start, stop); integers stay int, floats become float32."""
    out = np.arange(start, stop, 1 if step is None else step)
    if dtype is not None:
        out = out.astype(dtype)
    elif out.dtype.kind == "f":
        out = out.astype(np.float32)
    return _const(out)


def eye(N: int, M: int | None = None, k: int = 0, dtype=None) -> Tensor:
    return _const(np.eye(N, M, k, dtype=_float_dtype(dtype)))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype=None, axis: int = 0):  # fmt: skip
    out = np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep, axis=axis)
    if retstep:
        return _const(out[0].astype(_float_dtype(dtype))), out[1]
    return _const(out.astype(_float_dtype(dtype)))


def one_hot(x, num_classes: int, axis: int = -1, dtype=None, sparse: bool = False) -> Tensor:
    """Integer labels (any shape) → one-hot float32 with the class axis at ``axis``."""
    labels = _arr(x).astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got [{labels.min()}, {labels.max()}]"
        )
    out = np.eye(num_classes, dtype=_float_dtype(dtype))[labels]
    return _const(np.moveaxis(out, -1, axis) if axis != -1 else out)


# ------------------------------------------------------------------ arithmetic
def multiply(x1, x2) -> Tensor:
    return mul(x1, x2)


def subtract(x1, x2) -> Tensor:
    return sub(x1, x2)


def divide(x1, x2) -> Tensor:
    return div(x1, x2)


true_divide = divide


def negative(x) -> Tensor:
    return neg(_t(x))


def power(x1, x2) -> Tensor:
    return pow(x1, x2)


def square(x) -> Tensor:
    x = _t(x)
    return mul(x, x)


def dot(x1, x2) -> Tensor:
    """NumPy's dot: matrix product for 2-D (and 1-D) operands."""
    return matmul(_t(x1), _t(x2))


def norm(x, ord=None, axis=None, keepdims: bool = False) -> Tensor:
    """The L2 (Frobenius) norm over ``axis`` (all axes when None); ``ord`` 1 and inf also work
    for vectors."""
    x = _t(x)
    if ord in (None, 2, "fro", "euclidean"):
        return sqrt(_sum(mul(x, x), axis=axis, keepdims=keepdims))
    if ord == 1:
        from .elementwise import abs as _abs

        return _sum(_abs(x), axis=axis, keepdims=keepdims)
    if ord in (np.inf, float("inf")):
        from .elementwise import abs as _abs
        from .reduce import max as _max

        return _max(_abs(x), axis=axis, keepdims=keepdims)
    raise ValueError(f"norm: ord={ord!r} is not supported (use None/2, 1 or inf)")


class _Log1p(Function):
    def forward(self, a):
        self.a = a
        return np.log1p(a)

    def backward(self, g):
        return g / (1.0 + self.a)


class _Expm1(Function):
    def forward(self, a):
        self.out = np.expm1(a)
        return self.out

    def backward(self, g):
        return g * (self.out + 1.0)


def log1p(x) -> Tensor:
    """log(1 + x), accurate near 0."""
    return _Log1p.apply(_t(x))


def expm1(x) -> Tensor:
    """exp(x) − 1, accurate near 0."""
    return _Expm1.apply(_t(x))


class _Cumsum(Function):
    def forward(self, a, axis):
        self.axis, self.shape = axis, a.shape
        return np.cumsum(a, axis=axis)

    def backward(self, g):
        if self.axis is None:
            return np.flip(np.cumsum(np.flip(g.reshape(-1)))).reshape(self.shape)
        return np.flip(np.cumsum(np.flip(g, self.axis), axis=self.axis), self.axis)


def cumsum(x, axis=None, dtype=None) -> Tensor:
    """Running sum along ``axis`` (of the flattened input when None)."""
    out = _Cumsum.apply(_t(x), axis=axis)
    return out if dtype is None else astype(out, dtype)


def prod(x, axis=None, keepdims: bool = False, dtype=None) -> Tensor:
    """Product over ``axis`` (differentiable as exp(Σ log|x|) · sign, for nonzero inputs)."""
    x = _t(x)
    data = x.data
    if not x.requires_grad:
        return _const(np.prod(data, axis=axis, keepdims=keepdims, dtype=dtype))
    if np.any(data == 0):
        raise ValueError("prod: the gradient through zero entries is not supported")
    from .elementwise import abs as _abs

    sign = np.prod(np.sign(data), axis=axis, keepdims=keepdims)
    return mul(exp(_sum(log(_abs(x)), axis=axis, keepdims=keepdims)), _const(sign))


class _Tile(Function):
    def forward(self, a, reps):
        self.shape = a.shape
        reps = (1,) * (a.ndim - len(reps)) + tuple(reps)
        self.reps = reps
        return np.tile(a, reps)

    def backward(self, g):
        shape = (1,) * (len(self.reps) - len(self.shape)) + self.shape
        split = []
        for r, n in zip(self.reps, shape):
            split += [r, n]
        return g.reshape(split).sum(axis=tuple(range(0, len(split), 2))).reshape(self.shape)


def tile(x, repeats) -> Tensor:
    reps = (int(repeats),) if np.ndim(repeats) == 0 else tuple(int(r) for r in repeats)
    return _Tile.apply(_t(x), reps=reps)


def repeat(x, repeats: int, axis=None) -> Tensor:
    """Each element repeated ``repeats`` times along ``axis`` (flattened when None)."""
    x = _t(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    idx = np.repeat(np.arange(x.shape[axis]), repeats)
    return take(x, idx, axis=axis)


# ------------------------------------------------------------------ shapes and indexing
def expand_dims(x, axis: int) -> Tensor:
    return unsqueeze(_t(x), axis)


def take(x, indices, axis=None) -> Tensor:
    """Elements at ``indices`` along ``axis`` (of the flattened input when None)."""
    x = _t(x)
    idx = _arr(indices).astype(np.int64)
    if axis is None:
        return getitem(reshape(x, (-1,)), idx)
    axis = axis % x.ndim
    return getitem(x, (slice(None),) * axis + (idx,))


# ------------------------------------------------------------------ without gradient
def _nograd(fn):
    def wrapper(*args, **kwargs):
        return _const(fn(*[_arr(a) for a in args], **kwargs))

    wrapper.__name__ = fn.__name__
    return wrapper


def argmax(x, axis=None, keepdims: bool = False) -> Tensor:
    return _const(np.argmax(_arr(x), axis=axis, keepdims=keepdims))


def argmin(x, axis=None, keepdims: bool = False) -> Tensor:
    return _const(np.argmin(_arr(x), axis=axis, keepdims=keepdims))


def argsort(x, axis: int = -1) -> Tensor:
    return _const(np.argsort(_arr(x), axis=axis, kind="stable"))


def sort(x, axis: int = -1) -> Tensor:
    x = _t(x)
    order = np.argsort(x.data, axis=axis, kind="stable")
    if not x.requires_grad:
        return _const(np.take_along_axis(x.data, order, axis=axis))
    axis = axis % x.ndim
    index = tuple(
        order if i == axis else np.arange(n).reshape([-1 if j == i else 1 for j in range(x.ndim)])
        for i, n in enumerate(x.shape)
    )
    return getitem(x, index)


def top_k(x, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:
    """(values, indices) of the ``k`` largest entries along the last axis, largest first."""
    x = _t(x)
    idx = np.argsort(-x.data, axis=-1, kind="stable")[..., :k]
    lead = tuple(
        np.arange(n).reshape([-1 if j == i else 1 for j in range(x.ndim)])
        for i, n in enumerate(x.shape[:-1])
    )
    return getitem(x, lead + (idx,)), _const(idx)


equal = _nograd(np.equal)
not_equal = _nograd(np.not_equal)
greater = _nograd(np.greater)
greater_equal = _nograd(np.greater_equal)
less = _nograd(np.less)
less_equal = _nograd(np.less_equal)
sign = _nograd(np.sign)
floor = _nograd(np.floor)
ceil = _nograd(np.ceil)


def round(x, decimals: int = 0) -> Tensor:
    return _const(np.round(_arr(x), decimals))


def any(x, axis=None, keepdims: bool = False) -> Tensor:
    return _const(np.any(_arr(x), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims: bool = False) -> Tensor:
    return _const(np.all(_arr(x), axis=axis, keepdims=keepdims))


_ = builtins  # the names above shadow built-ins on purpose (Keras's names)
_ = add
