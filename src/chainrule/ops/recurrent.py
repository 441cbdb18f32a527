"""Whole-sequence recurrent ops: ``rnn`` (tanh/relu), ``lstm`` and ``gru``, one layer, one direction.

Each op is ONE graph node for the whole sequence: the input projection of every time step is one
matrix product before the loop, each step does one matrix product for all its gates plus fused
in-place nonlinearities, and backpropagation through time runs inside the node's ``backward`` (one
hand-derived step per time step, a Python loop over time, never over the batch). The weight
gradients are then two large matrix products over all steps at once.

Layout (time-major; a ``batch_first`` caller transposes, which is a view):

- ``x`` (T, N, I); outputs (T, N, H); states ``h0``/``c0`` and finals (N, H);
- ``w_ih`` (I, G·H), ``w_hh`` (H, G·H), ``b_ih``/``b_hh`` (G·H,) with G = 1 (rnn), 4 (lstm), 3 (gru):
  column blocks of H, one per gate, so ``x @ w_ih`` gives every gate at once.
- LSTM gates in the order i, f, g (candidate), o: the order of both Keras (i, f, c, o) and PyTorch.
- GRU gates r, z, n (PyTorch's order, ``gate_order="rzn"``) or z, r, n (Keras's,
  ``gate_order="zrn"``), with the reset gate applied *after* the hidden product
  (n = tanh(x W_n + b_in + r ⊙ (h U_n + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h): PyTorch's GRU and
  Keras's ``reset_after=True`` (its default).

How each door maps onto these (per call, never per step):

- Keras: ``kernel`` → ``w_ih``, ``recurrent_kernel`` → ``w_hh`` as they are; SimpleRNN/LSTM
  ``bias`` → ``b_ih`` (``b_hh=None``); GRU ``reset_after=True`` bias (2, 3H) → ``b_ih=bias[0]``,
  ``b_hh=bias[1]`` with ``gate_order="zrn"``.
- PyTorch: ``weight_ih_l0`` (G·H, I) → ``w_ih = weight_ih_l0.T`` and ``weight_hh_l0.T`` (transposed
  views: the matrix products read them without a copy), ``bias_ih_l0``/``bias_hh_l0`` as they are.

Masking (``mask`` (N, T), True = a real step): at a masked step the state is carried unchanged from
the previous step (Keras's masking), so the final state is the state after each sequence's last real
step, as PyTorch's packed sequences give. The output at a masked step is that carried state, or
zeros with ``zero_output_for_mask=True`` (what a padded PyTorch output holds).

``w_ih=None``: ``x`` is then the projected input ``x·w_ih`` itself, (T, N, G·H), and its gradient is
the gradient of the gate pre-activations. This lets an Embedding → LSTM model project the table
once, ``ops.embedding(tokens, table @ w_ih)``, instead of every looked-up row: (V, I)·(I, G·H)
instead of (T·N, I)·(I, G·H) forward, and the same saving twice in backward.

The sigmoids are computed as σ(z) = ½·tanh(z/2) + ½ (stable, in place, no overflow): the forward
pass multiplies copies of the sigmoid gates' weight columns by ½ once per call.
"""

from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor
from ._convert import ensure_tensor
from .recurrent_kernels import GRUSequence, LSTMSequence, RNNSequence
from .shape import getitem


# ------------------------------------------------------------------ functional entry points
def _check(op: str, gates: int, x, w_ih, w_hh, b_ih, b_hh, states, mask):
    """Validate shapes and dtypes before anything runs; return (tensors..., mask array or None)."""
    x = ensure_tensor(x)
    if x.ndim != 3:
        raise ValueError(f"{op}: x must be time-major (T, N, input_size), got shape {x.shape}")
    T, N, I = x.shape
    if T == 0:
        raise ValueError(f"{op}: x has no time steps (shape {x.shape})")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: x must be floating point, got dtype {x.dtype}")
    w_hh = ensure_tensor(w_hh)
    if w_hh.ndim != 2 or w_hh.shape[1] != gates * w_hh.shape[0]:
        raise ValueError(f"{op}: w_hh must have shape (H, {gates}·H), got {w_hh.shape}")
    H = w_hh.shape[0]
    named = {"w_hh": w_hh}
    if w_ih is None:  # x is the projected input x·w_ih
        if I != gates * H:
            raise ValueError(
                f"{op}: with w_ih=None, x must be the projected input (T, N, {gates}·H) = "
                f"(T, N, {gates * H}) for w_hh {w_hh.shape}, got {x.shape}"
            )
    else:
        w_ih = ensure_tensor(w_ih)
        if w_ih.shape != (I, gates * H):
            raise ValueError(
                f"{op}: w_ih must have shape (input_size, {gates}·H) = {(I, gates * H)} for x "
                f"{x.shape} and w_hh {w_hh.shape}, got {w_ih.shape}"
            )
        named["w_ih"] = w_ih
    biases = []
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None:
            b = ensure_tensor(b)
            if b.shape != (gates * H,):
                raise ValueError(f"{op}: {name} must have shape {(gates * H,)}, got {b.shape}")
            named[name] = b
        biases.append(b)
    out_states = []
    for name, s in states:
        if s is None:
            s = Tensor._wrap(xp(x.data).zeros((N, H), dtype=x.dtype))
        else:
            s = ensure_tensor(s)
            if s.shape != (N, H):
                raise ValueError(
                    f"{op}: {name} must have shape (N, H) = {(N, H)} for x {x.shape}, got {s.shape}"
                )
            named[name] = s
        out_states.append(s)
    for name, t in named.items():
        if t.dtype != x.dtype:
            raise TypeError(f"{op}: {name} has dtype {t.dtype} but x has {x.dtype}; cast first")
    if mask is not None:
        mask = mask.data if isinstance(mask, Tensor) else xp(x.data).asarray(mask)
        if mask.shape != (N, T):
            raise ValueError(
                f"{op}: mask must have shape (N, T) = {(N, T)} for x {x.shape}, got {mask.shape}"
            )
        if mask.dtype != bool:
            if mask.dtype.kind not in "biuf" or ((mask != 0) & (mask != 1)).any():
                raise ValueError(f"{op}: mask must be boolean (or 0/1), got dtype {mask.dtype}")
            mask = mask != 0
        if mask.all():
            mask = None
    return x, w_ih, w_hh, biases, out_states, mask


def _weights(w_ih, w_hh) -> tuple:
    return (w_hh,) if w_ih is None else (w_ih, w_hh)


def _unpack(packed: Tensor, T: int, k: int):
    return (getitem(packed, slice(0, T)),) + tuple(getitem(packed, T + j) for j in range(k))


def rnn(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, *, nonlinearity: str = "tanh", mask=None,
        zero_output_for_mask: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Elman RNN over a whole sequence: h_t = act(x_t w_ih + b_ih + h_{t−1} w_hh + b_hh).

    x (T, N, I); w_ih (I, H), or None when x is already projected (T, N, H) (see the module doc);
    w_hh (H, H); b_ih, b_hh (H,) or None; h0 (N, H) or None (zeros);
    ``nonlinearity`` "tanh" or "relu"; mask (N, T) booleans or None (see the module doc).
    Returns (outputs (T, N, H), h_n (N, H)).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    x, w_ih, w_hh, biases, states, mask = _check(
        "rnn", 1, x, w_ih, w_hh, b_ih, b_hh, [("h0", h0)], mask
    )
    biases = [b for b in biases if b is not None]
    packed = RNNSequence.apply(
        x, *states, *_weights(w_ih, w_hh), *biases, mask=mask, projected=w_ih is None,
        zero_output=zero_output_for_mask, nonlinearity=nonlinearity,
    )  # fmt: skip
    return _unpack(packed, x.shape[0], 1)


def lstm(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, c0=None, *, mask=None,
         zero_output_for_mask: bool = False) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """LSTM over a whole sequence, gates i, f, g, o in column blocks of H.

    x (T, N, I); w_ih (I, 4H) or None (x projected); w_hh (H, 4H); b_ih, b_hh (4H,) or None
    (they are added: pass one for Keras's single bias, both for PyTorch's); h0, c0 (N, H) or None
    (zeros); mask (N, T) or None.
    Returns (outputs (T, N, H), h_n (N, H), c_n (N, H)).
    """
    x, w_ih, w_hh, biases, states, mask = _check(
        "lstm", 4, x, w_ih, w_hh, b_ih, b_hh, [("h0", h0), ("c0", c0)], mask
    )
    biases = [b for b in biases if b is not None]
    packed = LSTMSequence.apply(
        x, *states, *_weights(w_ih, w_hh), *biases, mask=mask, projected=w_ih is None,
        zero_output=zero_output_for_mask,
    )  # fmt: skip
    return _unpack(packed, x.shape[0], 2)


def gru(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, *, gate_order: str = "rzn", mask=None,
        zero_output_for_mask: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """GRU over a whole sequence, reset gate applied after the hidden product (PyTorch's GRU,
    Keras's ``reset_after=True``).

    x (T, N, I); w_ih (I, 3H) or None (x projected); w_hh (H, 3H); b_ih, b_hh (3H,) or None;
    column blocks in ``gate_order`` "rzn" (PyTorch) or "zrn" (Keras); h0 (N, H) or None (zeros);
    mask (N, T) or None.
    Returns (outputs (T, N, H), h_n (N, H)).
    """
    if gate_order not in ("rzn", "zrn"):
        raise ValueError(f"gru: gate_order must be 'rzn' (PyTorch) or 'zrn' (Keras), got "
                         f"{gate_order!r}")  # fmt: skip
    x, w_ih, w_hh, biases, states, mask = _check(
        "gru", 3, x, w_ih, w_hh, b_ih, b_hh, [("h0", h0)], mask
    )
    if any(b is not None for b in biases):  # both or neither: b_hh sits inside the reset gate
        zeros = xp(x.data).zeros(w_hh.shape[1], dtype=x.dtype)
        biases = [Tensor._wrap(zeros) if b is None else b for b in biases]
    else:
        biases = []
    packed = GRUSequence.apply(
        x, *states, *_weights(w_ih, w_hh), *biases, mask=mask, projected=w_ih is None,
        zero_output=zero_output_for_mask, gate_order=gate_order,
    )  # fmt: skip
    return _unpack(packed, x.shape[0], 1)
