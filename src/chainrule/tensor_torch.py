"""The Tensor methods PyTorch code uses (``x.size(0)``, ``x.view_as(y)``, ``x.eq(y)``, ``x.clone()``,
``x.to("cpu")``, ``x.long()``, in-place ``x.zero_()`` …), installed on :class:`Tensor` by
:func:`install_torch_methods`. Differentiable ones delegate to :mod:`chainrule.ops`.

In-place methods (``add_``, ``zero_``, ``-=`` …) change ``.data`` directly and record nothing: as in
PyTorch they are refused on a tensor that requires grad while gradients are being recorded (use
``with chainrule.no_grad():``, as optimiser code does). ``x -= y`` on a tensor with a graph
(not a leaf) falls back to the out-of-place result.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import ops as _ops
from .function import is_grad_enabled
from .tensor import Tensor


class ValuesIndices(NamedTuple):
    """What ``x.max(dim)`` / ``x.min(dim)`` return, as in PyTorch."""

    values: Tensor
    indices: Tensor


class Size(tuple):
    """A shape (a tuple), as ``x.size()`` returns in PyTorch."""

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"chainrule.Size({list(self)})"


def _shape_args(shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _data(other):
    return other.data if isinstance(other, Tensor) else other


def _inplace(t: Tensor, op: str) -> np.ndarray:
    """The array to change in place, after PyTorch's check on tensors that need grad."""
    if t.requires_grad and is_grad_enabled():
        kind = "a leaf tensor" if t._fn is None else "a tensor that is part of a graph"
        raise RuntimeError(
            f"{op}: {kind} that requires grad is being used in an in-place operation; wrap it in "
            "`with chainrule.no_grad():` (as optimiser updates do)"
        )
    return t.data


class _TorchMethods:
    # ------------------------------------------------------------ shape queries
    def size(self, dim: int | None = None):
        """The shape (``Size``), or the size of dim ``dim``."""
        if dim is None:
            return Size(self.data.shape)
        return self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self.data.size)

    nelement = numel

    def element_size(self) -> int:
        return self.data.itemsize

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def contiguous(self) -> Tensor:
        return self

    @property
    def device(self):
        from .torch_api import device

        return device("cpu")

    @property
    def grad_fn(self):
        return self._fn

    @property
    def is_cuda(self) -> bool:
        return False

    # ------------------------------------------------------------ shape changes
    def view_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return _ops.reshape(self, other.shape)

    def expand(self, *sizes) -> Tensor:
        """Broadcast to ``sizes`` (-1 keeps a dim), without copying."""
        sizes = _shape_args(sizes)
        lead = len(sizes) - self.ndim
        shape = tuple(
            self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes)
        )
        return _ops.broadcast_to(self, shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return _ops.broadcast_to(self, other.shape)

    def repeat(self, *sizes) -> Tensor:
        """Tile: dim i repeated ``sizes[i]`` times (``sizes`` may add leading dims)."""
        reps = _shape_args(sizes)
        if len(reps) < self.ndim:
            raise ValueError(
                f"repeat: {len(reps)} repeat counts for a {self.ndim}-d tensor; need at least "
                f"{self.ndim}"
            )
        x = _ops.reshape(self, (1,) * (len(reps) - self.ndim) + self.shape)
        inter = tuple(v for n in x.shape for v in (1, n))
        big = tuple(v for r, n in zip(reps, x.shape) for v in (r, n))
        x = _ops.broadcast_to(_ops.reshape(x, inter), big)
        return _ops.reshape(x, tuple(r * n for r, n in zip(reps, self.shape)))

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise ValueError(f"t(): expects a tensor with <= 2 dims, got {self.ndim}")
        return _ops.transpose(self) if self.ndim == 2 else self

    def swapaxes(self, axis0: int, axis1: int) -> Tensor:
        order = list(range(self.ndim))
        order[axis0], order[axis1] = order[axis1], order[axis0]
        return _ops.transpose(self, tuple(order))

    swapdims = swapaxes

    def chunk(self, chunks: int, dim: int = 0) -> list:
        n = self.shape[dim]
        step = -(-n // chunks)
        return _ops.split(self, list(range(step, n, step)), dim)

    # ------------------------------------------------------------ comparisons (no graph)
    def eq(self, other):
        return self.__eq__(other)

    def ne(self, other):
        return self.__ne__(other)

    def lt(self, other):
        return self.__lt__(other)

    def le(self, other):
        return self.__le__(other)

    def gt(self, other):
        return self.__gt__(other)

    def ge(self, other):
        return self.__ge__(other)

    def equal(self, other) -> bool:
        o = _data(other)
        return bool(np.shape(o) == self.data.shape and np.array_equal(self.data, o))

    def allclose(self, other, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False):
        return bool(np.allclose(self.data, _data(other), rtol, atol, equal_nan))

    def isnan(self) -> Tensor:
        return Tensor._wrap(np.isnan(self.data))

    def all(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(self.data.all(axis=dim, keepdims=keepdim)))

    def any(self, dim=None, keepdim: bool = False) -> Tensor:
        return Tensor._wrap(np.asarray(self.data.any(axis=dim, keepdims=keepdim)))

    # ------------------------------------------------------------ math
    def mm(self, other) -> Tensor:
        return _ops.matmul(self, other)

    bmm = mm

    def square(self) -> Tensor:
        return self * self

    def norm(self, p=2, dim=None, keepdim: bool = False) -> Tensor:
        """The p-norm (2 by default) over all elements or along ``dim``."""
        if p in ("fro", 2):
            return _ops.sqrt((self * self).sum(axis=dim, keepdims=keepdim))
        return (_ops.abs(self) ** p).sum(axis=dim, keepdims=keepdim) ** (1.0 / p)

    def masked_fill(self, mask, value) -> Tensor:
        m = Tensor._wrap(np.asarray(_data(mask), dtype=bool))
        fill = Tensor._wrap(np.asarray(value, dtype=self.data.dtype))
        return _ops.where(m, fill, self)

    # ------------------------------------------------------------ rounding (no gradient, as torch's
    # derivative of these is zero almost everywhere)
    def round(self, decimals: int = 0) -> Tensor:
        return Tensor._wrap(np.round(self.data, decimals))

    def floor(self) -> Tensor:
        return Tensor._wrap(np.floor(self.data))

    def ceil(self) -> Tensor:
        return Tensor._wrap(np.ceil(self.data))

    def sign(self) -> Tensor:
        return Tensor._wrap(np.sign(self.data))

    # ------------------------------------------------------------ copies and dtypes
    def clone(self) -> Tensor:
        """A copy with its own memory; gradients flow back to this tensor."""
        if self.requires_grad and is_grad_enabled():
            return _ops.mul(self, 1)
        return Tensor._wrap(self.data.copy())

    def cpu(self) -> Tensor:
        return self

    def cuda(self, *args, **kwargs):
        raise RuntimeError("cuda(): chainrule's PyTorch door runs on the CPU only")

    def to(self, *args, **kwargs) -> Tensor:
        """``to("cpu")``, ``to(dtype)``, ``to(device, dtype)``, ``to(other_tensor)``."""
        from .torch_api import parse_to

        dtype = parse_to("Tensor.to", args, kwargs)
        if dtype is None or np.dtype(dtype) == self.data.dtype:
            return self
        return _ops.astype(self, dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self if other.dtype == self.dtype else _ops.astype(self, other.dtype)

    def long(self) -> Tensor:
        return _ops.astype(self, np.int64)

    def int(self) -> Tensor:
        return _ops.astype(self, np.int32)

    def bool(self) -> Tensor:
        return _ops.astype(self, np.bool_)

    def half(self) -> Tensor:
        return _ops.astype(self, np.float16)

    def type(self, dtype=None):
        """``x.type(torch.float)`` converts; ``x.type()`` names the type (``'torch.FloatTensor'``
        style, as PyTorch prints it)."""
        if dtype is None:
            names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
                     "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                     "bool": "Bool"}  # fmt: skip
            return f"torch.{names.get(self.data.dtype.name, self.data.dtype.name)}Tensor"
        return _ops.astype(self, dtype)

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def new_zeros(self, *size, dtype=None) -> Tensor:
        return Tensor(np.zeros(_shape_args(size), dtype=dtype or self.data.dtype))

    def new_ones(self, *size, dtype=None) -> Tensor:
        return Tensor(np.ones(_shape_args(size), dtype=dtype or self.data.dtype))

    def new_tensor(self, data, dtype=None) -> Tensor:
        return Tensor(np.array(_data(data), dtype=dtype or self.data.dtype))

    # ------------------------------------------------------------ in place (no graph)
    def zero_(self) -> Tensor:
        _inplace(self, "zero_")[...] = 0
        return self

    def fill_(self, value) -> Tensor:
        _inplace(self, "fill_")[...] = _data(value)
        return self

    def copy_(self, src) -> Tensor:
        arr = _inplace(self, "copy_")
        arr[...] = np.broadcast_to(np.asarray(_data(src)), arr.shape)
        return self

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
        from .random import get_generator

        arr = _inplace(self, "normal_")
        arr[...] = get_generator().normal(mean, std, arr.shape)
        return self

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
        from .random import get_generator

        arr = _inplace(self, "uniform_")
        arr[...] = get_generator().uniform(a, b, arr.shape)
        return self

    def clamp_(self, min=None, max=None) -> Tensor:
        arr = _inplace(self, "clamp_")
        np.clip(arr, min, max, out=arr)
        return self

    def add_(self, other, alpha: float = 1) -> Tensor:
        arr = _inplace(self, "add_")
        arr += _data(other) if alpha == 1 else alpha * np.asarray(_data(other))
        return self

    def sub_(self, other, alpha: float = 1) -> Tensor:
        arr = _inplace(self, "sub_")
        arr -= _data(other) if alpha == 1 else alpha * np.asarray(_data(other))
        return self

    def mul_(self, other) -> Tensor:
        arr = _inplace(self, "mul_")
        arr *= _data(other)
        return self

    def div_(self, other) -> Tensor:
        arr = _inplace(self, "div_")
        arr /= _data(other)
        return self


def _iop(name: str, np_op, fallback):
    """``x op= y``: in place on the array when allowed, else the out-of-place result."""

    def method(self, other):
        if self.requires_grad and is_grad_enabled():
            if self._fn is None:
                _inplace(self, f"'{name}'")  # raises PyTorch's error for a leaf
            return fallback(self, other)
        np_op(self.data, _data(other), out=self.data)
        return self

    method.__name__ = name
    return method


def _setitem(self, index, value) -> None:
    """``x[idx] = v`` in place (no graph), as in PyTorch code such as a custom backward."""
    arr = _inplace(self, "__setitem__")
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    arr[index] = _data(value)


def _scalar(t: Tensor, op: str):
    if t.data.size != 1:
        raise ValueError(f"{op}: only a one-element tensor converts to a Python number, "
                         f"got shape {t.shape}")  # fmt: skip
    return t.data.item()


def _format(self, spec: str) -> str:
    """``f"{loss:.4f}"`` formats a one-element tensor's value, as in PyTorch."""
    if spec and self.data.size == 1:
        return format(self.data.item(), spec)
    return format(repr(self), spec)


def install_torch_methods(cls: type) -> None:
    """Add every method of ``_TorchMethods`` that ``cls`` does not define itself."""
    for name, value in vars(_TorchMethods).items():
        if not name.startswith("__") and name not in vars(cls):
            setattr(cls, name, value)
    cls.__setitem__ = _setitem
    cls.__format__ = _format
    cls.__float__ = lambda self: float(_scalar(self, "float()"))
    cls.__int__ = lambda self: int(_scalar(self, "int()"))
    cls.__iadd__ = _iop("__iadd__", np.add, cls.__add__)
    cls.__isub__ = _iop("__isub__", np.subtract, cls.__sub__)
    cls.__imul__ = _iop("__imul__", np.multiply, cls.__mul__)
    cls.__itruediv__ = _iop("__itruediv__", np.true_divide, cls.__truediv__)
