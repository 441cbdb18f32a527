"""Keras-door Embedding, Masking, SimpleRNN/LSTM/GRU and Bidirectional against torch with copied
weights (forward, backward, masks through Embedding(mask_zero=True)), configs and saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import chainrule as keras
from chainrule import layers

TOL = {"rtol": 1e-5, "atol": 1e-5}


def _torch_rnn(kind, I, H, **kw):
    torch.manual_seed(0)
    cls = {"SimpleRNN": torch.nn.RNN, "LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU}[kind]
    return cls(I, H, batch_first=True, **kw)


def _blocks(w, H, order):
    """Reorder torch's gate row-blocks r, z, n into Keras's z, r, n (GRU); others unchanged."""
    if order is None:
        return w
    r, z, n = (w[i * H : (i + 1) * H] for i in range(3))
    return np.concatenate([z, r, n])


def _copy_into(layer, ref, kind, suffix="_l0"):
    """Keras weights from a torch module: kernel = W_ihᵀ, recurrent_kernel = W_hhᵀ, bias
    = b_ih + b_hh (GRU: both rows, gates reordered)."""
    H = layer.units
    order = "zrn" if kind == "GRU" else None
    p = {k: v.detach().numpy() for k, v in ref.named_parameters()}
    layer.kernel.data[...] = _blocks(p["weight_ih" + suffix], H, order).T
    layer.recurrent_kernel.data[...] = _blocks(p["weight_hh" + suffix], H, order).T
    b_ih, b_hh = _blocks(p["bias_ih" + suffix], H, order), _blocks(p["bias_hh" + suffix], H, order)
    layer.bias.data[...] = np.stack([b_ih, b_hh]) if kind == "GRU" else b_ih + b_hh


def _grad_of(layer_grad, kind, H):
    """Our kernel gradient in torch's (rows = gates) layout, for comparison with W_ih.grad."""
    g = layer_grad.T
    return _blocks(g, H, "zrn") if kind == "GRU" else g  # z,r,n <-> r,z,n is its own inverse


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_layer_matches_torch_forward_and_backward(kind, return_sequences):
    N, T, I, H = 3, 5, 4, 6
    ref = _torch_rnn(kind, I, H)
    layer = getattr(layers, kind)(H, return_sequences=return_sequences, return_state=True)
    x = np.random.default_rng(0).standard_normal((N, T, I)).astype(np.float32)
    layer(x)  # build
    _copy_into(layer, ref, kind)
    tx = torch.tensor(x, requires_grad=True)
    ty, th = ref(tx)
    t_states = list(th) if kind == "LSTM" else [th]
    xo = keras.Tensor(x, requires_grad=True)
    out, *states = layer(xo)
    t_out = ty if return_sequences else ty[:, -1]
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), **TOL)
    assert len(states) == len(t_states)
    for a, b in zip(states, t_states):
        np.testing.assert_allclose(a.numpy(), b[0].detach().numpy(), **TOL)
    w = np.random.default_rng(1).standard_normal(t_out.shape).astype(np.float32)
    (t_out * torch.tensor(w)).sum().backward()
    (out * keras.Tensor(w)).sum().backward()
    np.testing.assert_allclose(xo.grad, tx.grad.numpy(), **TOL)
    np.testing.assert_allclose(_grad_of(layer.kernel.grad, kind, H), ref.weight_ih_l0.grad.numpy(),
                               **TOL)  # fmt: skip
    np.testing.assert_allclose(_grad_of(layer.recurrent_kernel.grad, kind, H),
                               ref.weight_hh_l0.grad.numpy(), **TOL)  # fmt: skip


def test_keras_defaults_and_weight_shapes():
    lstm = layers.LSTM(5)
    lstm(np.zeros((2, 3, 4), np.float32))
    assert lstm.kernel.shape == (4, 20) and lstm.recurrent_kernel.shape == (5, 20)
    np.testing.assert_array_equal(lstm.bias.numpy(), np.r_[np.zeros(5), np.ones(5), np.zeros(10)])
    rk = lstm.recurrent_kernel.numpy()
    np.testing.assert_allclose(rk @ rk.T, np.eye(5), atol=1e-5)  # orthogonal rows
    gru = layers.GRU(5)
    gru(np.zeros((2, 3, 4), np.float32))
    assert gru.bias.shape == (2, 15) and gru.reset_after
    rnn = layers.SimpleRNN(5, use_bias=False)
    rnn(np.zeros((2, 3, 4), np.float32))
    assert rnn.bias is None and rnn.kernel.dtype == np.float32
    emb = layers.Embedding(100, 7)
    assert emb.embeddings.shape == (100, 7) and np.abs(emb.embeddings.numpy()).max() <= 0.05
    assert emb(np.array([[1, 2]])).dtype == np.float32


@pytest.mark.parametrize("kind", ["SimpleRNN", "LSTM", "GRU"])
def test_mask_from_embedding_matches_packed_torch(kind):
    """Embedding(mask_zero=True) → RNN: padded steps skipped; the last output is the state
    after each sequence's last real token, as torch's packed sequences give."""
    V, D, H = 12, 4, 5
    tokens = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0], [5, 0, 0, 0, 0]])
    lengths = (tokens != 0).sum(1)
    model = keras.Sequential([layers.Embedding(V, D, mask_zero=True), getattr(layers, kind)(H)])
    model(tokens)  # build
    ref = _torch_rnn(kind, D, H)
    _copy_into(model.layers[1], ref, kind)
    out = model(tokens)
    emb = torch.tensor(model.layers[0].embeddings.numpy())[torch.tensor(tokens)]
    packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
    _, th = ref(packed)
    th = th[0] if kind == "LSTM" else th
    np.testing.assert_allclose(out.numpy(), th[0].detach().numpy(), **TOL)
    # the same sequence alone, unpadded, gives the same output
    alone = model(tokens[1:2, :3])
    np.testing.assert_allclose(alone.numpy()[0], out.numpy()[1], **TOL)
    # an explicit mask= does the same as the propagated one
    x = model.layers[0](tokens)
    again = model.layers[1](x, mask=tokens != 0)
    np.testing.assert_allclose(again.numpy(), out.numpy(), rtol=0, atol=0)


def test_masking_layer_and_mask_propagation_through_dropout():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    x[0, 2:] = 0.0
    model = keras.Sequential([layers.Masking(0.0), layers.Dropout(0.3), layers.LSTM(4)])
    out = model(x, training=False)
    short = model(x[:1, :2], training=False)
    np.testing.assert_allclose(out.numpy()[0], short.numpy()[0], **TOL)
    m = layers.Masking()(x)
    np.testing.assert_array_equal(m._keras_mask, [[1, 1, 0, 0], [1, 1, 1, 1]])
    seq = layers.LSTM(4, return_sequences=True)(m)
    np.testing.assert_array_equal(seq._keras_mask, m._keras_mask)  # travels on
    assert getattr(layers.LSTM(4)(m), "_keras_mask", None) is None  # consumed


def test_mask_propagates_in_a_functional_model():
    inp = keras.Input(shape=(5,), dtype="int64")
    h = layers.Embedding(10, 4, mask_zero=True)(inp)
    out = layers.GRU(3)(h)
    model = keras.Model(inp, out)
    tokens = np.array([[1, 2, 3, 0, 0]])
    np.testing.assert_allclose(model(tokens).numpy(), model(tokens[:, :3]).numpy(), **TOL)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul"])
def test_bidirectional_with_mask_matches_torch(merge_mode):
    V, D, H = 10, 4, 3
    tokens = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 0, 0]])
    lengths = (tokens != 0).sum(1)
    bi = layers.Bidirectional(layers.LSTM(H, return_sequences=True), merge_mode=merge_mode)
    model = keras.Sequential([layers.Embedding(V, D, mask_zero=True), bi])
    out = model(tokens)
    ref = _torch_rnn("LSTM", D, H, bidirectional=True)
    _copy_into(bi.forward_layer, ref, "LSTM")
    _copy_into(bi.backward_layer, ref, "LSTM", suffix="_l0_reverse")
    emb = torch.tensor(model.layers[0].embeddings.numpy())[torch.tensor(tokens)]
    packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
    ty, _ = pad_packed_sequence(ref(packed)[0], batch_first=True, total_length=5)
    fw, bw = ty[..., :H], ty[..., H:]
    want = {"concat": ty, "sum": fw + bw, "ave": (fw + bw) / 2, "mul": fw * bw}[merge_mode]
    np.testing.assert_allclose(model(tokens).numpy(), want.detach().numpy(), **TOL)
    assert out.shape == (2, 5, 2 * H if merge_mode == "concat" else H)
    assert out._keras_mask.tolist() == (tokens != 0).tolist()


def test_bidirectional_states_and_go_backwards():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    bi = layers.Bidirectional(layers.GRU(5, return_state=True), merge_mode=None)
    fw, bw, h_f, h_b = bi(x)
    np.testing.assert_allclose(fw.numpy(), h_f.numpy())
    np.testing.assert_allclose(bw.numpy(), h_b.numpy())
    back = layers.GRU(5, go_backwards=True)
    back(x)
    back.set_weights(bi.backward_layer.get_weights())
    np.testing.assert_allclose(back(x).numpy(), bw.numpy(), **TOL)
    fwd = layers.GRU(5)
    fwd(x[:, ::-1].copy())
    fwd.set_weights(back.get_weights())
    np.testing.assert_allclose(fwd(x[:, ::-1].copy()).numpy(), bw.numpy(), **TOL)


def test_initial_state_and_dropout():
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    h0 = np.ones((2, 5), np.float32)
    lstm = layers.LSTM(5, dropout=0.5)
    a = lstm(x, initial_state=[h0, h0], training=False)
    b = lstm(x, training=False)
    assert not np.allclose(a.numpy(), b.numpy())
    np.testing.assert_array_equal(lstm(x, training=False).numpy(), b.numpy())  # no dropout
    t1 = lstm(x, training=True).numpy()
    assert not np.allclose(t1, b.numpy())


def test_errors_name_the_layer_and_shapes():
    lstm = layers.LSTM(4, name="enc")
    lstm(np.zeros((2, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"LSTM 'enc': built for 5 input features, got 6"):
        lstm(np.zeros((2, 3, 6), np.float32))
    with pytest.raises(ValueError, match=r"LSTM 'enc': initial_state needs 2"):
        lstm(np.zeros((2, 3, 5), np.float32), initial_state=[np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"mask must have shape \(batch, timesteps\) = \(2, 3\)"):
        lstm(np.zeros((2, 3, 5), np.float32), mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="units must be a positive int"):
        layers.GRU(0)
    with pytest.raises(ValueError, match="dropout must be in"):
        layers.SimpleRNN(3, dropout=1.0)
    with pytest.raises(ValueError, match="activation must be one of"):
        layers.LSTM(3, activation="relu")
    with pytest.raises(ValueError, match="reset_after=False"):
        layers.GRU(3, reset_after=False)
    with pytest.raises(TypeError, match="recurrent_dropout is not provided"):
        layers.LSTM(3, recurrent_dropout=0.1)
    with pytest.raises(TypeError, match="return_sequences must be True or False"):
        layers.LSTM(3, return_sequences="yes")
    with pytest.raises(ValueError, match=r"Embedding 'embedding.*index 10 is out of range"):
        layers.Embedding(10, 2)(np.array([[10]]))
    with pytest.raises(TypeError, match="input_length was removed"):
        layers.Embedding(10, 2, input_length=5)
    with pytest.raises(TypeError, match="Bidirectional.*must be a recurrent layer"):
        layers.Bidirectional(layers.Dense(3))


def test_configs_round_trip_through_the_model_file(tmp_path):
    tokens = np.array([[1, 2, 3, 0], [4, 0, 0, 0]])
    model = keras.Sequential([
        keras.Input(shape=(4,), dtype="int64"),
        layers.Embedding(8, 4, mask_zero=True),
        layers.Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="sum"),
        layers.LSTM(3, go_backwards=True, unit_forget_bias=False, dropout=0.25),
        layers.Dense(2),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="mse")
    y = model(tokens, training=False).numpy()
    model.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(back(tokens, training=False).numpy(), y, rtol=1e-6)
    cfg = back.layers[2].get_config()
    assert cfg["go_backwards"] and not cfg["unit_forget_bias"] and cfg["dropout"] == 0.25
    assert back.layers[0].get_config()["mask_zero"]


def test_fit_learns_a_masked_sequence_task():
    """Whether a token 7 occurs anywhere: learnable only if padding is skipped correctly."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, T = 256, 8
    lengths = rng.integers(1, T + 1, n)
    tokens = rng.integers(1, 7, (n, T))
    has = rng.random(n) < 0.5
    tokens[has, 0] = 7
    tokens[np.arange(T)[None, :] >= lengths[:, None]] = 0
    perm = rng.permuted(np.tile(np.arange(T), (n, 1)), axis=1)
    tokens = np.take_along_axis(tokens, perm, axis=1)  # pad and the 7 anywhere
    model = keras.Sequential([layers.Embedding(8, 8, mask_zero=True), layers.GRU(8),
                              layers.Dense(1, activation="sigmoid")])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    hist = model.fit(tokens, has.astype(np.float32), epochs=15, batch_size=32, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95
