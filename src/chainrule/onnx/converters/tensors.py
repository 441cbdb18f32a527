"""Converters for shape ops, indexing, embedding lookup and attention."""

from __future__ import annotations

import numpy as np

from ...ops.attention import ScaledDotProductAttention
from ...ops.embedding import Embedding
from ...ops.shape import BroadcastTo, Concatenate, GetItem, Pad, Reshape, Stack, Transpose
from ..graph import GraphBuilder, register


def _batch_shape(g: GraphBuilder, rec, target) -> list[int]:
    """``target`` with a batch-sized leading entry written as 0 (copy the input's dimension), so a
    reshape keeps working for any batch size when the batch axis is dynamic."""
    target = [int(s) for s in target]
    x = rec.inputs[0]
    if g.batch is not None and target and x.ndim and x.shape[0] == g.batch == target[0]:
        target[0] = 0
    return target


@register(Reshape)
def _reshape(g, rec):
    target = _batch_shape(g, rec, rec.output.shape)
    return g.node("Reshape", [g.name(rec.inputs[0]), g.ints(target)])


@register(Transpose)
def _transpose(g, rec):
    (a,) = rec.inputs
    axes = rec.params["axes"]
    perm = list(reversed(range(a.ndim))) if axes is None else [int(i) % a.ndim for i in axes]
    return g.node("Transpose", [g.name(a)], perm=perm)


@register(BroadcastTo)
def _broadcast_to(g, rec):
    (a,) = rec.inputs
    target = list(rec.output.shape)
    if g.batch is not None and a.ndim == len(target) and a.shape[0] == target[0] == g.batch:
        target[0] = 1  # Expand broadcasts both ways: 1 keeps the input's (dynamic) batch
    return g.node("Expand", [g.name(a), g.ints(target)])


@register(Concatenate)
def _concat(g, rec):
    axis = int(rec.params["axis"]) % rec.output.ndim
    return g.node("Concat", [g.name(t) for t in rec.inputs], axis=axis)


@register(Stack)
def _stack(g, rec):
    axis = int(rec.params["axis"]) % rec.output.ndim
    parts = [g.node("Unsqueeze", [g.name(t), g.ints([axis], "axes")]) for t in rec.inputs]
    return g.node("Concat", parts, axis=axis)


@register(Pad)
def _pad(g, rec):
    (a,) = rec.inputs
    widths = np.broadcast_to(np.asarray(rec.params["pad_width"], dtype=np.int64), (a.ndim, 2))
    pads = g.ints(list(widths[:, 0]) + list(widths[:, 1]), "pads")
    value = g.scalar_like(rec.params["value"], a)
    return g.node("Pad", [g.name(a), pads, value], mode="constant")


@register(GetItem)
def _getitem(g, rec):
    """Basic indexing (ints, slices, ``None``, ``...``) → Slice, Squeeze, Unsqueeze."""
    (a,) = rec.inputs
    index = rec.params["index"]
    index = index if isinstance(index, tuple) else (index,)
    if any(not isinstance(i, (int, np.integer, slice, type(None), type(Ellipsis))) for i in index):
        raise ValueError(
            f"ONNX export: GetItem supports ints, slices, None and ... only, got index {index!r}"
        )
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if Ellipsis in index:
        k = index.index(Ellipsis)
        index = index[:k] + (slice(None),) * (a.ndim - n_real) + index[k + 1 :]
    index = index + (slice(None),) * (a.ndim - sum(1 for i in index if i is not None))
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out_dim = 0
    for i in index:
        if i is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        size = a.shape[dim]
        if isinstance(i, slice):
            if i != slice(None):
                start, stop, step = i.indices(size)
                if step < 0 and stop < 0:
                    stop = -(2**62)
                starts, ends, axes, steps = (
                    starts + [start],
                    ends + [stop],
                    axes + [dim],
                    steps + [step],
                )
            out_dim += 1
        else:
            j = int(i) % size
            starts, ends, axes, steps = starts + [j], ends + [j + 1], axes + [dim], steps + [1]
            squeeze.append(dim)
        dim += 1
    out = g.name(a)
    if axes:
        ins = [g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)]
        out = g.node("Slice", [out, *ins])
    if squeeze:
        out = g.node("Squeeze", [out, g.ints(squeeze, "axes")])
    if unsqueeze:
        out = g.node("Unsqueeze", [out, g.ints(unsqueeze, "axes")])
    return out


@register(Embedding)
def _embedding(g, rec):
    (weight,) = rec.inputs
    indices = g.index_input(rec.params["indices"])
    return g.node("Gather", [g.name(weight), indices], axis=0)


@register(ScaledDotProductAttention)
def _attention(g, rec):
    """softmax(q·kᵀ·scale + mask) · v; a boolean ``blocked`` mask becomes −∞ (no dropout here)."""
    q, k, v, *mask = rec.inputs
    p = rec.params
    if p["dropout_p"]:
        raise ValueError("ONNX export: scaled_dot_product_attention with dropout_p > 0")
    kt = g.node("Transpose", [g.name(k)], perm=[*range(k.ndim - 2), k.ndim - 1, k.ndim - 2])
    s = g.node("Mul", [g.node("MatMul", [g.name(q), kt]), g.scalar_like(p["scale"], q)])
    if mask:
        s = g.node("Add", [s, g.name(mask[0])])
    if p["blocked"] is not None:
        blocked = g.const(np.asarray(p["blocked"], dtype=bool), "blocked")
        s = g.node("Where", [blocked, g.scalar_like(-np.inf, q), s])
    return g.node("MatMul", [g.node("Softmax", [s], axis=-1), g.name(v)])
