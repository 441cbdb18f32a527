"""Keras-door MultiHeadAttention, position embeddings and Transformer blocks: against
torch.nn.MultiheadAttention / TransformerEncoderLayer / TransformerDecoderLayer with copied
weights, masks, configs and saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as keras
from chainrule import layers

TOL = {"rtol": 2e-5, "atol": 2e-5}


def _load_mha(ours: layers.MultiHeadAttention, ref: torch.nn.MultiheadAttention):
    """torch (E, E) projections → Keras einsum kernels (E, h, d); out_proj → (h, d, E)."""
    h, d = ours.num_heads, ours.key_dim
    W = ref.in_proj_weight.detach().numpy()
    b = ref.in_proj_bias.detach().numpy()
    E = W.shape[1]
    for i, name in enumerate(("query", "key", "value")):
        getattr(ours, f"{name}_kernel").data[...] = W[i * E : (i + 1) * E].T.reshape(E, h, d)
        getattr(ours, f"{name}_bias").data[...] = b[i * E : (i + 1) * E].reshape(h, d)
    ours.output_kernel.data[...] = ref.out_proj.weight.detach().numpy().T.reshape(h, d, E)
    ours.output_bias.data[...] = ref.out_proj.bias.detach().numpy()


def _mha_pair(E=8, h=2):
    torch.manual_seed(0)
    ref = torch.nn.MultiheadAttention(E, h, batch_first=True)
    with torch.no_grad():
        ref.in_proj_bias.normal_()
        ref.out_proj.bias.normal_()
    ours = layers.MultiHeadAttention(h, E // h)
    return ours, ref


@pytest.mark.parametrize("mode", ["plain", "causal", "mask", "padding"])
def test_multi_head_attention_matches_torch(mode):
    B, T, S, E = 2, 4, 5, 8
    ours, ref = _mha_pair(E)
    rng = np.random.default_rng(0)
    q = rng.standard_normal((B, T, E)).astype(np.float32)
    v = rng.standard_normal((B, S if mode != "causal" else T, E)).astype(np.float32)
    ours(q, v)  # build
    _load_mha(ours, ref)
    Sv = v.shape[1]
    kw, tkw = {}, {}
    if mode == "causal":
        kw["use_causal_mask"] = True
        tkw["attn_mask"] = torch.tensor(np.triu(np.ones((T, T), bool), 1))
    elif mode == "mask":
        allowed = rng.random((B, T, Sv)) < 0.7
        allowed[..., 0] = True
        kw["attention_mask"] = allowed
        tkw["attn_mask"] = torch.tensor(np.repeat(~allowed, 2, axis=0))
    elif mode == "padding":
        vm = np.ones((B, Sv), bool)
        vm[1, 2:] = False
        kw["value_mask"] = vm
        tkw["key_padding_mask"] = torch.tensor(~vm)
    tq, tv = torch.tensor(q, requires_grad=True), torch.tensor(v, requires_grad=True)
    t_out, t_w = ref(tq, tv, tv, average_attn_weights=False, **tkw)
    oq, ov = keras.Tensor(q, requires_grad=True), keras.Tensor(v, requires_grad=True)
    o_out, o_w = ours(oq, ov, return_attention_scores=True, **kw)
    np.testing.assert_allclose(o_out.numpy(), t_out.detach().numpy(), **TOL)
    np.testing.assert_allclose(o_w.numpy(), t_w.detach().numpy(), **TOL)
    fused = ours(q, v, **kw)  # the fused-op path gives the same output
    np.testing.assert_allclose(fused.numpy(), o_out.numpy(), **TOL)
    g = rng.standard_normal(t_out.shape).astype(np.float32)
    (t_out * torch.tensor(g)).sum().backward()
    (o_out * keras.Tensor(g)).sum().backward()
    np.testing.assert_allclose(oq.grad, tq.grad.numpy(), **TOL)
    np.testing.assert_allclose(ov.grad, tv.grad.numpy(), **TOL)
    W_grad = ref.in_proj_weight.grad.numpy()[:E].T.reshape(E, 2, E // 2)
    np.testing.assert_allclose(ours.query_kernel.grad, W_grad, **TOL)


def test_multi_head_attention_shapes_masks_and_errors():
    mha = layers.MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, output_shape=7)
    q = np.random.default_rng(0).standard_normal((2, 4, 6)).astype(np.float32)
    v = np.random.default_rng(1).standard_normal((2, 3, 9)).astype(np.float32)
    out = mha(q, v)
    assert out.shape == (2, 4, 7)
    assert mha.query_kernel.shape == (6, 3, 4) and mha.value_kernel.shape == (9, 3, 5)
    assert mha.output_kernel.shape == (3, 5, 7) and mha.output_bias.shape == (7,)
    # a mask carried by the value (Embedding(mask_zero=True)) is used
    tokens = np.array([[1, 2, 0], [3, 0, 0]])
    emb = layers.Embedding(5, 9, mask_zero=True)(tokens)
    carried = mha(q, emb)
    explicit = mha(q, emb.numpy(), value_mask=tokens != 0)
    np.testing.assert_allclose(carried.numpy(), explicit.numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"built for features .* = \(6, 9, 9\)"):
        mha(q, np.zeros((2, 3, 8), np.float32))
    with pytest.raises(ValueError, match="attention_mask of shape"):
        mha(q, v, attention_mask=np.ones((2, 4, 4), bool))
    with pytest.raises(ValueError, match="key_dim must be a positive int"):
        layers.MultiHeadAttention(2, 0)
    with pytest.raises(ValueError, match="attention_axes=None"):
        layers.MultiHeadAttention(2, 4, attention_axes=(1,))


@pytest.mark.parametrize("normalize_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_transformer_encoder_matches_torch_layer(normalize_first, activation):
    B, T, D, ff, h = 2, 5, 8, 12, 2
    torch.manual_seed(0)
    ref = torch.nn.TransformerEncoderLayer(D, h, ff, dropout=0.0, activation=activation,
                                           batch_first=True, norm_first=normalize_first)  # fmt: skip
    enc = layers.TransformerEncoder(ff, h, activation=activation, normalize_first=normalize_first)
    x = np.random.default_rng(0).standard_normal((B, T, D)).astype(np.float32)
    enc(x)
    _load_mha(enc.self_attention, ref.self_attn)
    enc.self_attention.query_bias.data[...] = ref.self_attn.in_proj_bias.detach().numpy()[
        :D].reshape(h, D // h)  # fmt: skip
    enc.feedforward_intermediate_dense.set_weights(
        [ref.linear1.weight.detach().numpy().T, ref.linear1.bias.detach().numpy()])  # fmt: skip
    enc.feedforward_output_dense.set_weights(
        [ref.linear2.weight.detach().numpy().T, ref.linear2.bias.detach().numpy()])  # fmt: skip
    for norm, tnorm in ((enc.self_attention_layer_norm, ref.norm1),
                        (enc.feedforward_layer_norm, ref.norm2)):  # fmt: skip
        norm.gamma.data[...] = tnorm.weight.detach().numpy()
        norm.beta.data[...] = tnorm.bias.detach().numpy()
    pad = np.ones((B, T), bool)
    pad[1, 3:] = False
    ref.train()  # no fast path (it zeroes padded positions)
    t_out = ref(torch.tensor(x), src_key_padding_mask=torch.tensor(~pad))
    o_out = enc(x, padding_mask=pad)
    np.testing.assert_allclose(o_out.numpy(), t_out.detach().numpy(), **TOL)


def test_transformer_decoder_matches_torch_layer():
    B, T, S, D, ff, h = 2, 4, 5, 8, 12, 2
    torch.manual_seed(0)
    ref = torch.nn.TransformerDecoderLayer(D, h, ff, dropout=0.0, batch_first=True)
    dec = layers.TransformerDecoder(ff, h)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    mem = rng.standard_normal((B, S, D)).astype(np.float32)
    dec(x, mem)
    _load_mha(dec.self_attention, ref.self_attn)
    _load_mha(dec.cross_attention, ref.multihead_attn)
    dec.feedforward_intermediate_dense.set_weights(
        [ref.linear1.weight.detach().numpy().T, ref.linear1.bias.detach().numpy()])  # fmt: skip
    dec.feedforward_output_dense.set_weights(
        [ref.linear2.weight.detach().numpy().T, ref.linear2.bias.detach().numpy()])  # fmt: skip
    for norm, tnorm in ((dec.self_attention_layer_norm, ref.norm1),
                        (dec.cross_attention_layer_norm, ref.norm2),
                        (dec.feedforward_layer_norm, ref.norm3)):  # fmt: skip
        norm.gamma.data[...] = tnorm.weight.detach().numpy()
        norm.beta.data[...] = tnorm.bias.detach().numpy()
    epm = np.ones((B, S), bool)
    epm[0, 4:] = False
    causal = torch.tensor(np.triu(np.ones((T, T), bool), 1))
    t_out = ref(torch.tensor(x), torch.tensor(mem), tgt_mask=causal, tgt_is_causal=True,
                memory_key_padding_mask=torch.tensor(~epm))  # fmt: skip
    o_out = dec(x, mem, encoder_padding_mask=epm)
    np.testing.assert_allclose(o_out.numpy(), t_out.detach().numpy(), **TOL)
    # causal: a later decoder token never changes an earlier output
    x2 = x.copy()
    x2[:, -1] += 1.0
    np.testing.assert_allclose(dec(x2, mem).numpy()[:, :-1], dec(x, mem).numpy()[:, :-1], **TOL)


def test_position_embeddings():
    x = np.zeros((2, 6, 4), np.float32)
    sine = layers.SinePositionEncoding()(x).numpy()
    p, i = 3, 1  # feature 2i = 2 is sin, 3 is cos
    np.testing.assert_allclose(sine[0, p, 2], np.sin(p / 10000 ** (2 * i / 4)), rtol=1e-6)
    np.testing.assert_allclose(sine[1, p, 3], np.cos(p / 10000 ** (2 * i / 4)), rtol=1e-6)
    pos = layers.PositionEmbedding(sequence_length=8)
    out = pos(x).numpy()
    np.testing.assert_array_equal(out[0], pos.embeddings.numpy()[:6])
    np.testing.assert_array_equal(out[1], out[0])
    with pytest.raises(ValueError, match="input length 9 exceeds sequence_length 8"):
        pos(np.zeros((1, 9, 4), np.float32))
    tp = layers.TokenAndPositionEmbedding(10, 5, 4)
    tokens = np.array([[1, 2, 3]])
    want = tp.token_embedding.embeddings.numpy()[[1, 2, 3]] + 0
    got = tp(tokens).numpy()[0]
    np.testing.assert_allclose(got - tp.position_embedding.embeddings.numpy()[:3], want,
                               rtol=1e-6, atol=1e-7)  # fmt: skip


def test_tiny_transformer_classifier_saves_and_learns(tmp_path):
    """Functional model: tokens → TokenAndPositionEmbedding → TransformerEncoder → pooling."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, T = 256, 6
    tokens = rng.integers(1, 9, (n, T))
    y = (tokens == 3).any(1).astype(np.float32)
    inp = keras.Input(shape=(T,), dtype="int64")
    h = layers.TokenAndPositionEmbedding(10, T, 16)(inp)
    h = layers.TransformerEncoder(32, 2)(h)
    h = layers.Lambda(mean_over_time)(h)
    out = layers.Dense(1, activation="sigmoid")(h)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    hist = model.fit(tokens, y, epochs=20, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.9
    model.save(tmp_path / "t.keras")
    back = keras.models.load_model(tmp_path / "t.keras",
                                   custom_objects={"mean_over_time": mean_over_time})  # fmt: skip
    np.testing.assert_allclose(back.predict(tokens[:8], verbose=0),
                               model.predict(tokens[:8], verbose=0), rtol=1e-5)  # fmt: skip


def mean_over_time(x):
    return keras.ops.mean(x, axis=1)
