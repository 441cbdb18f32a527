"""Converters for elementwise arithmetic and activations (one ONNX node or a short chain each)."""

from __future__ import annotations

import math

import numpy as np

from ...ops.activation import (
    ELU,
    GELU,
    SELU,
    HardSigmoid,
    HardSwish,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
)
from ...ops.elementwise import (
    Abs,
    Add,
    AsType,
    ClampTensor,
    Clip,
    Cos,
    Div,
    Exp,
    Log,
    Maximum,
    Minimum,
    Mul,
    Neg,
    Pow,
    PowScalar,
    Sin,
    Sqrt,
    Sub,
    Where,
)
from ...ops.numpy_api import _Cumsum, _Expm1, _Log1p, _Tile
from ..graph import GraphBuilder, register

_SAME = {
    Add: "Add", Sub: "Sub", Mul: "Mul", Div: "Div", Pow: "Pow",
    Maximum: "Max", Minimum: "Min", Neg: "Neg", Exp: "Exp", Log: "Log",
    Sqrt: "Sqrt", Abs: "Abs", Sin: "Sin", Cos: "Cos",
    ReLU: "Relu", Sigmoid: "Sigmoid", Tanh: "Tanh", Softsign: "Softsign",
    SELU: "Selu",
}  # fmt: skip


@register(*_SAME)
def _same(g: GraphBuilder, rec) -> str:
    return g.node(_SAME[rec.op], [g.name(t) for t in rec.inputs])


@register(PowScalar)
def _pow_scalar(g, rec):
    (a,) = rec.inputs
    return g.node("Pow", [g.name(a), g.scalar_like(rec.params["p"], a)])


@register(Clip)
def _clip(g, rec):
    (a,) = rec.inputs
    lo, hi = rec.params["lo"], rec.params["hi"]
    ins = [g.name(a), "" if lo is None else g.scalar_like(lo, a)]
    if hi is not None:
        ins.append(g.scalar_like(hi, a))
    return g.node("Clip", ins)


@register(ClampTensor)
def _clamp_tensor(g, rec):
    a, *bounds = rec.inputs
    out, i = g.name(a), 0
    if rec.params["has_lo"]:
        out, i = g.node("Max", [out, g.name(bounds[0])]), 1
    if rec.params["has_hi"]:
        out = g.node("Min", [out, g.name(bounds[i])])
    return out


@register(Where)
def _where(g, rec):
    a, b = rec.inputs
    cond = g.const(np.asarray(rec.params["cond"], dtype=bool), "cond")
    return g.node("Where", [cond, g.name(a), g.name(b)])


@register(AsType)
def _astype(g, rec):
    from onnx import helper

    to = helper.np_dtype_to_tensor_dtype(np.dtype(rec.output.data.dtype))
    return g.node("Cast", [g.name(rec.inputs[0])], to=to)


@register(_Log1p)
def _log1p(g, rec):
    (a,) = rec.inputs
    return g.node("Log", [g.node("Add", [g.name(a), g.scalar_like(1, a)])])


@register(_Expm1)
def _expm1(g, rec):
    (a,) = rec.inputs
    return g.node("Sub", [g.node("Exp", [g.name(a)]), g.scalar_like(1, a)])


@register(LeakyReLU)
def _leaky(g, rec):
    return g.node("LeakyRelu", [g.name(rec.inputs[0])], alpha=float(rec.params["slope"]))


@register(ELU)
def _elu(g, rec):
    return g.node("Elu", [g.name(rec.inputs[0])], alpha=float(rec.params["alpha"]))


@register(GELU)
def _gelu(g, rec):
    (a,) = rec.inputs
    x = g.name(a)
    tanh = rec.params["approximate"] == "tanh"
    if g.opset >= 20:
        return g.node("Gelu", [x], approximate="tanh" if tanh else "none")
    half_x = g.node("Mul", [x, g.scalar_like(0.5, a)])
    if tanh:  # 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Add", [x, g.node("Mul", [cube, g.scalar_like(0.044715, a)])])
        t = g.node("Tanh", [g.node("Mul", [inner, g.scalar_like(math.sqrt(2 / math.pi), a)])])
    else:  # 0.5·x·(1 + erf(x/√2))
        t = g.node("Erf", [g.node("Mul", [x, g.scalar_like(1 / math.sqrt(2), a)])])
    return g.node("Mul", [half_x, g.node("Add", [t, g.scalar_like(1, a)])])


@register(Softplus)
def _softplus(g, rec):
    (a,) = rec.inputs
    x, beta = g.name(a), rec.params["beta"]
    z = g.node("Mul", [x, g.scalar_like(beta, a)])
    soft = g.node("Div", [g.node("Softplus", [z]), g.scalar_like(beta, a)])
    linear = g.node("Greater", [z, g.scalar_like(rec.params["threshold"], a)])
    return g.node("Where", [linear, x, soft])


@register(Softmax, LogSoftmax)
def _softmax(g, rec):
    op = "Softmax" if rec.op is Softmax else "LogSoftmax"
    return g.node(op, [g.name(rec.inputs[0])], axis=int(rec.params["axis"]))


@register(SiLU)
def _silu(g, rec):
    x = g.name(rec.inputs[0])
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


@register(HardSigmoid)
def _hard_sigmoid(g, rec):  # clip(x/6 + 1/2, 0, 1)
    return g.node("HardSigmoid", [g.name(rec.inputs[0])], alpha=1 / 6, beta=0.5)


@register(HardSwish)
def _hard_swish(g, rec):
    return g.node("HardSwish", [g.name(rec.inputs[0])])


@register(_Cumsum)
def _cumsum(g, rec):
    (a,) = rec.inputs
    x, axis = g.name(a), rec.params["axis"]
    if axis is None:  # over the flattened array
        x, axis = g.node("Reshape", [x, g.ints([-1])]), 0
    return g.node(
        "CumSum", [x, g.const(np.asarray(int(axis) % max(a.ndim, 1), dtype=np.int64), "axis")]
    )


@register(_Tile)
def _tile(g, rec):
    (a,) = rec.inputs
    reps = [int(r) for r in rec.params["reps"]]
    x = g.name(a)
    if len(reps) > a.ndim:  # np.tile first prepends unit axes
        x = g.node("Unsqueeze", [x, g.ints(range(len(reps) - a.ndim), "axes")])
    reps = [1] * (max(a.ndim, len(reps)) - len(reps)) + reps
    return g.node("Tile", [x, g.ints(reps, "repeats")])
