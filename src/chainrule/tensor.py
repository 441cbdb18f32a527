"""The Tensor: an array plus what reverse-mode differentiation needs.

``.data`` is the ndarray, ``.grad`` the accumulated gradient (or None), ``requires_grad`` says whether
gradients flow to it, and ``_fn`` is the :class:`~chainrule.function.Function` node that produced it
(None for leaves and for results computed under ``no_grad()``). Every method that computes something
delegates to an op in :mod:`chainrule.ops`; this file holds no derivative.

Each leaf's ``.grad`` is an array of its own (backward copies the gradient in the first time and
adds to it afterwards), so optimisers may update it in place.
"""

from __future__ import annotations

import weakref

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

    __slots__ = ("__dict__", "__weakref__", "_data", "_fn", "grad", "requires_grad")
    __array_ufunc__ = None  # make NumPy defer to our reflected operators (ndarray * Tensor)

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        arr = _to_array(data, dtype)
        if requires_grad and arr.dtype.kind not in "fc":
            raise ValueError(
                f"Tensor: only floating-point tensors can require grad; got dtype {arr.dtype}. "
                "Convert first, e.g. Tensor(data, dtype='float32', requires_grad=True)."
            )
        self._data = arr
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._fn = None

    @staticmethod
    def _wrap(data, requires_grad: bool = False, fn=None) -> Tensor:
        """Fast constructor for op results: no conversion, no checks."""
        t = object.__new__(Tensor)
        t._data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._fn = fn
        return t

    # ----------------------------------------------------------------- properties
    @property
    def data(self):
        """The array. Assigning another one (``x.data = new``) swaps it outside autograd, as in
        PyTorch: the version counter does not change, and a backward pass through nodes that saved
        this tensor earlier uses the new values. (The engine itself reads ``_data``.)"""
        return self._data

    @data.setter
    def data(self, value) -> None:
        if isinstance(value, Tensor):
            value = value._data
        old = getattr(self, "_data", None)
        if old is not None and old is not value:
            _record_rebind(self, old)
        self._data = value

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        return _ops.transpose(self)

    @property
    def is_leaf(self) -> bool:
        return self._fn is None

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(to_numpy(self._data), separator=", ", precision=4, threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self._fn is not None:
            extra += f", fn={type(self._fn).__name__}"
        return f"Tensor({body}, dtype={self._data.dtype}{extra})"

    __hash__ = object.__hash__

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:  # fmt: skip
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf it depends on.

        ``gradient`` may be omitted only for a single-element tensor (it is then 1).
        ``retain_graph`` (default: ``create_graph``) keeps the saved arrays for another backward.
        ``create_graph=True`` records the backward pass itself, so the gradients can be
        differentiated again; ``.grad`` then holds a Tensor (an ndarray otherwise).
        ``inputs``: a tensor or sequence of tensors; only they accumulate a gradient (leaves or
        not), as PyTorch's ``backward(inputs=...)``.
        """
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = _autograd_inputs(inputs, "backward")
        run_backward(self, gradient, retain_graph, create_graph, inputs)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor during backward (leaves always keep theirs)."""
        if self._fn is not None:
            self._fn.retained = self
            if self._fn.hooks is None:
                self._fn.hooks = []
        elif not self.requires_grad:
            raise RuntimeError(
                "retain_grad: can't retain_grad on a tensor that has requires_grad=False"
            )
        return self

    @property
    def retains_grad(self) -> bool:
        """Whether this non-leaf tensor keeps its ``.grad`` (see :meth:`retain_grad`)."""
        return self._fn is not None and self._fn.retained is self

    def register_hook(self, hook):
        """Call ``hook(grad)`` with this tensor's gradient each time one is computed (the total over
        all its uses). The hook may return a Tensor to use in its place. Returns a handle whose
        ``remove()`` unregisters it (PyTorch's ``Tensor.register_hook``)."""
        if not self.requires_grad:
            raise RuntimeError(
                "register_hook: cannot register a hook on a tensor that doesn't require gradient"
            )
        if self._fn is not None:
            if self._fn.hooks is None:
                self._fn.hooks = []
            hooks = self._fn.hooks
        else:
            hooks = self.__dict__.setdefault("_hooks", [])
        hooks.append(hook)
        return _ListHandle(hooks, hook)

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
        """The same data, cut from the graph (shares memory, and the version counter: an in-place
        change of either is seen by backward passes that saved the other)."""
        t = Tensor._wrap(self._data, False, None)
        t.__dict__["_versions"] = self.__dict__.setdefault("_versions", [])
        return t

    def zero_grad(self) -> None:
        self.grad = None

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (a copy only when it lives on a GPU)."""
        return to_numpy(self._data)

    def __array__(self, dtype=None, copy=None):
        arr = to_numpy(self._data)
        return arr if dtype is None else arr.astype(dtype)

    def item(self):
        """The single value of a one-element tensor, as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item(): tensor has {self._data.size} elements, expected 1")
        return self._data.item()

    def tolist(self):
        return to_numpy(self._data).tolist()

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
        return Tensor._wrap(np.asarray(op(self._data, other)))

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
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous"
            )
        return bool(self._data)

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

    # ================================================================= in-place ops
    # (issue 18) One mechanism for every in-place method: the result is computed with the ordinary
    # differentiable op, then this tensor takes it over.
    # - Outside any graph (a leaf, a constant, anything under no_grad) the result is written into
    #   the tensor's own array, so NumPy views of it (and .detach() aliases) see the change, as
    #   PyTorch's storage would.
    # - In a graph, the tensor takes the new node as its history and its old value stays in the
    #   graph as a separate alias; nothing an earlier node saved is ever overwritten.
    # Either way the version counter goes up: a node that saved the old value raises at backward,
    # naming the in-place op (PyTorch's check). A leaf that requires grad can be changed in place
    # only under no_grad().
    def _inplace(self, name: str, compute) -> Tensor:
        from .engine import _Mutation
        from .function import _GradMode, _sequence

        recording = _GradMode.enabled
        if recording and self.requires_grad and self._fn is None:
            raise RuntimeError(
                f"{name}: a leaf Variable that requires grad is being used in an in-place "
                "operation (change it under no_grad(), or work on a copy)."
            )
        graph = recording and self._fn is not None
        # the value before the change, standing in for it in the graph
        src = Tensor._wrap(self._data, True, self._fn) if graph else Tensor._wrap(self._data)
        res = compute(src)
        if res.shape != self.shape:
            raise RuntimeError(
                f"{name}: output with shape {self.shape} doesn't match the broadcast shape "
                f"{res.shape}"
            )
        dtype = self._data.dtype
        if res._data.dtype != dtype:
            if not np.can_cast(res._data.dtype, dtype, "same_kind"):
                raise RuntimeError(
                    f"{name}: result type {res._data.dtype} can't be cast to the desired output "
                    f"type {dtype}"
                )
            res = res.astype(dtype)
        mark = next(_sequence)
        _Mutation.last = mark
        versions = self.__dict__.setdefault("_versions", [])
        if res.requires_grad:  # the tensor joins (or stays in) the graph with a new history
            # nodes made before now keep the old history: the engine sends them to ``src``
            versions.append((mark, name, src))
            old = self._fn
            if old is not None and type(old).saves_output:
                old.output_modified = (name, len(versions))
            self._data, self._fn, self.requires_grad = res._data, res._fn, True
            return self
        versions.append((mark, name, None))
        if self._data.flags.writeable and self._data.shape == res._data.shape:
            self._data[...] = res._data
        else:  # a read-only array (e.g. a broadcast view): the tensor takes the new array
            self._data = res._data
        return self

    @staticmethod
    def _operand(other, src: Tensor, self_: Tensor):
        return src if other is self_ else other

    def add_(self, other, alpha=1) -> Tensor:
        """``self += alpha * other`` in place."""
        return self._inplace(
            "add_", lambda s: s + (self._operand(other, s, self) * alpha if alpha != 1 else
                                  self._operand(other, s, self))
        )  # fmt: skip

    def sub_(self, other, alpha=1) -> Tensor:
        """``self -= alpha * other`` in place."""
        return self._inplace(
            "sub_", lambda s: s - (self._operand(other, s, self) * alpha if alpha != 1 else
                                  self._operand(other, s, self))
        )  # fmt: skip

    def mul_(self, other) -> Tensor:
        return self._inplace("mul_", lambda s: s * self._operand(other, s, self))

    def div_(self, other) -> Tensor:
        return self._inplace("div_", lambda s: s / self._operand(other, s, self))

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._inplace("clamp_", lambda s: _ops.clip(s, min, max))

    clip_ = clamp_

    def fill_(self, value) -> Tensor:
        """Set every element to ``value`` (a number or a one-element tensor, which then gets the
        gradient of every position)."""
        if isinstance(value, Tensor) and value.data.ndim:
            raise RuntimeError(
                f"fill_: only supports 0-dimension value tensor but got tensor with "
                f"{value.data.ndim} dimensions"
            )
        return self._inplace("fill_", lambda s: _index_put(s, Ellipsis, value))

    def zero_(self) -> Tensor:
        return self._inplace("zero_", lambda s: _index_put(s, Ellipsis, 0))

    def copy_(self, src) -> Tensor:
        """Copy ``src`` (broadcast to this shape, converted to this dtype) into this tensor."""
        return self._inplace("copy_", lambda s: _index_put(s, Ellipsis, src))

    def __setitem__(self, index, value) -> None:
        """``x[index] = value``: the gradient reaches x's other entries and ``value``."""
        self._inplace("__setitem__", lambda s: _index_put(s, index, self._operand(value, s, self)))

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf (PyTorch: a non-leaf can't stop requiring grad)."""
        if requires_grad and self._data.dtype.kind not in "fc":
            raise ValueError(
                f"Tensor: only floating-point tensors can require grad; got {self.dtype}"
            )
        if self._fn is not None and not requires_grad:
            raise RuntimeError(
                "requires_grad_: you can only change requires_grad flags of leaf variables. If "
                "you want to use a computed variable in a subgraph that doesn't require "
                "differentiation use var_no_grad = var.detach()."
            )
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor (or an alias made by ``detach``) has seen."""
        return len(self.__dict__.get("_versions", ()))

    # ================================================================= end of in-place ops


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
from .engine import run_backward
from .ops.index_put import index_put as _index_put
from .tensor_torch import install_torch_methods


def _record_rebind(t: Tensor, old) -> None:
    """Note that ``t.data`` was swapped: nodes made before now that saved the old array are
    pointed at the new one when backward reaches them (see ``engine._check_versions``). Only weak
    references are kept: an old array no node holds any more is dropped."""
    from .engine import _Mutation
    from .function import _sequence

    try:
        ref = weakref.ref(old)
    except TypeError:  # not weak-referenceable (not an array): nothing can have saved it
        return
    mark = next(_sequence)
    _Mutation.last = mark
    rebinds = [r for r in t.__dict__.get("_rebinds", ()) if r[1]() is not None]
    rebinds.append((mark, ref))
    t.__dict__["_rebinds"] = rebinds


def _autograd_inputs(inputs, where: str) -> list:
    """``inputs`` of backward / autograd.grad as a non-empty list of Tensors."""
    if isinstance(inputs, Tensor):
        return [inputs]
    inputs = list(inputs)
    if not inputs:
        raise RuntimeError(f"{where}: 'inputs' argument should not be empty")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: input {i} is a {type(t).__name__}, expected a Tensor")
    return inputs


class _ListHandle:
    """Returned by ``register_hook``-style methods; ``remove()`` takes the hook out again."""

    def __init__(self, hooks: list, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


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
