"""Matrix products: matmul (1-D, 2-D, batched) and the fused dense layer ``x @ W + b``."""

from __future__ import annotations

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..function import Function, unbroadcast
from ..tensor import Tensor
from ._convert import cast, ensure_tensor, operands, result_dtype_of


class MatMul(Function):
    """``a @ b`` with NumPy's rules: 1-D operands are promoted, batch axes broadcast."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: both operands need at least one dimension")
        ka = a.shape[-1]
        kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if ka != kb:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({ka} != {kb})")
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if b.ndim == 1:
            g = g[..., None]
        if a.ndim == 1:
            g = g[..., None, :]
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = unbroadcast(g @ b2.swapaxes(-1, -2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = unbroadcast(a2.swapaxes(-1, -2) @ g, b2.shape).reshape(b.shape)
        return ga, gb

    def backward_graph(self, g):
        from .elementwise import sum_to

        a, b = self.parents
        a2 = a.reshape(1, a.shape[0]) if a.ndim == 1 else a
        b2 = b.reshape(b.shape[0], 1) if b.ndim == 1 else b
        if b.ndim == 1:
            g = g.unsqueeze(-1)
        if a.ndim == 1:
            g = g.unsqueeze(-2)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to(g @ _swap_last(b2), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to(_swap_last(a2) @ g, b2.shape).reshape(b.shape)
        return ga, gb


def _swap_last(t: Tensor) -> Tensor:
    """``t`` with its last two axes swapped (differentiable)."""
    axes = list(range(t.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return t.transpose(axes)


def _rows_matmul(a, w):
    """``a @ w`` for a (..., k) and a matrix w (k, n) as ONE product over all leading axes.

    NumPy's ``matmul`` runs a 3-D ``a`` as one small product per leading index (a (32, 64, 128)
    input: 32 products of 64 rows, ~1.6× slower than one of 2048 rows); a non-contiguous ``a`` is
    copied by the reshape, which costs less than the small products it saves.
    """
    if a.ndim <= 2:
        return a @ w
    return (a.reshape(-1, a.shape[-1]) @ w).reshape(a.shape[:-1] + (w.shape[-1],))


class Linear(Function):
    """``x @ W + b`` in one node: x (..., in), W (in, out), b (out,) or absent."""

    fresh_grads = True  # every gradient is a new matmul or sum result

    def forward(self, x, w, b=None):
        # x is kept as the 2-D (rows, in) matrix the product used (a copy when x was not
        # contiguous): the weight gradient in backward reads it without copying it again
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        self.x, self.w, self.has_bias = x2, w, b is not None
        out = x2 @ w
        if x.ndim != 2:
            out = out.reshape(x.shape[:-1] + (w.shape[-1],))
        if b is not None:
            out += b
        return out

    def backward(self, g):
        x, w = self.x, self.w
        need = self.needs_input_grad
        gx = _rows_matmul(g, w.T) if need[0] else None
        gw = gb = None
        if need[1]:
            gw = x.T @ g.reshape(-1, g.shape[-1])
        if self.has_bias and need[2]:
            gb = g.sum(axis=tuple(range(g.ndim - 1)))
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    saved_inputs = (0, 1)  # x and W, never the bias

    def backward_graph(self, g):
        x, w = self.parents[0], self.parents[1]
        need = self.needs_input_grad
        gx = g @ w.T if need[0] else None
        gw = gb = None
        if need[1]:
            n_in, n_out = x.shape[-1], g.shape[-1]
            gw = x.reshape(-1, n_in).T @ g.reshape(-1, n_out)
        if self.has_bias and need[2]:
            gb = g.sum(axis=tuple(range(g.ndim - 1)))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class LinearReLU(Linear):
    """``max(x @ W + b, 0)`` in one node: the ReLU runs in place on the product, and backward needs
    only the output's sign, so the layer costs no extra array and no extra graph node."""

    def forward(self, x, w, b=None):
        out = super().forward(x, w, b)
        xp(out).maximum(out, 0, out=out)
        self.out = out
        return out

    saves_output = True

    def backward(self, g):
        return super().backward(xp(g).multiply(g, self.out > 0))

    def backward_graph(self, g):
        from .elementwise import where

        return super().backward_graph(where(self.out > 0, g, 0.0))


class LinearOutIn(Linear):
    """``x @ W.T + b`` in one node with PyTorch's weight layout W (out, in): BLAS reads the
    transposed view directly, so no copy of W is made in either pass."""

    def forward(self, x, w, b=None):
        return super().forward(x, w.T, b)

    def backward(self, g):
        x, w = self.x, self.w  # w is the (in, out) view
        need = self.needs_input_grad
        gx = _rows_matmul(g, w.T) if need[0] else None
        gw = gb = None
        if need[1]:  # (out, in): one GEMM straight into the parameter's layout
            gw = g.reshape(-1, g.shape[-1]).T @ x
        if self.has_bias and need[2]:
            gb = g.sum(axis=tuple(range(g.ndim - 1)))
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def backward_graph(self, g):
        x, w = self.parents[0], self.parents[1]  # w (out, in), as given
        need = self.needs_input_grad
        gx = g @ w if need[0] else None
        gw = gb = None
        if need[1]:
            n_in, n_out = x.shape[-1], g.shape[-1]
            gw = g.reshape(-1, n_out).T @ x.reshape(-1, n_in)
        if self.has_bias and need[2]:
            gb = g.sum(axis=tuple(range(g.ndim - 1)))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


def matmul(a, b) -> Tensor:
    return MatMul.apply(*operands(a, b))


def linear(x, weight, bias=None, activation: str | None = None, layout: str = "in_out") -> Tensor:
    """``x @ weight + bias``; weight has shape (in_features, out_features).

    ``activation="relu"`` fuses ``max(·, 0)`` into the same node (:class:`LinearReLU`).
    ``layout="out_in"`` takes PyTorch's weight (out_features, in_features) instead:
    ``x @ weight.T + bias`` (:class:`LinearOutIn`, no activation).
    """
    x = ensure_tensor(x)
    if layout == "out_in":
        if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
            raise ValueError(
                f"linear: input has shape {x.shape}, expected last axis of size "
                f"{weight.shape[-1]} to match weight (out, in) {weight.shape}"
            )
        if activation is not None:
            raise ValueError("linear: layout='out_in' takes no fused activation")
        if bias is None:
            return LinearOutIn.apply(x, weight)
        return LinearOutIn.apply(x, weight, bias)
    if layout != "in_out":
        raise ValueError(f"linear: layout must be 'in_out' or 'out_in', got {layout!r}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[0]:
        raise ValueError(
            f"linear: input has shape {x.shape}, expected last axis of size {weight.shape[0]} "
            f"to match weight {weight.shape}"
        )
    wd = weight.data.dtype
    if x.data.dtype != wd or (bias is not None and bias.data.dtype != wd):
        # mixed dtypes (int inputs, a float64 array into a float32 layer): PyTorch's promotion, so
        # no float64 array is made behind a float32 model's back and no integer product truncates
        dtype = result_dtype_of(*[t for t in (x, weight, bias) if t is not None])
        if dtype.kind not in "fc":
            dtype = np.dtype(DEFAULT_FLOAT)
        x, weight = cast(x, dtype), cast(weight, dtype)
        bias = None if bias is None else cast(bias, dtype)
    if activation is None:
        fn = Linear
    elif activation == "relu":
        fn = LinearReLU
    else:
        raise ValueError(f"linear: activation must be None or 'relu', got {activation!r}")
    if bias is None:
        return fn.apply(x, weight)
    return fn.apply(x, weight, bias)
