"""The whole-sequence rnn/lstm/gru ops against torch.nn.RNN/LSTM/GRU with copied weights.

Forward values, final states, and the gradients of the input, the initial states and every weight,
in both batch layouts and both float dtypes; masking against packed sequences; a stacked
bidirectional network composed by hand from the one-direction op; finite differences in float64.
"""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

import chainrule as cr
from chainrule.ops import gru, lstm, rnn

KINDS = ["rnn_tanh", "rnn_relu", "lstm", "gru"]
TOL = {np.float64: {"rtol": 1e-10, "atol": 1e-12}, np.float32: {"rtol": 2e-5, "atol": 2e-6}}


def torch_module(kind, I, H, dtype, **kw):
    torch.manual_seed(0)
    if kind == "lstm":
        mod = torch.nn.LSTM(I, H, **kw)
    elif kind == "gru":
        mod = torch.nn.GRU(I, H, **kw)
    else:
        mod = torch.nn.RNN(I, H, nonlinearity=kind[4:], **kw)
    return mod.to(torch.float64 if dtype == np.float64 else torch.float32)


def params_of(mod, suffix="_l0"):
    """The module's weights as chainrule leaves, keyed by their torch names."""
    return {
        name: cr.Tensor(p.detach().numpy().copy(), requires_grad=True)
        for name, p in mod.named_parameters()
        if name.endswith(suffix)
    }


def run_op(kind, x, p, h0=None, c0=None, suffix="_l0", **kw):
    """Our op in the PyTorch door's mapping: transposed weight views, both biases."""
    args = (x, p["weight_ih" + suffix].T, p["weight_hh" + suffix].T)
    args += (p["bias_ih" + suffix], p["bias_hh" + suffix])
    if kind == "lstm":
        return lstm(*args, h0, c0, **kw)
    if kind == "gru":
        return gru(*args, h0, **kw)
    return rnn(*args, h0, nonlinearity=kind[4:], **kw)


def close(ours, theirs, dtype, what):
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else theirs
    ours = ours.data if isinstance(ours, cr.Tensor) else ours
    assert ours.dtype == theirs.dtype, f"{what}: dtype {ours.dtype} vs {theirs.dtype}"
    np.testing.assert_allclose(ours, theirs, err_msg=what, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_matches_torch(kind, batch_first, dtype):
    T, N, I, H = 6, 3, 4, 5
    mod = torch_module(kind, I, H, dtype, batch_first=batch_first)
    rng = np.random.default_rng(1)
    shape = (N, T, I) if batch_first else (T, N, I)
    x_np = rng.standard_normal(shape).astype(dtype)
    h0_np, c0_np = rng.standard_normal((2, 1, N, H)).astype(dtype)
    tx = torch.tensor(x_np, requires_grad=True)
    th0 = torch.tensor(h0_np, requires_grad=True)
    tc0 = torch.tensor(c0_np, requires_grad=True)
    if kind == "lstm":
        ty, (thn, tcn) = mod(tx, (th0, tc0))
        t_outs = [ty, thn[0], tcn[0]]
    else:
        ty, thn = mod(tx, th0)
        t_outs = [ty, thn[0]]
    p = params_of(mod)
    x = cr.Tensor(x_np, requires_grad=True)
    h0 = cr.Tensor(h0_np[0], requires_grad=True)
    c0 = cr.Tensor(c0_np[0], requires_grad=True)
    xt = x.transpose((1, 0, 2)) if batch_first else x
    outs = list(run_op(kind, xt, p, h0, c0 if kind == "lstm" else None))
    if batch_first:
        outs[0] = outs[0].transpose((1, 0, 2))
    ups = [rng.standard_normal(o.shape).astype(dtype) for o in outs]
    for k, (o, t) in enumerate(zip(outs, t_outs)):
        close(o, t, dtype, f"output {k}")
    loss = sum(((o * u).sum() for o, u in zip(outs, ups)), start=cr.tensor(0.0, dtype=dtype))
    loss.backward()
    torch.autograd.backward(t_outs, [torch.from_numpy(u) for u in ups])
    close(x.grad, tx.grad, dtype, "grad x")
    close(h0.grad, th0.grad[0], dtype, "grad h0")
    if kind == "lstm":
        close(c0.grad, tc0.grad[0], dtype, "grad c0")
    for name, prm in mod.named_parameters():
        close(p[name].grad, prm.grad, dtype, f"grad {name}")


@pytest.mark.parametrize("zero_output", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_masking_matches_packed_sequences(kind, zero_output):
    """Right-padded batch: valid steps and final states equal PyTorch's packed-sequence results,
    and so do the gradients of everything."""
    T, N, I, H = 7, 4, 3, 5
    lengths = np.array([7, 3, 5, 1])
    mask = np.arange(T)[None, :] < lengths[:, None]  # (N, T)
    mod = torch_module(kind, I, H, np.float64, batch_first=True)
    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((N, T, I))
    h0_np, c0_np = rng.standard_normal((2, 1, N, H))
    tx, th0, tc0 = (torch.tensor(a, requires_grad=True) for a in (x_np, h0_np, c0_np))
    packed = pack_padded_sequence(tx, torch.tensor(lengths), batch_first=True, enforce_sorted=False)
    if kind == "lstm":
        tp, (thn, tcn) = mod(packed, (th0, tc0))
        t_fin = [thn[0], tcn[0]]
    else:
        tp, thn = mod(packed, th0)
        t_fin = [thn[0]]
    ty, _ = pad_packed_sequence(tp, batch_first=True, total_length=T)  # zeros at padded steps

    p = params_of(mod)
    x, h0, c0 = (cr.Tensor(a, requires_grad=True) for a in (x_np, h0_np[0], c0_np[0]))
    outs = run_op(kind, x.transpose((1, 0, 2)), p, h0, c0 if kind == "lstm" else None,
                  mask=mask, zero_output_for_mask=zero_output)  # fmt: skip
    y = outs[0].transpose((1, 0, 2))
    if zero_output:
        close(y, ty, np.float64, "outputs (zeros at padded steps)")
    else:
        close(y.data * mask[..., None], ty, np.float64, "outputs on valid steps")
        last = y.data[np.arange(N), lengths - 1]
        np.testing.assert_allclose(
            y.data,
            np.where(mask[..., None], y.data, 0)
            + np.where(mask[..., None], 0, np.concatenate([h0_np[0][:, None], y.data[:, :-1]], 1)),
        )
        np.testing.assert_allclose(outs[1].data, last)  # carried: the state at the last valid step
    for k, (o, t) in enumerate(zip(outs[1:], t_fin)):
        close(o, t, np.float64, f"final state {k}")

    up_y = rng.standard_normal((N, T, H)) * mask[..., None]  # only valid steps feed the loss
    ups = [rng.standard_normal((N, H)) for _ in t_fin]
    loss = (y * up_y).sum()
    for o, u in zip(outs[1:], ups):
        loss = loss + (o * u).sum()
    loss.backward()
    torch.autograd.backward(
        [ty] + t_fin, [torch.from_numpy(up_y)] + [torch.from_numpy(u) for u in ups]
    )
    close(x.grad, tx.grad, np.float64, "grad x")
    close(h0.grad, th0.grad[0], np.float64, "grad h0")
    if kind == "lstm":
        close(c0.grad, tc0.grad[0], np.float64, "grad c0")
    for name, prm in mod.named_parameters():
        close(p[name].grad, prm.grad, np.float64, f"grad {name}")


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_stacked_bidirectional_composes(kind):
    """Two layers, both directions, built from the one-direction op: torch's num_layers=2,
    bidirectional=True, forward and backward (the reverse direction runs on the flipped input)."""
    T, N, I, H = 5, 2, 3, 4
    mod = torch_module(kind, I, H, np.float64, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((T, N, I))
    tx = torch.tensor(x_np, requires_grad=True)
    ty = mod(tx)[0]
    up = rng.standard_normal(ty.shape)
    ty.backward(torch.from_numpy(up))

    layers = {s: params_of(mod, s) for s in ("_l0", "_l0_reverse", "_l1", "_l1_reverse")}
    x = cr.Tensor(x_np, requires_grad=True)
    inp = x
    for layer in ("_l0", "_l1"):
        fwd = run_op(kind, inp, layers[layer], suffix=layer)[0]
        rev = run_op(kind, inp[::-1], layers[layer + "_reverse"], suffix=layer + "_reverse")[0]
        inp = cr.ops.cat([fwd, rev[::-1]], axis=2)
    close(inp, ty, np.float64, "output")
    (inp * up).sum().backward()
    close(x.grad, tx.grad, np.float64, "grad x")
    for name, prm in mod.named_parameters():
        suffix = name[name.index("_l") :]
        close(layers[suffix][name].grad, prm.grad, np.float64, f"grad {name}")


def test_keras_layouts_map_onto_the_op():
    """Keras's GRU (gates z, r, h; bias (2, 3H)) via gate_order="zrn", and Keras's single LSTM bias,
    give PyTorch's results after re-ordering the copied weights."""
    T, N, I, H = 4, 2, 3, 5
    rng = np.random.default_rng(4)
    x = rng.standard_normal((T, N, I))
    mod = torch_module("gru", I, H, np.float64)
    ty = mod(torch.tensor(x))[0].detach().numpy()
    w_ih = mod.weight_ih_l0.detach().numpy().T
    w_hh = mod.weight_hh_l0.detach().numpy().T
    b = np.stack([mod.bias_ih_l0.detach().numpy(), mod.bias_hh_l0.detach().numpy()])

    def to_keras(a):  # torch r, z, n column blocks -> Keras z, r, h
        r, z, n = np.split(a, 3, axis=-1)
        return np.concatenate([z, r, n], axis=-1)

    kernel, recurrent, bias = to_keras(w_ih), to_keras(w_hh), cr.Tensor(to_keras(b))
    y = gru(x, kernel, recurrent, bias[0], bias[1], gate_order="zrn")[0]
    np.testing.assert_allclose(y.data, ty, rtol=1e-12, atol=1e-13)

    mod = torch_module("lstm", I, H, np.float64)
    ty = mod(torch.tensor(x))[0].detach().numpy()
    one_bias = (mod.bias_ih_l0 + mod.bias_hh_l0).detach().numpy()
    y = lstm(x, mod.weight_ih_l0.detach().numpy().T, mod.weight_hh_l0.detach().numpy().T, one_bias)[
        0
    ]
    np.testing.assert_allclose(y.data, ty, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("kind", KINDS)
def test_irregular_mask_matches_a_torch_cell_loop(kind):
    """Masks with holes and left padding: each step is PyTorch's cell, and a masked step keeps the
    previous state (torch.where over the batch), which is Keras's masking."""
    T, N, I, H = 6, 3, 2, 4
    mask = np.array([[0, 0, 1, 1, 1, 1], [1, 0, 1, 0, 0, 1], [1, 1, 1, 1, 1, 0]], dtype=bool)
    torch.manual_seed(0)
    if kind == "lstm":
        cell = torch.nn.LSTMCell(I, H)
    elif kind == "gru":
        cell = torch.nn.GRUCell(I, H)
    else:
        cell = torch.nn.RNNCell(I, H, nonlinearity=kind[4:])
    cell = cell.double()
    rng = np.random.default_rng(5)
    x_np = rng.standard_normal((T, N, I))
    h0_np, c0_np = rng.standard_normal((2, N, H))
    tx, th, tc = (torch.tensor(a, requires_grad=True) for a in (x_np, h0_np, c0_np))
    h, c, outs = th, tc, []
    for t in range(T):
        m = torch.from_numpy(mask[:, t, None])
        if kind == "lstm":
            hn, cn = cell(tx[t], (h, c))
            c = torch.where(m, cn, c)
        else:
            hn = cell(tx[t], h)
        h = torch.where(m, hn, h)
        outs.append(h)
    ty = torch.stack(outs)
    t_outs = [ty, h] + ([c] if kind == "lstm" else [])

    p = {
        name + "_l0": cr.Tensor(prm.detach().numpy().copy(), requires_grad=True)
        for name, prm in cell.named_parameters()
    }
    x, h0, c0 = (cr.Tensor(a, requires_grad=True) for a in (x_np, h0_np, c0_np))
    outs = run_op(kind, x, p, h0, c0 if kind == "lstm" else None, mask=mask)
    for k, (o, t) in enumerate(zip(outs, t_outs)):
        close(o, t, np.float64, f"output {k}")
    ups = [rng.standard_normal(o.shape) for o in outs]
    loss = outs[0].sum() * 0
    for o, u in zip(outs, ups):
        loss = loss + (o * u).sum()
    loss.backward()
    torch.autograd.backward(t_outs, [torch.from_numpy(u) for u in ups])
    close(x.grad, tx.grad, np.float64, "grad x")
    close(h0.grad, th.grad, np.float64, "grad h0")
    if kind == "lstm":
        close(c0.grad, tc.grad, np.float64, "grad c0")
    for name, prm in cell.named_parameters():
        close(p[name + "_l0"].grad, prm.grad, np.float64, f"grad {name}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", KINDS)
def test_gradients_of_row_major_weights_and_their_layouts(kind, dtype):
    """Weights given as row-major (in, G·H) arrays (the Keras door's kernels) get the same
    gradients as PyTorch's, C-ordered; weights given as transposed views of PyTorch's (G·H, in)
    parameters hand those parameters C-ordered gradients too (the op picks the product's
    orientation from the weight's layout)."""
    T, N, I, H = 6, 3, 4, 5
    rng = np.random.default_rng(7)
    x = rng.standard_normal((T, N, I)).astype(dtype)
    up = rng.standard_normal((T, N, H)).astype(dtype)
    mod = torch_module(kind, I, H, dtype)
    tx = torch.tensor(x)
    mod(tx)[0].backward(torch.tensor(up))
    p = params_of(mod)
    kernels = {n: cr.Tensor(p[n].data.T.copy(), requires_grad=True) for n in p if "weight" in n}
    args = (x, kernels["weight_ih_l0"], kernels["weight_hh_l0"], p["bias_ih_l0"], p["bias_hh_l0"])
    if kind == "lstm":
        y = lstm(*args)[0]
    elif kind == "gru":
        y = gru(*args)[0]
    else:
        y = rnn(*args, nonlinearity=kind[4:])[0]
    y.backward(up)
    for name, k in kernels.items():
        assert k.grad.flags.c_contiguous, name
        close(k.grad.T, getattr(mod, name).grad, dtype, name)
    # the PyTorch door's mapping: the parameters' own gradients, C-ordered
    y = run_op(kind, x, p)[0]
    y.backward(up)
    for name in ("weight_ih_l0", "weight_hh_l0"):
        assert p[name].grad.flags.c_contiguous, name
        close(p[name].grad, getattr(mod, name).grad, dtype, name)
