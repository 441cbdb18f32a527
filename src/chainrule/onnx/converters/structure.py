"""Converters for matrix products, reductions and normalisation."""

from __future__ import annotations

import numpy as np

from ...ops.linalg import Linear, LinearOutIn, LinearReLU, MatMul
from ...ops.normalization import Normalize
from ...ops.reduce import LogSumExp, Max, Mean, Min, Std, Sum, Var
from ..graph import GraphBuilder, register


@register(MatMul)
def _matmul(g: GraphBuilder, rec) -> str:
    a, b = rec.inputs
    return g.node("MatMul", [g.name(a), g.name(b)])


@register(Linear, LinearReLU, LinearOutIn)
def _linear(g, rec):
    x, w, *b = rec.inputs
    wn = g.name(w)
    if rec.op is LinearOutIn:  # W (out, in)
        wn = g.node("Transpose", [wn], perm=[1, 0])
    out = g.node("MatMul", [g.name(x), wn])
    if b:
        out = g.node("Add", [out, g.name(b[0])])
    return g.node("Relu", [out]) if rec.op is LinearReLU else out


def _axes(rec):
    axis, ndim = rec.params["axis"], rec.inputs[0].ndim
    if axis is None:
        return list(range(ndim))
    return sorted(int(a) % ndim for a in np.atleast_1d(axis))


_REDUCE = {
    Sum: "ReduceSum", Mean: "ReduceMean", Max: "ReduceMax",
    Min: "ReduceMin", LogSumExp: "ReduceLogSumExp",
}  # fmt: skip


@register(*_REDUCE)
def _reduce(g, rec):
    if rec.inputs[0].data.dtype != rec.output.data.dtype:
        raise ValueError(f"ONNX export: {rec.op.__name__} of a {rec.inputs[0].dtype} tensor")
    return g.reduce(_REDUCE[rec.op], g.name(rec.inputs[0]), _axes(rec), rec.params["keepdims"])


@register(Var, Std)
def _var(g, rec):
    (a,) = rec.inputs
    axes = _axes(rec)
    n = int(np.prod([a.shape[i] for i in axes]))
    x = g.name(a)
    centered = g.node("Sub", [x, g.reduce("ReduceMean", x, axes, True)])
    total = g.reduce("ReduceSum", g.node("Mul", [centered, centered]), axes, rec.params["keepdims"])
    out = g.node("Div", [total, g.scalar_like(max(n - rec.params["ddof"], 0), a)])
    return g.node("Sqrt", [out]) if rec.op is Std else out


@register(Normalize)
def _normalize(g, rec):
    """Fixed statistics (batch norm in evaluation) become constants; statistics of the input itself
    (layer norm, batch norm in training) are recomputed in the graph over ``stat_axes``."""
    x, *params = rec.inputs
    p = rec.params
    xn = g.name(x)
    if p["batch_stats"]:
        if p.get("eps") is None:
            raise ValueError("ONNX export: Normalize recorded without its eps")
        axes = list(p["stat_axes"])
        mean = g.reduce("ReduceMean", xn, axes, True)
        centered = g.node("Sub", [xn, mean])
        var = g.reduce("ReduceMean", g.node("Mul", [centered, centered]), axes, True)
        std = g.node("Sqrt", [g.node("Add", [var, g.scalar_like(p["eps"], x)])])
        out = g.node("Div", [centered, std])
    else:
        dtype = x.data.dtype
        mean = g.const(np.asarray(p["mean"], dtype=dtype), "mean")
        inv_std = g.const(np.asarray(p["inv_std"], dtype=dtype), "inv_std")
        out = g.node("Mul", [g.node("Sub", [xn, mean]), inv_std])
    shape = g.ints(p["param_shape"])
    i = 0
    if p["has_gamma"]:
        out = g.node("Mul", [out, g.node("Reshape", [g.name(params[0]), shape])])
        i = 1
    if p["has_beta"]:
        out = g.node("Add", [out, g.node("Reshape", [g.name(params[i]), shape])])
    return out
