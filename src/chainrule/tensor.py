"""The Tensor: an array plus what reverse-mode differentiation needs.

``.data`` is the ndarray, ``.grad`` the accumulated gradient (or None), ``requires_grad`` says whether
gradients flow to it, and ``_fn`` is the :class:`~chainrule.function.Function` node that produced it
(None for leaves and for results computed under ``no_grad()``). Every method that computes something
delegates to an op in :mod:`chainrule.ops`; this file holds no derivative.

Each leaf's ``.grad`` is an array of its own (backward copies the gradient in the first time and
adds to it afterwards), so optimisers may update it in place.
"""

from __future__ import annotations

import numpy as np

from .backend import DEFAULT_FLOAT, to_numpy


def _to_array(data, dtype=None):
    """Convert user data to an ndarray, applying chainrule's dtype rules (floats → float32)."""
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    if isinstance(data, np.ndarray):
        return data
    if hasattr(data, "__cuda_array_interface__"):  # a CuPy array stays on its device
        return data
    arr = np.asarray(data)
    if arr.dtype == np.float64 and not isinstance(data, np.floating):
        arr = arr.astype(DEFAULT_FLOAT)  # Python floats and lists of them
    elif arr.dtype.kind in "OUS":
        raise TypeError(f"Tensor: cannot make a numeric tensor from data of dtype {arr.dtype}")
    return arr


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` may be a Python number, nested lists,
    an ndarray or another Tensor. Python floats become float32; ndarrays keep their dtype. Only
    floating-point tensors can require grad.
    """

    __slots__ = ("__dict__", "__weakref__", "_fn", "data", "grad", "requires_grad")
    __array_ufunc__ = None  # make NumPy defer to our reflected operators (ndarray * Tensor)

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        arr = _to_array(data, dtype)
        if requires_grad and arr.dtype.kind not in "fc":
            raise ValueError(
                f"Tensor: only floating-point tensors can require grad; got dtype {arr.dtype}. "
                "Convert first, e.g. Tensor(data, dtype='float32', requires_grad=True)."
            )
        self.data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._fn = None

    @staticmethod
    def _wrap(data, requires_grad: bool = False, fn=None) -> Tensor:
        """Fast constructor for op results: no conversion, no checks."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._fn = fn
        return t

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def T(self) -> Tensor:
        return _ops.transpose(self)

    @property
    def is_leaf(self) -> bool:
        return self._fn is None

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(to_numpy(self.data), separator=", ", precision=4, threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._fn is not None:
            extra += f", fn={type(self._fn).__name__}"
        return f"Tensor({body}, dtype={self.data.dtype}{extra})"

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- autograd
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on.

        ``grad`` may be omitted only for a single-element tensor (it is then 1).
        """
        run_backward(self, grad, retain_graph)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor during backward (leaves always keep theirs)."""
        if self._fn is not None:
            self._fn.retained = self
        return self

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(tensor)`` each time backward has added a gradient into this leaf's ``.grad``
        (PyTorch's name). Returns a handle whose ``remove()`` unregisters the hook."""
        if self._fn is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: only leaf tensors accumulate gradients"
            )
        hooks = self.__dict__.setdefault("_post_accumulate_hooks", [])
        hooks.append(hook)
        return _HookHandle(self, hook)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory)."""
        return Tensor._wrap(self.data, False, None)

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.data.dtype.kind not in "fc":
            raise ValueError(
                f"Tensor: only floating-point tensors can require grad; got {self.dtype}"
            )
        self.requires_grad = flag
        return self

    def zero_grad(self) -> None:
        self.grad = None

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (a copy only when it lives on a GPU)."""
        return to_numpy(self.data)

    def __array__(self, dtype=None, copy=None):
        arr = to_numpy(self.data)
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): tensor has {self.data.size} elements, expected 1")
        return self.data.item()

    def tolist(self):
        return to_numpy(self.data).tolist()

    def astype(self, dtype) -> Tensor:
        return _ops.astype(self, dtype)

    def float(self) -> Tensor:
        return _ops.astype(self, np.float32)

    def double(self) -> Tensor:
        return _ops.astype(self, np.float64)

    # ----------------------------------------------------------------- operators
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # comparisons give boolean tensors outside the graph
    def _compare(self, other, op):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(np.asarray(op(self.data, other)))

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):  # elementwise, as in NumPy and PyTorch
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data)

    # ----------------------------------------------------------------- math methods
    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def abs(self):
        return _ops.abs(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def add(self, other):
        return _ops.add(self, other)

    def sub(self, other):
        return _ops.sub(self, other)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other):
        return _ops.div(self, other)

    def neg(self):
        return _ops.neg(self)

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    def clip(self, min=None, max=None):
        return _ops.clip(self, min, max)

    clamp = clip

    def relu(self):
        return _ops.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01):
        return _ops.leaky_relu(self, negative_slope)

    def elu(self, alpha: float = 1.0):
        return _ops.elu(self, alpha)

    def gelu(self, approximate: str = "none"):
        return _ops.gelu(self, approximate)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0):
        return _ops.softplus(self, beta, threshold)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def softmax(self, axis: int = -1, *, dim: int | None = None):
        return _ops.softmax(self, axis if dim is None else dim)

    def log_softmax(self, axis: int = -1, *, dim: int | None = None):
        return _ops.log_softmax(self, axis if dim is None else dim)

    def logsumexp(self, axis=None, keepdims: bool = False):
        return _ops.logsumexp(self, axis, keepdims)

    # ----------------------------------------------------------------- reductions
    # NumPy names (axis=, keepdims=) and PyTorch names (dim=, keepdim=) are both accepted.
    def sum(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None, dtype=None):
        a, k = _axis_keep(axis, keepdims, dim, keepdim)
        x = self if dtype is None else _ops.astype(self, dtype)
        return _ops.sum(x, a, k)

    def mean(self, axis=None, keepdims: bool = False, *, dim=None, keepdim=None, dtype=None):
        a, k = _axis_keep(axis, keepdims, dim, keepdim)
        x = self if dtype is None else _ops.astype(self, dtype)
        return _ops.mean(x, a, k)

    def max(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """``max()``: the largest element. ``max(dim)`` (PyTorch): ``(values, indices)`` along
        ``dim``. ``max(other)``: the elementwise maximum. ``max(axis=…)`` (NumPy): the values."""
        return _extremum(self, dim, keepdim, axis, keepdims, "max")

    def min(self, dim=None, keepdim: bool = False, *, axis=None, keepdims=None):
        """Like :meth:`max`, for the smallest elements."""
        return _extremum(self, dim, keepdim, axis, keepdims, "min")

    def var(self, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None,
            ddof=None, keepdims=None):  # fmt: skip
        """PyTorch's ``var(dim, unbiased=True, keepdim=False)`` (Bessel's correction by default);
        NumPy's keywords ``axis=``, ``ddof=``, ``keepdims=`` give NumPy's ddof=0 default."""
        a, k, d = _var_args(dim, unbiased, keepdim, correction, axis, ddof, keepdims)
        return _ops.var(self, a, d, k)

    def std(self, dim=None, unbiased=None, keepdim=None, *, correction=None, axis=None,
            ddof=None, keepdims=None):  # fmt: skip
        """Square root of :meth:`var` (same argument rules)."""
        a, k, d = _var_args(dim, unbiased, keepdim, correction, axis, ddof, keepdims)
        return _ops.std(self, a, d, k)

    def argmax(self, axis=None, keepdim: bool = False, *, dim=None, keepdims=None):
        """Index of the largest element (flattened when no axis), as an int64 tensor."""
        a, k = _axis_keep(axis, keepdims, dim, keepdim)
        return Tensor._wrap(np.asarray(self.data.argmax(axis=a, keepdims=bool(k)), np.int64))

    def argmin(self, axis=None, keepdim: bool = False, *, dim=None, keepdims=None):
        a, k = _axis_keep(axis, keepdims, dim, keepdim)
        return Tensor._wrap(np.asarray(self.data.argmin(axis=a, keepdims=bool(k)), np.int64))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    view = reshape

    def transpose(self, *axes):
        """``transpose(d0, d1)`` swaps two dims (PyTorch); ``transpose()`` reverses them all and
        ``transpose((…))`` / ``transpose(a, b, c)`` (3+ axes) permutes them (NumPy)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if len(axes) == 2 and self.ndim != 2 or axes in ((0, 1), (-2, -1), (-1, -2), (1, 0)):
            d0, d1 = axes
            order = list(range(self.ndim))
            try:
                order[d0], order[d1] = order[d1], order[d0]
            except IndexError:
                raise ValueError(
                    f"transpose: dims ({d0}, {d1}) are out of range for a {self.ndim}-d tensor"
                ) from None
            axes = tuple(order)
        return _ops.transpose(self, axes or None)

    def permute(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes)

    def broadcast_to(self, shape):
        return _ops.broadcast_to(self, tuple(shape))

    def squeeze(self, axis=None, *, dim=None):
        """Drop size-1 dims (all, or the one named; a named dim of another size is left alone,
        as in PyTorch)."""
        axis = axis if dim is None else dim
        if axis is not None:
            axes = (axis,) if isinstance(axis, int) else tuple(axis)
            axis = tuple(a for a in axes if self.ndim and self.shape[a] == 1)
            if not axis:
                return _ops.reshape(self, self.shape)
        return _ops.squeeze(self, axis)

    def unsqueeze(self, axis: int | None = None, *, dim: int | None = None):
        return _ops.unsqueeze(self, axis if dim is None else dim)

    expand_dims = unsqueeze

    def flatten(self, start_axis: int = 0, end_axis: int = -1, *, start_dim=None, end_dim=None):
        return _ops.flatten(
            self,
            start_axis if start_dim is None else start_dim,
            end_axis if end_dim is None else end_dim,
        )

    def split(self, indices_or_sections, axis: int = 0) -> list:
        return _ops.split(self, indices_or_sections, axis)

    def pad(self, pad_width, value: float = 0.0):
        return _ops.pad(self, pad_width, value)


def _axis_keep(axis, keepdims, dim, keepdim):
    """Merge NumPy's (axis, keepdims) and PyTorch's (dim, keepdim) spellings."""
    return (axis if dim is None else dim), bool(keepdims if keepdim is None else keepdim)


def _var_args(dim, unbiased, keepdim, correction, axis, ddof, keepdims):
    """(axis, keepdims, ddof) for var/std: NumPy's ddof=0 when any NumPy keyword is used,
    PyTorch's correction (1 unless ``unbiased=False``) otherwise."""
    numpy_style = axis is not None or ddof is not None or keepdims is not None
    a = dim if axis is None else axis
    k = bool(keepdims if keepdims is not None else keepdim)
    if ddof is not None:
        return a, k, ddof
    if correction is not None:
        return a, k, correction
    if numpy_style:
        return a, k, 0
    return a, k, (0 if unbiased is False else 1)


def _extremum(t, dim, keepdim, axis, keepdims, kind):
    if isinstance(dim, Tensor):  # torch.max(a, b): elementwise
        return (_ops.maximum if kind == "max" else _ops.minimum)(t, dim)
    reduce = _ops.max if kind == "max" else _ops.min
    if axis is not None or dim is None:
        return reduce(t, axis, bool(keepdims if keepdims is not None else keepdim))
    from .tensor_torch import ValuesIndices

    values = reduce(t, dim, bool(keepdim))
    arg = t.data.argmax if kind == "max" else t.data.argmin
    return ValuesIndices(values, Tensor._wrap(np.asarray(arg(axis=dim, keepdims=bool(keepdim)))))


# Bound at the bottom: these modules import Tensor themselves.
from . import ops as _ops
from .function import run_backward
from .tensor_torch import install_torch_methods


class _HookHandle:
    """Returned by :meth:`Tensor.register_post_accumulate_grad_hook`; ``remove()`` undoes it."""

    def __init__(self, tensor: Tensor, hook):
        self._tensor, self._hook = tensor, hook

    def remove(self) -> None:
        hooks = self._tensor.__dict__.get("_post_accumulate_hooks", [])
        if self._hook in hooks:
            hooks.remove(self._hook)
        if not hooks:
            self._tensor.__dict__.pop("_post_accumulate_hooks", None)


install_torch_methods(Tensor)  # PyTorch's Tensor methods (size, view_as, eq, clone, to, …)
