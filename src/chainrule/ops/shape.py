"""Shape ops: reshape, transpose, broadcast, squeeze, indexing, joining, splitting, padding.

None of these changes a value, so each backward only moves the gradient back into place.
"""

from __future__ import annotations

import itertools

import numpy as np

from ..backend import xp
from ..function import Function, Scatter
from ..tensor import Tensor
from ._convert import ensure_tensor, scalar_param


class Reshape(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {a.shape} ({a.size} elements) "
                f"into {tuple(shape)}"
            ) from None

    def backward(self, g):
        return g.reshape(self.shape)


class Transpose(Function):
    def forward(self, a, axes):
        if axes is None:
            axes = tuple(reversed(range(a.ndim)))
        if sorted(ax % max(a.ndim, 1) for ax in axes) != list(range(a.ndim)):
            raise ValueError(
                f"transpose: axes {tuple(axes)} are not a permutation of {a.ndim} axes"
            )
        self.inverse = tuple(np.argsort([ax % a.ndim for ax in axes]))
        return a.transpose(axes)

    def backward(self, g):
        return g.transpose(self.inverse)


class BroadcastTo(Function):
    def forward(self, a, shape):
        self.shape = a.shape
        try:
            return xp(a).broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {shape}") from None

    def backward(self, g):
        from ..function import unbroadcast

        return unbroadcast(g, self.shape)


def _is_advanced(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(
        isinstance(i, (list, np.ndarray)) or hasattr(i, "__cuda_array_interface__") for i in items
    )


def _plain_index(index):
    """Replace Tensors inside an index by their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


class GetItem(Function):
    """``a[index]`` for ints, slices, None, Ellipsis, integer arrays and boolean masks."""

    def forward(self, a, index):
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        self.advanced = _is_advanced(index)
        try:
            return a[index]
        except IndexError as err:
            raise IndexError(f"getitem: indexing a tensor of shape {a.shape}: {err}") from None

    def backward(self, g):
        # zero but at index: the engine adds it into one accumulator shared by every slice taken
        # of the input (n slices cost O(size), not n full-size arrays); repeated indices accumulate
        return Scatter(self.shape, self.index, g, self.advanced)


class Concatenate(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        self.bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return xp(arrays[0]).concatenate(arrays, axis=axis)

    def backward(self, g):
        return tuple(xp(g).split(g, self.bounds, axis=self.axis))


class Stack(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        return xp(arrays[0]).stack(arrays, axis=axis)

    def backward(self, g):
        # one transposed copy, then a view per input: O(size) in all, whatever the number of inputs
        return tuple(xp(g).moveaxis(g, self.axis, 0))


class Pad(Function):
    """Constant padding; ``pad_width`` as in ``numpy.pad``."""

    def forward(self, a, pad_width, value):
        m = xp(a)
        try:
            widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
        except ValueError:
            raise ValueError(
                f"pad: pad_width {pad_width!r} does not fit a tensor of shape {a.shape}; give an "
                f"int, a (before, after) pair, or {a.ndim} such pairs"
            ) from None
        if (widths < 0).any():
            raise ValueError(f"pad: pad_width {pad_width!r} has negative entries")
        self.slices = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        return m.pad(a, widths, mode="constant", constant_values=value)

    def backward(self, g):
        return g[self.slices]


def _axis(op: str, axis: int, ndim: int) -> int:
    """``axis`` as a non-negative int, or a ValueError naming ``op`` when it is out of range."""
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim


# ------------------------------------------------------------------ functional entry points
def reshape(a, shape) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Reshape.apply(ensure_tensor(a), shape=shape)


def transpose(a, axes=None) -> Tensor:
    """Reverse the axes (default) or permute them as ``axes`` says."""
    return Transpose.apply(ensure_tensor(a), axes=None if axes is None else tuple(axes))


def permute(a, axes) -> Tensor:
    return transpose(a, axes)


def broadcast_to(a, shape) -> Tensor:
    return BroadcastTo.apply(ensure_tensor(a), shape=tuple(shape))


def squeeze(a, axis=None) -> Tensor:
    """Drop size-1 axes (all of them, or the ones named)."""
    a = ensure_tensor(a)
    shape = a.shape
    if axis is None:
        new = tuple(n for n in shape if n != 1)
    else:
        axes = {ax % max(a.ndim, 1) for ax in ((axis,) if isinstance(axis, int) else axis)}
        for ax in axes:
            if shape[ax] != 1:
                raise ValueError(f"squeeze: axis {ax} has size {shape[ax]}, not 1 (shape {shape})")
        new = tuple(n for i, n in enumerate(shape) if i not in axes)
    return reshape(a, new)


def unsqueeze(a, axis: int) -> Tensor:
    """Insert a size-1 axis at ``axis`` (negative counts from the end of the result)."""
    a = ensure_tensor(a)
    nd = a.ndim + 1
    if not -nd <= axis < nd:
        raise ValueError(f"unsqueeze: axis {axis} out of range for a result with {nd} dimensions")
    axis %= nd
    return reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


def flatten(a, start_axis: int = 0, end_axis: int = -1) -> Tensor:
    """Merge axes ``start_axis..end_axis`` (inclusive) into one."""
    a = ensure_tensor(a)
    if a.ndim == 0:
        return reshape(a, (1,))
    s, e = _axis("flatten", start_axis, a.ndim), _axis("flatten", end_axis, a.ndim)
    if s > e:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis}")
    n = 1
    for d in a.shape[s : e + 1]:
        n *= d
    return reshape(a, a.shape[:s] + (n,) + a.shape[e + 1 :])


def getitem(a, index) -> Tensor:
    index = _plain_index(index)
    if isinstance(index, list):
        index = np.asarray(index)
        if index.size == 0 and index.dtype.kind == "f":  # x[[]]: an empty selection, as in PyTorch
            index = index.astype(np.intp)
    return GetItem.apply(ensure_tensor(a), index=index)


def concatenate(tensors, axis: int = 0) -> Tensor:
    tensors = [ensure_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    ref = tensors[0].shape
    if not ref:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated (use stack)")
    ax = _axis("concatenate", axis, len(ref))
    for i, t in enumerate(tensors):
        if t.ndim != len(ref) or any(
            n != r for d, (n, r) in enumerate(zip(t.shape, ref)) if d != ax
        ):
            raise ValueError(
                f"concatenate: tensor {i} has shape {t.shape}, incompatible with {ref} "
                f"along axes other than {axis}"
            )
    return Concatenate.apply(*tensors, axis=ax)


cat = concatenate


def stack(tensors, axis: int = 0) -> Tensor:
    tensors = [ensure_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape}")
    return Stack.apply(*tensors, axis=_axis("stack", axis, tensors[0].ndim + 1))


def split(a, indices_or_sections, axis: int = 0) -> list:
    """Split like ``numpy.split``: a number of equal sections, or the indices to cut at."""
    a = ensure_tensor(a)
    axis = _axis("split", axis, a.ndim)
    n = a.shape[axis]
    if isinstance(indices_or_sections, int):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(
                f"split: axis {axis} of size {n} does not divide into {indices_or_sections} sections"
            )
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = list(indices_or_sections)
    bounds = [0] + cuts + [n]
    lead = (slice(None),) * axis
    return [getitem(a, lead + (slice(lo, hi),)) for lo, hi in itertools.pairwise(bounds)]


def pad(a, pad_width, value: float = 0.0) -> Tensor:
    """Pad with a constant; ``pad_width`` as in ``numpy.pad`` (int, pair, or one pair per axis)."""
    value = scalar_param(value, "pad", "value")
    return Pad.apply(ensure_tensor(a), pad_width=pad_width, value=value)
