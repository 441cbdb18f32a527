"""nn.RNN/LSTM/GRU, the cells, nn.Embedding and nn.utils.rnn against torch with copied state dicts."""

import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as trnn

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.nn.utils import rnn as crnn

TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 1e-5, "atol": 1e-5}}
TDT = {np.float64: torch.float64, np.float32: torch.float32}


def _copy(ours, theirs):
    res = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()},
                               strict=True)  # fmt: skip
    assert res.missing_keys == [] and res.unexpected_keys == []


def _pair(kind, dtype, *args, **kw):
    torch.manual_seed(0)
    ref = getattr(torch.nn, kind)(*args, **kw).to(TDT[dtype])
    ours = getattr(nn, kind)(*args, **kw, dtype=dtype)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for k, v in ref.state_dict().items():
        assert ours.state_dict()[k].shape == tuple(v.shape), k
    _copy(ours, ref)
    return ours, ref


def _close(a, b, dtype, what=""):
    a = a.data if isinstance(a, cr.Tensor) else a
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    assert a.dtype == b.dtype, what
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def _flat(out):
    if isinstance(out, tuple):
        return [t for o in out for t in _flat(o)]
    return [out]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kind,kw",
    [
        ("LSTM", {}),
        ("GRU", {"batch_first": True}),
        ("RNN", {"nonlinearity": "relu"}),
        ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
        ("GRU", {"num_layers": 3, "bidirectional": True, "bias": False}),
        ("RNN", {"num_layers": 2, "bidirectional": True}),
    ],
)
@pytest.mark.parametrize("with_state", [False, True])
def test_recurrent_modules_match_torch(kind, kw, dtype, with_state):
    T, N, I, H = 5, 3, 4, 6
    ours, ref = _pair(kind, dtype, I, H, **kw)
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((N, T, I) if kw.get("batch_first") else (T, N, I)).astype(dtype)
    LD = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    states = rng.standard_normal((2, LD, N, H)).astype(dtype)
    tx, ox = torch.tensor(x_np, requires_grad=True), cr.tensor(x_np, requires_grad=True)
    if with_state:
        t_st = [torch.tensor(s, requires_grad=True) for s in states]
        o_st = [cr.tensor(s, requires_grad=True) for s in states]
        targ = (t_st[0], t_st[1]) if kind == "LSTM" else t_st[0]
        oarg = (o_st[0], o_st[1]) if kind == "LSTM" else o_st[0]
        t_out, o_out = _flat(ref(tx, targ)), _flat(ours(ox, oarg))
    else:
        t_out, o_out = _flat(ref(tx)), _flat(ours(ox))
    assert len(t_out) == len(o_out)
    t_loss, o_loss = 0, 0
    for i, (a, b) in enumerate(zip(o_out, t_out)):
        _close(a, b, dtype, f"output {i}")
        w = rng.standard_normal(b.shape)
        t_loss = t_loss + (b * torch.tensor(w, dtype=b.dtype)).sum()
        o_loss = o_loss + (a * cr.tensor(w.astype(dtype))).sum()
    t_loss.backward()
    o_loss.backward()
    _close(ox.grad, tx.grad, dtype, "dx")
    for name, p in ref.named_parameters():
        _close(getattr(ours, name).grad, p.grad, dtype, "d" + name)
    if with_state:
        n = 2 if kind == "LSTM" else 1
        for a, b in zip(o_st[:n], t_st[:n]):
            _close(a.grad, b.grad, dtype, "d state")


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_unbatched_input_and_eval_mode(kind):
    ours, ref = _pair(kind, np.float32, 3, 4, num_layers=2, dropout=0.5)
    ours.eval(), ref.eval()
    x = np.random.default_rng(0).standard_normal((7, 3)).astype(np.float32)
    for a, b in zip(_flat(ours(cr.tensor(x))), _flat(ref(torch.tensor(x)))):
        assert a.shape == tuple(b.shape)
        _close(a, b, np.float32)


def test_dropout_between_layers_only_in_training():
    cr.manual_seed(0)
    m = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = cr.randn(5, 2, 3)
    m.eval()
    a = m(x)[0].numpy()
    assert np.array_equal(a, m(x)[0].numpy())
    m.train()
    assert not np.allclose(m(x)[0].numpy(), a)
    m1 = nn.LSTM(3, 4, num_layers=1, dropout=0.5)  # one layer: nothing to drop between
    m1.train()
    assert np.array_equal(m1(x)[0].numpy(), m1.eval()(x)[0].numpy())


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_packed_sequences_match_torch(kind, enforce_sorted):
    dtype = np.float64
    ours, ref = _pair(kind, dtype, 3, 4, num_layers=2, bidirectional=True, batch_first=True)
    lengths = [6, 4, 4, 1] if enforce_sorted else [2, 6, 1, 5]
    x = np.random.default_rng(1).standard_normal((4, 6, 3))
    tx, ox = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    tp = trnn.pack_padded_sequence(tx, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    op = crnn.pack_padded_sequence(ox, lengths, batch_first=True, enforce_sorted=enforce_sorted)
    _close(op.data, tp.data, dtype, "packed data")
    np.testing.assert_array_equal(op.batch_sizes.numpy(), tp.batch_sizes.numpy())
    t_out, t_h = ref(tp)
    o_out, o_h = ours(op)
    ty, tl = trnn.pad_packed_sequence(t_out, batch_first=True, padding_value=-1.0)
    oy, ol = crnn.pad_packed_sequence(o_out, batch_first=True, padding_value=-1.0)
    _close(oy, ty, dtype, "padded output")
    np.testing.assert_array_equal(ol.numpy(), tl.numpy())
    for a, b in zip(_flat(o_h), _flat(t_h)):
        _close(a, b, dtype, "final state")
    w = np.random.default_rng(2).standard_normal(ty.shape)
    ((ty * torch.tensor(w)).sum() + sum(h.sum() for h in _flat(t_h))).backward()
    ((oy * cr.tensor(w)).sum() + sum(h.sum() for h in _flat(o_h))).backward()
    _close(ox.grad, tx.grad, dtype, "dx")
    with pytest.raises(RuntimeError, match="sorted in decreasing"):
        crnn.pack_padded_sequence(ox, [1, 6, 2, 3], batch_first=True)


@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_torch(kind, batched):
    dtype = np.float64
    ours, ref = _pair(kind, dtype, 3, 5)
    rng = np.random.default_rng(0)
    shp = (4, 3) if batched else (3,)
    hs = (4, 5) if batched else (5,)
    x = rng.standard_normal(shp)
    h, c = rng.standard_normal(hs), rng.standard_normal(hs)
    tx, ox = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    targ = (torch.tensor(h), torch.tensor(c)) if kind == "LSTMCell" else torch.tensor(h)
    oarg = (cr.tensor(h), cr.tensor(c)) if kind == "LSTMCell" else cr.tensor(h)
    for t_hx, o_hx in ((None, None), (targ, oarg)):
        t_out, o_out = _flat(ref(tx, t_hx)), _flat(ours(ox, o_hx))
        for a, b in zip(o_out, t_out):
            _close(a, b, dtype)
    sum(t.sum() for t in t_out).backward()
    sum(o.sum() for o in o_out).backward()
    _close(ox.grad, tx.grad, dtype)
    _close(ours.weight_hh.grad, ref.weight_hh.grad, dtype)
    with pytest.raises(ValueError, match=kind):
        ours(cr.zeros(4, 2))


def test_recurrent_bad_input_names_the_module():
    m = nn.GRU(3, 4)
    with pytest.raises(ValueError, match=r"GRU: input.size\(-1\).*Expected 3, got 5"):
        m(cr.zeros(2, 2, 5))
    with pytest.raises(ValueError, match=r"GRU: expected h_0 of shape \(1, 2, 4\)"):
        m(cr.zeros(6, 2, 3), cr.zeros(2, 2, 4))
    with pytest.raises(TypeError, match="LSTM: hx must be a tuple"):
        nn.LSTM(3, 4)(cr.zeros(6, 2, 3), cr.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="RNN: dropout"):
        nn.RNN(3, 4, dropout=1.5)
    with pytest.raises(TypeError, match="LSTM: hidden_size must be an int"):
        nn.LSTM(3, 4.0)
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size=2"):
        nn.LSTM(3, 4, proj_size=2)
    assert nn.LSTM(3, 4, proj_size=0).proj_size == 0
    assert repr(nn.LSTM(3, 4, num_layers=2, batch_first=True)) == repr(
        torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
    )


def test_embedding_matches_torch():
    torch.manual_seed(0)
    ref = torch.nn.Embedding(10, 4, padding_idx=-2).double()
    ours = nn.Embedding(10, 4, padding_idx=-2, dtype=np.float64)
    assert ours.padding_idx == ref.padding_idx == 8
    assert np.all(ours.weight.data[8] == 0) and ours.weight.dtype == np.float64
    assert nn.Embedding(10, 4).weight.dtype == np.float32
    cr.manual_seed(1)
    big = nn.Embedding(1000, 50).weight.data
    assert abs(big.mean()) < 0.02 and abs(big.std() - 1) < 0.02  # N(0, 1)
    _copy(ours, ref)
    idx = np.array([[1, 8, 3], [3, 3, 9]])
    t_out, o_out = ref(torch.tensor(idx)), ours(cr.tensor(idx))
    _close(o_out, t_out, np.float64)
    w = np.random.default_rng(0).standard_normal(t_out.shape)
    (t_out * torch.tensor(w)).sum().backward()
    (o_out * cr.tensor(w)).sum().backward()
    _close(ours.weight.grad, ref.weight.grad, np.float64)
    assert repr(ours) == repr(ref)
    with pytest.raises(ValueError, match=r"Embedding\(10, 4\).*index 10 is out of range"):
        ours(cr.tensor(np.array([10])))
    with pytest.raises(ValueError, match="padding_idx must be within"):
        nn.Embedding(5, 2, padding_idx=5)


def test_embedding_from_pretrained_and_max_norm():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    e = nn.Embedding.from_pretrained(cr.tensor(table))
    assert not e.weight.requires_grad and e.weight.dtype == np.float32
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
    np.testing.assert_array_equal(e(cr.tensor(np.array([2]))).numpy(), table[[2]])
    tt = torch.tensor(table.copy())
    ref = torch.nn.Embedding.from_pretrained(tt, max_norm=5.0)
    ours = nn.Embedding.from_pretrained(table.copy(), max_norm=5.0)
    idx = np.array([0, 2, 2])
    _close(ours(cr.tensor(idx)), ref(torch.tensor(idx)), np.float32)
    _close(ours.weight, ref.weight, np.float32)  # rows 0 and 2 renormalised in place
    wt = torch.tensor(table.copy())
    wo = cr.tensor(table.copy())
    _close(F.embedding(cr.tensor(idx), wo, max_norm=5.0),
           torch.nn.functional.embedding(torch.tensor(idx), wt, max_norm=5.0), np.float32)  # fmt: skip
    _close(wo, wt, np.float32)


def test_pad_sequence_matches_torch():
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2)) for n in (3, 5, 1)]
    for kw in ({}, {"batch_first": True, "padding_value": 7.0}, {"padding_side": "left"}):
        t = trnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        o = crnn.pad_sequence([cr.tensor(s) for s in seqs], **kw)
        _close(o, t, np.float64, str(kw))
    packed = crnn.pack_sequence([cr.tensor(s) for s in seqs], enforce_sorted=False)
    tpacked = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    _close(packed.data, tpacked.data, np.float64)


@pytest.mark.parametrize("causal", [False, True])
def test_functional_sdpa_and_gqa(causal):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in ((2, 4, 5, 8), (2, 2, 5, 8), (2, 2, 5, 3)))
    t = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a) for a in (q, k, v)), is_causal=causal, enable_gqa=True
    )
    o = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
    _close(o, t, np.float64)


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kw,call",
    [
        ({}, {}),
        ({"batch_first": True}, {"need_weights": False}),
        ({"kdim": 3, "vdim": 5}, {"average_attn_weights": False}),
        ({"bias": False, "batch_first": True}, {"causal": True}),
        ({}, {"padding": True, "need_weights": False}),
        ({}, {"padding": True, "float_mask": True}),
        # self-attention (one tensor as query, key and value): the fused in-projection
        ({}, {"self": True}),
        ({"batch_first": True}, {"self": True, "need_weights": False}),
        ({"batch_first": True}, {"self": True, "causal": True, "need_weights": False}),
        ({}, {"self": True, "causal": True, "padding": True}),
        ({"batch_first": True, "bias": False}, {"self": True, "float_mask": True}),
    ],
)
def test_multihead_attention_matches_torch(kw, call, dtype):
    call = dict(call)
    E, h, L, S, N = 8, 2, 4, 5, 3
    same = call.pop("self", False)
    if same:
        S = L = 5
    ours, ref = _pair("MultiheadAttention", dtype, E, h, **kw)
    rng = np.random.default_rng(0)
    bf = kw.get("batch_first", False)

    def shape(T, d):
        return (N, T, d) if bf else (T, N, d)

    causal = call.pop("causal", False)
    arrays = [rng.standard_normal(shape(L, E)), rng.standard_normal(shape(S, kw.get("kdim", E))),
              rng.standard_normal(shape(S, kw.get("vdim", E)))]  # fmt: skip
    arrays = [a.astype(dtype) for a in arrays]
    if causal:
        S = L
        arrays[1], arrays[2] = arrays[1][:, :L] if bf else arrays[1][:L], (
            arrays[2][:, :L] if bf else arrays[2][:L])  # fmt: skip
        call["attn_mask"] = np.triu(np.ones((L, L), bool), 1)
        call["is_causal"] = True
    if call.pop("padding", False):
        kpm = np.zeros((N, S), bool)
        kpm[0, 3:] = True
        kpm[2, 1:] = True
        call["key_padding_mask"] = kpm
    if call.pop("float_mask", False):
        call["attn_mask"] = rng.standard_normal((N * h, L, S)).astype(dtype)
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    o_in = [cr.tensor(a, requires_grad=True) for a in arrays]
    if same:  # self-attention: the very same tensor three times
        t_in, o_in = t_in[:1] * 3, o_in[:1] * 3
    t_call = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in call.items()}
    t_out, t_w = ref(*t_in, **t_call)
    o_out, o_w = ours(*o_in, **call)
    _close(o_out, t_out, dtype, "output")
    if t_w is None:
        assert o_w is None
    else:
        _close(o_w, t_w, dtype, "weights")
    g = rng.standard_normal(t_out.shape)
    (t_out * torch.tensor(g, dtype=t_out.dtype)).sum().backward()
    (o_out * cr.tensor(g.astype(dtype))).sum().backward()
    for a, b in zip(o_in, t_in):
        _close(a.grad, b.grad, dtype, "input grad")
    for name, p in ref.named_parameters():
        _close(ours.get_submodule(name.rsplit(".", 1)[0]).__dict__[name.rsplit(".", 1)[1]].grad
               if "." in name else getattr(ours, name).grad, p.grad, dtype, "d" + name)  # fmt: skip


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_self_attention_gradcheck(batch_first):
    """The fused in-projection of self-attention against finite differences (float64): the
    input and the in-projection weight, with a causal mask."""
    mha = nn.MultiheadAttention(4, 2, batch_first=batch_first, dtype=np.float64)
    mask = np.triu(np.ones((3, 3), bool), 1)
    x = np.random.default_rng(3).standard_normal((2, 3, 4) if batch_first else (3, 2, 4))

    assert cr.gradcheck(lambda x: mha(x, x, x, attn_mask=mask, need_weights=False)[0], [x])
    assert cr.gradcheck(
        lambda w: _with_weight(mha, w)(cr.tensor(x), mask), [mha.in_proj_weight.data.copy()]
    )


def _with_weight(mha, w):
    """``mha``'s self-attention as a function of a given in-projection weight tensor."""

    def call(x, mask):
        saved = mha.in_proj_weight
        mha.in_proj_weight = w
        try:
            return mha(x, x, x, attn_mask=mask, need_weights=False)[0]
        finally:
            mha.in_proj_weight = saved

    return call


def test_multihead_attention_unbatched_and_errors():
    ours, ref = _pair("MultiheadAttention", np.float64, 4, 2)
    x = np.random.default_rng(0).standard_normal((3, 4))
    o, w = ours(x, x, x)
    t, tw = ref(*(torch.tensor(x),) * 3)
    _close(o, t, np.float64)
    _close(w, tw, np.float64)
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(ValueError, match="key_padding_mask must have shape"):
        ours(cr.zeros(3, 2, 4), cr.zeros(3, 2, 4), cr.zeros(3, 2, 4),
             key_padding_mask=np.zeros((2, 4), bool))  # fmt: skip
    with pytest.raises(RuntimeError, match="Need attn_mask"):
        ours(cr.zeros(3, 2, 4), cr.zeros(3, 2, 4), cr.zeros(3, 2, 4), is_causal=True)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_and_decoder_match_torch(norm_first, batch_first, activation):
    """Training mode with dropout 0 (PyTorch's eval fast path zeroes padded positions)."""
    d, nhead, ff, T, S, N = 8, 2, 16, 4, 5, 2
    dtype = np.float64
    kw = {"dim_feedforward": ff, "dropout": 0.0, "batch_first": batch_first,
          "norm_first": norm_first, "activation": activation}  # fmt: skip
    torch.manual_seed(0)
    t_enc = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(d, nhead, **kw), 2,
                                        norm=torch.nn.LayerNorm(d), enable_nested_tensor=False)  # fmt: skip
    t_dec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(d, nhead, **kw), 2)
    t_enc, t_dec = t_enc.double(), t_dec.double()
    o_enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, nhead, **kw, dtype=dtype), 2,
                                  norm=nn.LayerNorm(d, dtype=dtype))  # fmt: skip
    o_dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(d, nhead, **kw, dtype=dtype), 2)
    assert list(o_enc.state_dict()) == list(t_enc.state_dict())
    assert list(o_dec.state_dict()) == list(t_dec.state_dict())
    _copy(o_enc, t_enc)
    _copy(o_dec, t_dec)
    rng = np.random.default_rng(0)
    src = rng.standard_normal((N, S, d) if batch_first else (S, N, d))
    tgt = rng.standard_normal((N, T, d) if batch_first else (T, N, d))
    kpm = np.zeros((N, S), bool)
    kpm[1, 3:] = True
    causal = np.triu(np.ones((T, T), bool), 1)
    ts, tt = torch.tensor(src, requires_grad=True), torch.tensor(tgt, requires_grad=True)
    os_, ot = cr.tensor(src, requires_grad=True), cr.tensor(tgt, requires_grad=True)
    t_mem = t_enc(ts, src_key_padding_mask=torch.tensor(kpm))
    o_mem = o_enc(os_, src_key_padding_mask=kpm)
    _close(o_mem, t_mem, dtype, "encoder")
    t_out = t_dec(tt, t_mem, tgt_mask=torch.tensor(causal), tgt_is_causal=True,
                  memory_key_padding_mask=torch.tensor(kpm))  # fmt: skip
    o_out = o_dec(ot, o_mem, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=kpm)
    _close(o_out, t_out, dtype, "decoder")
    g = rng.standard_normal(t_out.shape)
    (t_out * torch.tensor(g)).sum().backward()
    (o_out * cr.tensor(g)).sum().backward()
    _close(os_.grad, ts.grad, dtype, "d src")
    _close(ot.grad, tt.grad, dtype, "d tgt")
    ours = dict(o_enc.named_parameters())
    for name, p in t_enc.named_parameters():
        _close(ours[name].grad, p.grad, dtype, name)
