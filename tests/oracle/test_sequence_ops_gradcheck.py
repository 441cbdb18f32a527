"""Finite differences in float64 for the sequence ops, plus their dtype, error and graph behaviour."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops import embedding, gru, lstm, rnn, scaled_dot_product_attention

T, N, I, H = 4, 3, 2, 3
MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 1, 0, 1]], dtype=bool)  # with holes


def shapes(gates):
    return [(T, N, I), (I, gates * H), (H, gates * H), (gates * H,), (gates * H,), (N, H)]


def arrays(specs, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) * 0.7 for s in specs]


OPS = {
    "rnn_tanh": (1, lambda *a, **kw: rnn(*a, **kw)),
    "rnn_relu": (1, lambda *a, **kw: rnn(*a, nonlinearity="relu", **kw)),
    "lstm": (4, lambda x, wi, wh, bi, bh, h0, c0, **kw: lstm(x, wi, wh, bi, bh, h0, c0, **kw)),
    "gru": (3, lambda *a, **kw: gru(*a, **kw)),
    "gru_keras_order": (3, lambda *a, **kw: gru(*a, gate_order="zrn", **kw)),
}


@pytest.mark.parametrize("masked", [None, "carry", "zero"])
@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck_recurrent(name, masked):
    gates, op = OPS[name]
    specs = shapes(gates) + ([(N, H)] if name == "lstm" else [])
    kw = {}
    if masked:
        kw = {"mask": MASK, "zero_output_for_mask": masked == "zero"}
    assert cr.gradcheck(lambda *a: op(*a, **kw), arrays(specs), atol=1e-6, rtol=1e-5)


def test_gradcheck_without_biases_or_states():
    x, wi, wh = arrays([(T, N, I), (I, 4 * H), (H, 4 * H)])
    assert cr.gradcheck(lambda x, wi, wh: lstm(x, wi, wh), [x, wi, wh])
    x, wi, wh = arrays([(T, N, I), (I, 3 * H), (H, 3 * H)])
    assert cr.gradcheck(lambda x, wi, wh: gru(x, wi, wh), [x, wi, wh])
    b = arrays([(3 * H,)])[0]  # only one GRU bias: the other is zeros
    assert cr.gradcheck(lambda x, wi, wh, b: gru(x, wi, wh, None, b), [x, wi, wh, b])


def test_gradcheck_attention_and_embedding():
    q, k, v, fm = arrays([(2, 2, 3, 2), (2, 2, 4, 2), (2, 2, 4, 3), (3, 4)])
    assert cr.gradcheck(lambda q, k, v: scaled_dot_product_attention(q, k, v, is_causal=True),
                        [q, k, v])  # fmt: skip
    assert cr.gradcheck(lambda q, k, v, m: scaled_dot_product_attention(q, k, v, attn_mask=m),
                        [q, k, v, fm])  # fmt: skip
    w = arrays([(5, 3)])[0]
    idx = np.array([[0, 4, 4], [2, 0, 1]])
    assert cr.gradcheck(lambda w: embedding(idx, w), [w])


@pytest.mark.parametrize("name", list(OPS))
def test_float32_stays_float32(name):
    gates, op = OPS[name]
    specs = shapes(gates) + ([(N, H)] if name == "lstm" else [])
    ts = [cr.Tensor(a.astype(np.float32), requires_grad=True) for a in arrays(specs)]
    outs = op(*ts, mask=MASK)
    loss = outs[0].sum()
    for o in outs[1:]:
        loss = loss + o.sum()
    loss.backward()
    assert all(o.dtype == np.float32 for o in outs)
    assert all(t.grad.dtype == np.float32 for t in ts)


@pytest.mark.parametrize("name", ["rnn_tanh", "lstm", "gru"])
def test_backward_twice_with_retain_graph_and_unused_outputs(name):
    gates, op = OPS[name]
    specs = shapes(gates) + ([(N, H)] if name == "lstm" else [])
    ts = [cr.Tensor(a, requires_grad=True) for a in arrays(specs)]
    out = op(*ts, mask=MASK)[1]  # only the final state feeds the loss
    loss = (out * out).sum()
    loss.backward(retain_graph=True)
    first = [t.grad.copy() for t in ts]
    loss.backward()
    for f, t in zip(first, ts):
        np.testing.assert_allclose(t.grad, 2 * f, rtol=1e-12)


def test_recurrent_errors_name_the_op_and_shapes():
    x = cr.randn(T, N, I)
    wi, wh = cr.randn(I, 4 * H), cr.randn(H, 4 * H)
    with pytest.raises(ValueError, match=r"lstm: x must be time-major \(T, N, input_size\)"):
        lstm(cr.randn(N, I), wi, wh)
    with pytest.raises(ValueError, match=r"lstm: w_ih must have shape .*\(2, 12\).*got \(3, 12\)"):
        lstm(x, cr.randn(3, 4 * H), wh)
    with pytest.raises(ValueError, match=r"gru: w_hh must have shape \(H, 3·H\), got \(3, 12\)"):
        gru(x, cr.randn(I, 9), wh)
    with pytest.raises(ValueError, match=r"lstm: b_ih must have shape \(12,\), got \(3,\)"):
        lstm(x, wi, wh, cr.randn(3))
    with pytest.raises(ValueError, match=r"lstm: c0 must have shape \(N, H\) = \(3, 3\)"):
        lstm(x, wi, wh, c0=cr.randn(2, 3))
    with pytest.raises(ValueError, match=r"rnn: mask must have shape \(N, T\) = \(3, 4\)"):
        rnn(x, cr.randn(I, H), cr.randn(H, H), mask=np.ones((T, N), bool))
    with pytest.raises(TypeError, match="lstm: w_hh has dtype float64 but x has float32"):
        lstm(x, wi, cr.Tensor(wh.data.astype(np.float64)))
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn(x, cr.randn(I, H), cr.randn(H, H), nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="gate_order"):
        gru(x, cr.randn(I, 3 * H), cr.randn(H, 3 * H), gate_order="irn")
    with pytest.raises(ValueError, match="no time steps"):
        lstm(cr.randn(0, N, I), wi, wh)


@pytest.mark.parametrize("name", ["rnn_tanh", "lstm", "gru", "gru_keras_order"])
def test_projected_input_equals_the_full_op(name):
    """w_ih=None with x = embedding(tokens, table @ w_ih): the same outputs and the same gradients
    for the table, w_ih, w_hh and the biases as embedding followed by the full op."""
    gates, op = OPS[name]
    tokens = np.array([[0, 3, 3], [2, 1, 0], [4, 4, 4], [1, 0, 2]])  # (T, N)
    table, wi, wh, bi, bh = arrays([(5, I), (I, gates * H), (H, gates * H), (gates * H,),
                                    (gates * H,)])  # fmt: skip
    extra = [None] if name == "lstm" else []  # c0
    results = []
    for projected in (False, True):
        ts = [cr.Tensor(a, requires_grad=True) for a in (table, wi, wh, bi, bh)]
        if projected:
            x, w = embedding(tokens, ts[0] @ ts[1]), None
        else:
            x, w = embedding(tokens, ts[0]), ts[1]
        outs = op(x, w, ts[2], ts[3], ts[4], None, *extra, mask=MASK)
        loss = outs[0].sum() * 0
        for k, o in enumerate(outs):
            loss = loss + (o * (k + 1.5)).sum() + (o * o).sum()
        loss.backward()
        results.append(([o.data for o in outs], [t.grad for t in ts]))
    for a, b in zip(results[0][0] + results[0][1], results[1][0] + results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-12)


def test_gradcheck_projected_input():
    x, wh, b = arrays([(T, N, 4 * H), (H, 4 * H), (4 * H,)])
    assert cr.gradcheck(lambda x, wh, b: lstm(x, None, wh, b, mask=MASK), [x, wh, b])
    x, wh, b = arrays([(T, N, 3 * H), (H, 3 * H), (3 * H,)])
    assert cr.gradcheck(lambda x, wh, b: gru(x, None, wh, b, b), [x, wh, b])
    with pytest.raises(ValueError, match=r"lstm: with w_ih=None, x must be the projected input"):
        lstm(cr.randn(T, N, 3 * H), None, cr.randn(H, 4 * H))
