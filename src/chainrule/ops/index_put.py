"""Writing into positions of a tensor: the ops behind ``x[idx] = v`` and indexing's gradient.

``index_put(a, index, v)`` is ``a`` with ``a[index]`` replaced by ``v`` (broadcast), as a new array;
``Tensor.__setitem__`` runs it and makes the tensor hold the result (see the in-place section of
tensor.py). ``IndexAdd`` spreads a gradient back into the positions it was read from: it is the
adjoint of ``a[index]``, and each of the two is the other's derivative, so indexing can be
differentiated any number of times.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function, Scatter, unbroadcast
from ..tensor import Tensor
from ._convert import cast, ensure_tensor
from .shape import _is_advanced, _plain_index, getitem


class IndexPut(Function):
    """``out = a.copy(); out[index] = v``: the gradient reaches ``a`` except at ``index``, and
    ``v`` from the positions it was written to (summed over its broadcast axes)."""

    saved_inputs = ()  # reads no input's values in backward

    def forward(self, a, v, index):
        self.index, self.v_shape = index, v.shape
        out = a.copy()
        try:
            out[index] = v
        except (ValueError, IndexError) as err:
            raise type(err)(
                f"index_put: cannot assign a value of shape {v.shape} to positions {index!r} of a "
                f"tensor of shape {a.shape}: {err}"
            ) from None
        return out

    def backward(self, g):
        ga = gv = None
        if self.needs_input_grad[0]:
            ga = g.copy()
            ga[self.index] = 0
        if self.needs_input_grad[1]:
            gv = unbroadcast(g[self.index], self.v_shape)
        return ga, gv

    def backward_graph(self, g):
        from .elementwise import sum_to

        ga = gv = None
        if self.needs_input_grad[0]:
            zero = Tensor._wrap(xp(g.data).zeros((), dtype=g.data.dtype))
            ga = IndexPut.apply(g, zero, index=self.index)
        if self.needs_input_grad[1]:
            gv = sum_to(getitem(g, self.index), self.v_shape)
        return ga, gv


class IndexAdd(Function):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated advanced indices accumulate)."""

    saved_inputs = ()

    def forward(self, g, shape, index):
        self.index = index
        return Scatter(shape, index, g, _is_advanced(index)).dense()

    def backward(self, gg):
        return gg[self.index]

    def backward_graph(self, gg):
        return getitem(gg, self.index)


def index_put(a, index, value) -> Tensor:
    """``a`` with the entries at ``index`` replaced by ``value`` (broadcast), as a new tensor."""
    a = ensure_tensor(a)
    v = ensure_tensor(value, a)
    if v.data.dtype != a.data.dtype:
        v = cast(v, a.data.dtype)
    index = _plain_index(index)
    if isinstance(index, list):
        index = np.asarray(index)
    return IndexPut.apply(a, v, index=index)


def index_add_grad(g: Tensor, shape: tuple, index) -> Tensor:
    """The gradient of ``a[index]`` spread back to ``a``'s shape (differentiable)."""
    return IndexAdd.apply(g, shape=shape, index=index)
