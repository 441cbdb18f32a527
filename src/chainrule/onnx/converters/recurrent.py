"""Converters for the whole-sequence recurrent ops (``rnn``, ``lstm``, ``gru``) → ONNX RNN/LSTM/GRU.

The op packs its result as (T + k, N, H): the outputs, then the k final states; the ONNX node's
Y / Y_h / Y_c are packed the same way, so the slices the op's callers take convert as they are.
Weights arrive as column blocks (I, G·H) in chainrule's gate order; ONNX wants (1, G·H, I) rows in
its own order (LSTM i, o, f, c; GRU z, r, h), so each is transposed and its gate blocks reordered.
"""

from __future__ import annotations

import numpy as np

from ...ops.recurrent_kernels import GRUSequence, LSTMSequence, RNNSequence
from ..graph import GraphBuilder, register

# chainrule's gate blocks, listed in ONNX's order
_LSTM_ORDER = [0, 3, 1, 2]  # i, f, g, o → i, o, f, g
_GRU_ORDER = {"rzn": [1, 0, 2], "zrn": [0, 1, 2]}  # → z, r, n


def _reorder_rows(g: GraphBuilder, w: str, order: list[int]) -> str:
    """(G·H, …) rows in blocks of H, reordered to ``order``."""
    if order == sorted(order):
        return w
    extra = {"num_outputs": len(order)} if g.opset >= 18 else {}
    parts = g.node("Split", [w], n_out=len(order), axis=0, **extra)
    return g.node("Concat", [parts[i] for i in order], axis=0)


def _onnx_weight(g, w, order) -> str:
    """(in, G·H) column blocks → (1, G·H, in) in ONNX's gate order."""
    t = g.node("Transpose", [g.name(w)], perm=[1, 0])
    return g.node("Unsqueeze", [_reorder_rows(g, t, order), g.ints([0], "axes")])


def _is_zero_constant(g, t) -> bool:
    return not g.has(t) and not getattr(t, "requires_grad", False) and not np.any(t.data)


@register(LSTMSequence, GRUSequence, RNNSequence)
def _recurrent(g, rec):
    op, p = rec.op, rec.params
    name = op.__name__.replace("Sequence", "")
    if p["mask"] is not None:
        raise ValueError(f"ONNX export: {name} with a mask (ONNX carries no per-step masking)")
    k = op.n_states
    x, states, rest = rec.inputs[0], rec.inputs[1 : 1 + k], rec.inputs[1 + k :]
    if p["projected"]:
        w_ih, (w_hh, *biases) = None, rest
    else:
        w_ih, w_hh, *biases = rest
    H = w_hh.shape[0]
    gates = w_hh.shape[1] // H
    if op is LSTMSequence:
        order, onnx_op, attrs = _LSTM_ORDER, "LSTM", {}
    elif op is GRUSequence:
        order, onnx_op, attrs = _GRU_ORDER[p["gate_order"]], "GRU", {"linear_before_reset": 1}
    else:
        act = {"tanh": "Tanh", "relu": "Relu"}[p["nonlinearity"]]
        order, onnx_op, attrs = [0], "RNN", {"activations": [act]}
    dtype = x.data.dtype
    if w_ih is None:  # x is already x·w_ih: the input weight is a permutation of the gate blocks
        eye = (
            np.eye(gates * H, dtype=dtype)
            .reshape(gates, H, gates * H)[order]
            .reshape(gates * H, -1)
        )
        W = g.const(eye[None], "w_identity")
    else:
        W = _onnx_weight(g, w_ih, order)
    R = _onnx_weight(g, w_hh, order)
    if biases:
        bs = [_reorder_rows(g, g.name(b), order) for b in biases] + [
            g.const(np.zeros(gates * H, dtype=dtype), "zero_bias")
        ] * (2 - len(biases))
        B = g.node("Unsqueeze", [g.node("Concat", bs, axis=0), g.ints([0], "axes")])
    else:
        B = ""
    ins = [g.name(x), W, R, B, ""]  # no sequence_lens
    for s in states:
        ins.append(
            "" if _is_zero_constant(g, s) else g.node("Unsqueeze", [g.name(s), g.ints([0], "axes")])
        )
    while ins and ins[-1] == "":
        ins.pop()
    outs = g.node(onnx_op, ins, n_out=1 + k, hidden_size=int(H), **attrs)
    y = g.node("Squeeze", [outs[0], g.ints([1], "axes")])  # (T, 1, N, H) → (T, N, H)
    return g.node("Concat", [y, *outs[1:]], axis=0)  # finals are (1, N, H) already
