"""PyTorch's top-level functions (``torch.cat``, ``torch.max``, ``torch.randint`` …) over chainrule
tensors, with PyTorch's argument names (``dim=``, ``keepdim=``, ``dtype=``, ``device=``).

``chainrule/__init__.py`` re-exports them, so ``import chainrule as torch`` works for ordinary CPU
code. Only the CPU device exists: ``device("cuda")`` is accepted as a name but any tensor placed
there raises; ``cuda.is_available()`` is False.
"""

from __future__ import annotations

import builtins
from types import SimpleNamespace

import numpy as np

from . import creation, ops
from .function import _SetGrad, no_grad
from .random import get_generator
from .tensor import Tensor
from .tensor_torch import Size, ValuesIndices


class device:
    """A device name: ``device("cpu")``, ``device("cuda", 0)``; only ``"cpu"`` holds tensors."""

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got {type!r}")
        name, _, idx = type.partition(":")
        self.type = name
        self.index = builtins.int(idx) if idx else index

    def __eq__(self, other) -> builtins.bool:
        try:
            other = device(other)
        except TypeError:
            return False
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> builtins.int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{idx})"


def _check_device(op: str, dev) -> None:
    if dev is not None and device(dev).type != "cpu":
        raise RuntimeError(
            f"{op}: device {str(device(dev))!r} is not available; chainrule's PyTorch door runs on "
            "the CPU (use device='cpu', or select it with torch.cuda.is_available())"
        )


def parse_to(op: str, args: tuple, kwargs: dict):
    """The dtype asked for by ``.to(...)`` arguments (None for a device-only move)."""
    dtype = kwargs.pop("dtype", None)
    _check_device(op, kwargs.pop("device", None))
    kwargs.pop("non_blocking", None)
    kwargs.pop("copy", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{op}: unexpected argument(s) {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, device)):
            _check_device(op, a)
        elif a is not None:
            try:
                dtype = np.dtype(a)
            except TypeError:
                raise TypeError(f"{op}: cannot interpret {a!r} as a device or dtype") from None
    return dtype


class Generator:
    """A random stream of its own (``Generator().manual_seed(42)``), for ``random_split`` /
    ``DataLoader(generator=...)`` / ``randperm``; without one, draws use the library generator."""

    def __init__(self, device="cpu"):
        _check_device("Generator", device)
        self.rng = np.random.default_rng()
        self._seed = None

    def manual_seed(self, seed: builtins.int) -> Generator:
        self.rng = np.random.default_rng(builtins.int(seed))
        self._seed = builtins.int(seed)
        return self

    def initial_seed(self):
        return self._seed

    def get_state(self) -> dict:
        return self.rng.bit_generator.state

    def set_state(self, state: dict) -> Generator:
        self.rng.bit_generator.state = state
        return self


def _no_cuda_seed(seed: builtins.int) -> None:
    """``cuda.manual_seed(_all)``: there is no CUDA generator; seeding code may call it freely."""


cuda = SimpleNamespace(
    is_available=lambda: False,
    device_count=lambda: 0,
    manual_seed=_no_cuda_seed,
    manual_seed_all=_no_cuda_seed,
)
backends = SimpleNamespace(
    mps=SimpleNamespace(is_available=lambda: False),
    cudnn=SimpleNamespace(deterministic=False, benchmark=False, enabled=True),
)
accelerator = SimpleNamespace(is_available=lambda: False, current_accelerator=lambda: None)


class set_grad_enabled(_SetGrad):
    """``set_grad_enabled(False)``: a context manager (or a plain call) switching recording."""

    def __init__(self, mode: builtins.bool):
        from .function import _GradMode

        self.mode = builtins.bool(mode)
        self._prev = _GradMode.enabled
        _GradMode.enabled = self.mode

    def __enter__(self):
        return self

    def __call__(self, func):
        from .function import _GradMode

        _GradMode.enabled = self._prev  # used as a decorator: switch only inside the call
        mode = self.mode

        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


inference_mode = no_grad


# ------------------------------------------------------------------ creation
def _gen(generator) -> np.random.Generator:
    return get_generator() if generator is None else generator.rng


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _made(data: np.ndarray, dtype, dev, requires_grad: builtins.bool, op: str) -> Tensor:
    _check_device(op, dev)
    if dtype is not None:
        data = data.astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def tensor(data, dtype=None, device=None, requires_grad: builtins.bool = False) -> Tensor:
    """A new tensor (a copy): Python floats → float32, ints → int64, bools → bool."""
    _check_device("tensor", device)
    if (
        isinstance(data, (list, tuple))
        and data
        and builtins.all(isinstance(d, Tensor) for d in data)
    ):
        data = [d.data for d in data]
    arr = np.array(data.data if isinstance(data, Tensor) else data, copy=True)
    if dtype is None and arr.dtype == np.float64 and not isinstance(data, np.ndarray):
        arr = arr.astype(np.float32)
    return Tensor(arr, requires_grad=requires_grad, dtype=dtype)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like :func:`tensor`, sharing memory with a NumPy array or tensor when possible."""
    _check_device("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray):
        return Tensor(data if dtype is None else data.astype(dtype, copy=False))
    return tensor(data, dtype=dtype)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray`` (its dtype kept, float64 included)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(ndarray).__name__}")
    return Tensor(ndarray)


def zeros(*size, dtype=None, device=None, requires_grad: builtins.bool = False, out=None):
    return _made(np.zeros(_size(size), np.float32), dtype, device, requires_grad, "zeros")


def ones(*size, dtype=None, device=None, requires_grad: builtins.bool = False, out=None):
    return _made(np.ones(_size(size), np.float32), dtype, device, requires_grad, "ones")


def empty(*size, dtype=None, device=None, requires_grad: builtins.bool = False, out=None):
    return _made(np.zeros(_size(size), np.float32), dtype, device, requires_grad, "empty")


def full(size, fill_value, dtype=None, device=None, requires_grad: builtins.bool = False):
    """Filled with ``fill_value``; the dtype follows it (bool, int64 or float32) unless given."""
    size = (size,) if isinstance(size, builtins.int) else tuple(size)
    if dtype is None:
        kind = np.asarray(fill_value).dtype.kind
        dtype = {"b": np.bool_, "i": np.int64, "u": np.int64}.get(kind, np.float32)
    return _made(np.full(size, fill_value), dtype, device, requires_grad, "full")


def _like(input, dtype):
    return input.data.dtype if dtype is None else dtype


def zeros_like(input, dtype=None, device=None, requires_grad: builtins.bool = False):
    return _made(np.zeros(input.shape), _like(input, dtype), device, requires_grad, "zeros_like")


def ones_like(input, dtype=None, device=None, requires_grad: builtins.bool = False):
    return _made(np.ones(input.shape), _like(input, dtype), device, requires_grad, "ones_like")


def empty_like(input, dtype=None, device=None, requires_grad: builtins.bool = False):
    return zeros_like(input, dtype, device, requires_grad)


def full_like(input, fill_value, dtype=None, device=None, requires_grad: builtins.bool = False):
    data = np.full(input.shape, fill_value)
    return _made(data, _like(input, dtype), device, requires_grad, "full_like")


def rand(*size, generator=None, dtype=None, device=None, requires_grad: builtins.bool = False):
    """Uniform on [0, 1) (float32 unless ``dtype``), from the library generator."""
    data = _gen(generator).random(_size(size))
    return _made(data, dtype or np.float32, device, requires_grad, "rand")


def randn(*size, generator=None, dtype=None, device=None, requires_grad: builtins.bool = False):
    """Standard normal (float32 unless ``dtype``), from the library generator."""
    data = _gen(generator).standard_normal(_size(size))
    return _made(data, dtype or np.float32, device, requires_grad, "randn")


def rand_like(input, dtype=None, device=None, requires_grad: builtins.bool = False):
    return rand(*input.shape, dtype=_like(input, dtype), device=device, requires_grad=requires_grad)


def randn_like(input, dtype=None, device=None, requires_grad: builtins.bool = False):
    return randn(*input.shape, dtype=_like(input, dtype), device=device,
                 requires_grad=requires_grad)  # fmt: skip


def randint(low, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad: builtins.bool = False) -> Tensor:  # fmt: skip
    """Integers uniform in [low, high) (``randint(high, size)`` starts at 0); int64 by default."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: expected randint(low, high, size) or randint(high, size)")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: empty range [{low}, {high})")
    data = _gen(generator).integers(low, high, tuple(size), dtype=np.int64)
    return _made(data, dtype, device, requires_grad, "randint")


def randperm(n: builtins.int, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    perm = _gen(generator).permutation(n).astype(np.int64)
    return _made(perm, dtype, device, False, "randperm")


def arange(start=0, end=None, step=1, dtype=None, device=None,
           requires_grad: builtins.bool = False) -> Tensor:  # fmt: skip
    """Like PyTorch: int64 for integer arguments, float32 when any is a float."""
    _check_device("arange", device)
    return creation.arange(start, end, step, dtype=dtype, requires_grad=requires_grad)


def linspace(start, end, steps: builtins.int, dtype=None, device=None,
             requires_grad: builtins.bool = False) -> Tensor:  # fmt: skip
    data = np.linspace(start, end, steps)
    return _made(data, dtype or np.float32, device, requires_grad, "linspace")


def eye(n: builtins.int, m: builtins.int | None = None, dtype=None, device=None,
        requires_grad: builtins.bool = False) -> Tensor:  # fmt: skip
    return _made(np.eye(n, m), dtype or np.float32, device, requires_grad, "eye")


# ------------------------------------------------------------------ joining and reshaping
def cat(tensors, dim: builtins.int = 0, *, axis=None) -> Tensor:
    return ops.concatenate(list(tensors), dim if axis is None else axis)


concat = concatenate = cat


def stack(tensors, dim: builtins.int = 0) -> Tensor:
    return ops.stack(list(tensors), dim)


def flatten(input, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
    return ops.flatten(input, start_dim, end_dim)


def reshape(input, shape) -> Tensor:
    return ops.reshape(input, shape)


def squeeze(input, dim=None) -> Tensor:
    return _t(input).squeeze(dim)


def unsqueeze(input, dim: builtins.int) -> Tensor:
    return ops.unsqueeze(input, dim)


def transpose(input, dim0: builtins.int, dim1: builtins.int) -> Tensor:
    return _t(input).swapaxes(dim0, dim1)


def permute(input, dims) -> Tensor:
    return ops.transpose(input, tuple(dims))


def t(input) -> Tensor:
    return _t(input).t()


# ------------------------------------------------------------------ math
def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def sum(input, dim=None, keepdim: builtins.bool = False, *, dtype=None) -> Tensor:
    return _t(input).sum(dim=dim, keepdim=keepdim, dtype=dtype)


def mean(input, dim=None, keepdim: builtins.bool = False, *, dtype=None) -> Tensor:
    return _t(input).mean(dim=dim, keepdim=keepdim, dtype=dtype)


def std(input, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None):
    return _t(input).std(dim, unbiased, keepdim, correction=correction)


def var(input, dim=None, unbiased=None, keepdim: builtins.bool = False, *, correction=None):
    return _t(input).var(dim, unbiased, keepdim, correction=correction)


def max(input, dim=None, keepdim: builtins.bool = False):
    """``max(x)``, ``max(x, dim)`` → (values, indices), or ``max(a, b)`` elementwise."""
    return _t(input).max(dim, keepdim)


def min(input, dim=None, keepdim: builtins.bool = False):
    return _t(input).min(dim, keepdim)


def argmax(input, dim=None, keepdim: builtins.bool = False) -> Tensor:
    return _t(input).argmax(dim=dim, keepdim=keepdim)


def argmin(input, dim=None, keepdim: builtins.bool = False) -> Tensor:
    return _t(input).argmin(dim=dim, keepdim=keepdim)


def maximum(input, other) -> Tensor:
    return ops.maximum(input, other)


def minimum(input, other) -> Tensor:
    return ops.minimum(input, other)


def clamp(input, min=None, max=None) -> Tensor:
    return ops.clip(input, min, max)


clip = clamp


def where(condition, input=None, other=None):
    """``where(cond, x, y)``; ``where(cond)`` gives the indices of the true elements."""
    if input is None and other is None:
        cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    return ops.where(condition, input, other)


def matmul(input, other) -> Tensor:
    return ops.matmul(input, other)


def mm(input, mat2) -> Tensor:
    if _t(input).ndim != 2 or _t(mat2).ndim != 2:
        raise ValueError(f"mm: expects 2-D matrices, got {_t(input).shape} and {_t(mat2).shape}")
    return ops.matmul(input, mat2)


def bmm(input, mat2) -> Tensor:
    if _t(input).ndim != 3 or _t(mat2).ndim != 3:
        raise ValueError(f"bmm: expects 3-D batches, got {_t(input).shape} and {_t(mat2).shape}")
    return ops.matmul(input, mat2)


def softmax(input, dim: builtins.int, dtype=None) -> Tensor:
    x = _t(input) if dtype is None else ops.astype(input, dtype)
    return ops.softmax(x, dim)


def log_softmax(input, dim: builtins.int, dtype=None) -> Tensor:
    x = _t(input) if dtype is None else ops.astype(input, dtype)
    return ops.log_softmax(x, dim)


def exp(input) -> Tensor:
    return ops.exp(input)


def log(input) -> Tensor:
    return ops.log(input)


def sqrt(input) -> Tensor:
    return ops.sqrt(input)


def abs(input) -> Tensor:
    return ops.abs(input)


def sin(input) -> Tensor:
    return ops.sin(input)


def cos(input) -> Tensor:
    return ops.cos(input)


def pow(input, exponent) -> Tensor:
    return ops.pow(input, exponent)


def square(input) -> Tensor:
    return _t(input).square()


def sigmoid(input) -> Tensor:
    return ops.sigmoid(input)


def tanh(input) -> Tensor:
    return ops.tanh(input)


def relu(input) -> Tensor:
    return ops.relu(input)


def logsumexp(input, dim, keepdim: builtins.bool = False) -> Tensor:
    return ops.logsumexp(input, dim, keepdim)


def norm(input, p=2, dim=None, keepdim: builtins.bool = False) -> Tensor:
    return _t(input).norm(p, dim, keepdim)


# ------------------------------------------------------------------ predicates
def is_tensor(obj) -> builtins.bool:
    return isinstance(obj, Tensor)


def numel(input) -> builtins.int:
    return builtins.int(_t(input).data.size)


def allclose(input, other, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: builtins.bool = False) -> builtins.bool:  # fmt: skip
    return _t(input).allclose(other, rtol, atol, equal_nan)


def isclose(input, other, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: builtins.bool = False) -> Tensor:  # fmt: skip
    o = other.data if isinstance(other, Tensor) else other
    return Tensor._wrap(np.isclose(_t(input).data, o, rtol, atol, equal_nan))


def equal(input, other) -> builtins.bool:
    return _t(input).equal(other)


def eq(input, other) -> Tensor:
    return _t(input) == other


def get_default_dtype():
    return np.float32


__all__ = [
    "Generator", "Size", "ValuesIndices", "abs", "accelerator", "allclose", "arange", "argmax", "argmin",
    "as_tensor", "backends", "bmm", "cat", "clamp", "clip", "concat", "concatenate", "cos",
    "cuda", "device", "empty", "empty_like", "eq", "equal", "exp", "eye", "flatten", "from_numpy",
    "full", "full_like", "get_default_dtype", "inference_mode", "is_tensor", "isclose",
    "linspace", "log", "log_softmax", "logsumexp", "matmul", "max", "maximum", "mean", "min",
    "minimum", "mm", "norm", "numel", "ones", "ones_like", "permute", "pow", "rand", "rand_like",
    "randint", "randn", "randn_like", "randperm", "relu", "reshape", "set_grad_enabled",
    "sigmoid", "sin", "softmax", "sqrt", "square", "squeeze", "stack", "std", "sum", "t", "tanh",
    "tensor", "transpose", "unsqueeze", "var", "where", "zeros", "zeros_like",
]  # fmt: skip
