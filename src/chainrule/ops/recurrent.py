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

The sigmoids are computed as σ(z) = ½·tanh(z/2) + ½ (stable, in place, no overflow): the forward
pass multiplies copies of the sigmoid gates' weight columns by ½ once per call.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from ._convert import ensure_tensor


def _sigmoid_from_half(a):
    """In place: ``a`` holds z/2; afterwards it holds σ(z)."""
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


class _Recurrent(Function):
    """Shared prologue and epilogue: the input projection, mask handling and the weight gradients.

    Inputs: ``x, h0, [c0], w_ih, w_hh, *biases`` (``nbias`` of them: b_ih and/or b_hh).
    The output is one packed array (T + k, N, H): rows 0..T-1 the outputs, row T the final h,
    row T+1 (lstm) the final c; the entry points hand out views of it.
    """

    fresh_grads = True
    gates = 1  # G: gate blocks per step
    n_states = 1  # 1 (h) or 2 (h, c)
    sigmoid_cols: tuple = ()  # column ranges (in units of H) computed as sigmoids

    def _half(self, w):
        """A copy of ``w`` (…, G·H) with the sigmoid gates' columns halved (see module doc)."""
        w = w.copy()
        H = self.H
        for lo, hi in self.sigmoid_cols:
            w[..., lo * H : hi * H] *= 0.5
        return w

    def forward(self, x, *arrays, mask, zero_output, **kw):
        k = self.n_states
        states, (w_ih, w_hh), biases = arrays[:k], arrays[k : k + 2], arrays[k + 2 :]
        m = xp(x)
        T, N, I = x.shape
        H = states[0].shape[1]
        self.T, self.N, self.I, self.H = T, N, I, H
        self.x, self.w_ih, self.w_hh, self.nbias = x, w_ih, w_hh, len(biases)
        self.h0 = states[0]
        self.setup(**kw)
        proj = (x.reshape(T * N, I) @ self._half(w_ih)).reshape(T, N, -1)
        self.add_biases(proj, biases)
        if mask is not None:
            self.keep = mask.T[:, :, None]  # (T, N, 1) bool
            self.skip = ~self.keep
            self.keepf = self.keep.astype(x.dtype)
        else:
            self.keep = None
        self.zero_output = zero_output and mask is not None
        out = m.empty((T + k, N, H), dtype=x.dtype)
        seq = m.empty((T, N, H), dtype=x.dtype) if self.zero_output else out[:T]
        self.hs = seq  # h_1 … h_T (the states, carried through masked steps)
        self.run_forward(proj, states, seq, out)
        out[T] = seq[T - 1]
        if self.zero_output:
            np.multiply(seq, self.keepf, out=out[:T])
        return out

    def add_biases(self, proj, biases):
        for b in biases:
            proj += self._half(b)

    def backward(self, g):
        m = xp(g)
        T, N, H = self.T, self.N, self.H
        need = self.needs_input_grad
        dy = g[:T]
        if self.zero_output:
            dy = dy * self.keepf
        dstates = [g[T].copy()] + [g[T + 1 + j].copy() for j in range(self.n_states - 1)]
        dproj, dhid = self.run_backward(dy, dstates)  # (T, N, G·H) each; dhid may be dproj
        k = self.n_states
        grads = [None] * (1 + k + 2 + self.nbias)
        x2 = self.x.reshape(T * N, self.I)
        dproj2 = dproj.reshape(T * N, -1)
        if need[0]:
            grads[0] = (dproj2 @ self.w_ih.T).reshape(T, N, self.I)
        for j in range(k):
            if need[1 + j]:
                grads[1 + j] = dstates[j]
        if need[k + 1]:
            grads[k + 1] = x2.T @ dproj2
        if need[k + 2]:
            dw = self.h0.T @ dhid[0]
            if T > 1:
                dw += self.hs[: T - 1].reshape((T - 1) * N, H).T @ dhid[1:].reshape((T - 1) * N, -1)
            grads[k + 2] = dw
        self.bias_grads(grads, k + 3, dproj, dhid, m)
        return tuple(grads)

    def bias_grads(self, grads, first, dproj, dhid, m):
        need = self.needs_input_grad
        db = None
        for j in range(self.nbias):
            if need[first + j]:
                db = dproj.sum(axis=(0, 1)) if db is None else db.copy()
                grads[first + j] = db

    def _masked(self, t, dh_list):
        """At step t of backward: split each state gradient into the part that flows through the
        cell (real steps) and the part carried straight to the previous state (masked steps)."""
        keepf = self.keepf[t]
        carried = []
        for d in dh_list:
            carried.append(d * (1 - keepf))
            d *= keepf
        return carried


class _RNN(_Recurrent):
    gates = 1

    def setup(self, nonlinearity):
        self.relu = nonlinearity == "relu"

    def run_forward(self, proj, states, seq, out):
        h = states[0]
        w = self.w_hh
        keep = self.keep
        buf = xp(proj).empty_like(proj[0])
        for t in range(self.T):
            a = proj[t]
            np.matmul(h, w, out=buf)
            a += buf
            if self.relu:
                np.maximum(a, 0, out=seq[t])
            else:
                np.tanh(a, out=seq[t])
            if keep is not None:
                np.copyto(seq[t], h, where=self.skip[t])
            h = seq[t]
        self.proj = proj

    def run_backward(self, dy, dstates):
        dh = dstates[0]
        dproj = self.proj  # reused: the pre-activations are not needed once h is known
        seq, wt, keep = self.hs, self.w_hh.T, self.keep
        for t in range(self.T - 1, -1, -1):
            dh += dy[t]
            carried = self._masked(t, [dh]) if keep is not None else None
            da = dproj[t]
            if self.relu:
                np.multiply(dh, seq[t] > 0, out=da)
            else:
                np.multiply(seq[t], seq[t], out=da)
                np.subtract(1, da, out=da)
                da *= dh
            np.matmul(da, wt, out=dh)
            if carried is not None:
                dh += carried[0]
        return dproj, dproj


class _LSTM(_Recurrent):
    gates = 4
    n_states = 2
    sigmoid_cols = ((0, 2), (3, 4))  # i, f | g | o

    def setup(self):
        pass

    def run_forward(self, proj, states, seq, out):
        T, N, H = self.T, self.N, self.H
        m = xp(proj)
        h, c = states
        u = self._half(self.w_hh)
        cells = m.empty((T + 1, N, H), dtype=proj.dtype)  # c_0 … c_T
        cells[0] = c
        tanh_c = m.empty((T, N, H), dtype=proj.dtype)
        buf = m.empty((N, 4 * H), dtype=proj.dtype)
        tmp = m.empty((N, H), dtype=proj.dtype)
        keep = self.keep
        for t in range(T):
            z = proj[t]
            np.matmul(h, u, out=buf)
            z += buf
            np.tanh(z, out=z)
            for blk in (z[:, : 2 * H], z[:, 3 * H :]):
                blk *= 0.5
                blk += 0.5
            i, f, gg, o = z[:, :H], z[:, H : 2 * H], z[:, 2 * H : 3 * H], z[:, 3 * H :]
            cn = cells[t + 1]
            np.multiply(f, cells[t], out=cn)
            np.multiply(i, gg, out=tmp)
            cn += tmp
            np.tanh(cn, out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=seq[t])
            if keep is not None:
                np.copyto(cn, cells[t], where=self.skip[t])
                np.copyto(seq[t], h, where=self.skip[t])
            h = seq[t]
        out[T + 1] = cells[T]
        self.acts, self.cells, self.tanh_c = proj, cells, tanh_c

    def run_backward(self, dy, dstates):
        T, N, H = self.T, self.N, self.H
        m = xp(dy)
        dh, dc = dstates
        acts, cells, tanh_c = self.acts, self.cells, self.tanh_c
        dz_all = m.empty((T, N, 4 * H), dtype=dy.dtype)
        tmp = m.empty((N, H), dtype=dy.dtype)
        wt = self.w_hh.T
        keep = self.keep
        for t in range(T - 1, -1, -1):
            dh += dy[t]
            carried = self._masked(t, [dh, dc]) if keep is not None else None
            a = acts[t]
            i, f, gg, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            dz = dz_all[t]
            di, df, dg, do = dz[:, :H], dz[:, H : 2 * H], dz[:, 2 * H : 3 * H], dz[:, 3 * H :]
            tc = tanh_c[t]
            # o = σ(z_o): dz_o = dh · tanh(c) · o(1 − o)
            np.multiply(dh, tc, out=do)
            do *= o
            np.subtract(1, o, out=tmp)
            do *= tmp
            # dc += dh · o · (1 − tanh²c)
            np.multiply(tc, tc, out=tmp)
            np.subtract(1, tmp, out=tmp)
            tmp *= o
            tmp *= dh
            dc += tmp
            # i = σ(z_i): dz_i = dc · g · i(1 − i)
            np.multiply(dc, gg, out=di)
            di *= i
            np.subtract(1, i, out=tmp)
            di *= tmp
            # g = tanh(z_g): dz_g = dc · i · (1 − g²)
            np.multiply(dc, i, out=dg)
            np.multiply(gg, gg, out=tmp)
            np.subtract(1, tmp, out=tmp)
            dg *= tmp
            # f = σ(z_f): dz_f = dc · c_{t−1} · f(1 − f)
            np.multiply(dc, cells[t], out=df)
            df *= f
            np.subtract(1, f, out=tmp)
            df *= tmp
            dc *= f
            np.matmul(dz, wt, out=dh)
            if carried is not None:
                dh += carried[0]
                dc += carried[1]
        return dz_all, dz_all


class _GRU(_Recurrent):
    gates = 3
    sigmoid_cols = ((0, 2),)  # r and z (either order) | n

    def setup(self, gate_order):
        H = self.H
        first, second = slice(0, H), slice(H, 2 * H)
        self.r_sl, self.z_sl = (first, second) if gate_order == "rzn" else (second, first)

    def add_biases(self, proj, biases):
        # b_ih joins the projection; b_hh is added inside the step (the n block is reset-gated)
        self.b_hh = None
        if self.nbias:
            proj += self._half(biases[0])
            self.b_hh = biases[1]

    def run_forward(self, proj, states, seq, out):
        T, N, H = self.T, self.N, self.H
        m = xp(proj)
        h = states[0]
        u = self._half(self.w_hh)
        b_hh = None if self.b_hh is None else self._half(self.b_hh)
        buf = m.empty((N, 3 * H), dtype=proj.dtype)
        hn = m.empty((T, N, H), dtype=proj.dtype)  # h U_n + b_hn per step (the reset gate's input)
        tmp = m.empty((N, H), dtype=proj.dtype)
        keep = self.keep
        r_sl, z_sl = self.r_sl, self.z_sl
        for t in range(T):
            a = proj[t]
            np.matmul(h, u, out=buf)
            if b_hh is not None:
                buf += b_hh
            rz = a[:, : 2 * H]
            rz += buf[:, : 2 * H]
            _sigmoid_from_half(rz)
            hn[t] = buf[:, 2 * H :]
            n = a[:, 2 * H :]
            np.multiply(a[:, r_sl], hn[t], out=tmp)
            n += tmp
            np.tanh(n, out=n)
            hs = seq[t]
            np.subtract(h, n, out=hs)  # h' = n + z (h − n)
            hs *= a[:, z_sl]
            hs += n
            if keep is not None:
                np.copyto(hs, h, where=self.skip[t])
            h = hs
        self.acts, self.hn = proj, hn

    def run_backward(self, dy, dstates):
        T, N, H = self.T, self.N, self.H
        m = xp(dy)
        dh = dstates[0]
        acts, hn, seq = self.acts, self.hn, self.hs
        dhid = m.empty((T, N, 3 * H), dtype=dy.dtype)  # gradients of h U + b_hh
        dn_in = m.empty((T, N, H), dtype=dy.dtype)  # gradient of the n block of x W + b_in
        tmp = m.empty((N, H), dtype=dy.dtype)
        dprev = m.empty((N, H), dtype=dy.dtype)
        wt = self.w_hh.T
        keep = self.keep
        r_sl, z_sl = self.r_sl, self.z_sl
        for t in range(T - 1, -1, -1):
            dh += dy[t]
            carried = self._masked(t, [dh]) if keep is not None else None
            a = acts[t]
            r, z, n = a[:, r_sl], a[:, z_sl], a[:, 2 * H :]
            hprev = self.h0 if t == 0 else seq[t - 1]
            d = dhid[t]
            dr, dz, dnh = d[:, r_sl], d[:, z_sl], d[:, 2 * H :]
            dan = dn_in[t]
            # z: dz_z = dh · (h_{t−1} − n) · z(1 − z)
            np.subtract(hprev, n, out=dz)
            dz *= dh
            dz *= z
            np.subtract(1, z, out=tmp)
            dz *= tmp
            # n: da_n = dh · (1 − z) · (1 − n²)
            np.multiply(dh, tmp, out=dan)
            np.multiply(n, n, out=tmp)
            np.subtract(1, tmp, out=tmp)
            dan *= tmp
            # r: dz_r = da_n · hn · r(1 − r); the hidden n block gets da_n · r
            np.multiply(dan, hn[t], out=dr)
            dr *= r
            np.subtract(1, r, out=tmp)
            dr *= tmp
            np.multiply(dan, r, out=dnh)
            np.multiply(dh, z, out=dprev)
            np.matmul(d, wt, out=dh)
            dh += dprev
            if carried is not None:
                dh += carried[0]
        dproj = dhid.copy()
        dproj[:, :, 2 * H :] = dn_in
        return dproj, dhid

    def bias_grads(self, grads, first, dproj, dhid, m):
        need = self.needs_input_grad
        if self.nbias >= 1 and need[first]:
            grads[first] = dproj.sum(axis=(0, 1))
        if self.nbias == 2 and need[first + 1]:
            grads[first + 1] = dhid.sum(axis=(0, 1))


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
    w_ih, w_hh = ensure_tensor(w_ih), ensure_tensor(w_hh)
    if w_hh.ndim != 2 or w_hh.shape[1] != gates * w_hh.shape[0]:
        raise ValueError(f"{op}: w_hh must have shape (H, {gates}·H), got {w_hh.shape}")
    H = w_hh.shape[0]
    if w_ih.shape != (I, gates * H):
        raise ValueError(
            f"{op}: w_ih must have shape (input_size, {gates}·H) = {(I, gates * H)} for x "
            f"{x.shape} and w_hh {w_hh.shape}, got {w_ih.shape}"
        )
    named = {"w_ih": w_ih, "w_hh": w_hh}
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


def _unpack(packed: Tensor, T: int, k: int):
    from .shape import getitem

    return (getitem(packed, slice(0, T)),) + tuple(getitem(packed, T + j) for j in range(k))


def rnn(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, *, nonlinearity: str = "tanh", mask=None,
        zero_output_for_mask: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """Elman RNN over a whole sequence: h_t = act(x_t w_ih + b_ih + h_{t−1} w_hh + b_hh).

    x (T, N, I); w_ih (I, H); w_hh (H, H); b_ih, b_hh (H,) or None; h0 (N, H) or None (zeros);
    ``nonlinearity`` "tanh" or "relu"; mask (N, T) booleans or None (see the module doc).
    Returns (outputs (T, N, H), h_n (N, H)).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    x, w_ih, w_hh, biases, states, mask = _check(
        "rnn", 1, x, w_ih, w_hh, b_ih, b_hh, [("h0", h0)], mask
    )
    biases = [b for b in biases if b is not None]
    packed = _RNN.apply(x, *states, w_ih, w_hh, *biases, mask=mask,
                        zero_output=zero_output_for_mask, nonlinearity=nonlinearity)  # fmt: skip
    return _unpack(packed, x.shape[0], 1)


def lstm(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, c0=None, *, mask=None,
         zero_output_for_mask: bool = False) -> tuple[Tensor, Tensor, Tensor]:  # fmt: skip
    """LSTM over a whole sequence, gates i, f, g, o in column blocks of H.

    x (T, N, I); w_ih (I, 4H); w_hh (H, 4H); b_ih, b_hh (4H,) or None (they are added: pass one for
    Keras's single bias, both for PyTorch's); h0, c0 (N, H) or None (zeros); mask (N, T) or None.
    Returns (outputs (T, N, H), h_n (N, H), c_n (N, H)).
    """
    x, w_ih, w_hh, biases, states, mask = _check(
        "lstm", 4, x, w_ih, w_hh, b_ih, b_hh, [("h0", h0), ("c0", c0)], mask
    )
    biases = [b for b in biases if b is not None]
    packed = _LSTM.apply(x, *states, w_ih, w_hh, *biases, mask=mask,
                         zero_output=zero_output_for_mask)  # fmt: skip
    return _unpack(packed, x.shape[0], 2)


def gru(x, w_ih, w_hh, b_ih=None, b_hh=None, h0=None, *, gate_order: str = "rzn", mask=None,
        zero_output_for_mask: bool = False) -> tuple[Tensor, Tensor]:  # fmt: skip
    """GRU over a whole sequence, reset gate applied after the hidden product (PyTorch's GRU,
    Keras's ``reset_after=True``).

    x (T, N, I); w_ih (I, 3H); w_hh (H, 3H); b_ih, b_hh (3H,) or None; column blocks in
    ``gate_order`` "rzn" (PyTorch) or "zrn" (Keras); h0 (N, H) or None (zeros); mask (N, T) or None.
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
    packed = _GRU.apply(x, *states, w_ih, w_hh, *biases, mask=mask,
                        zero_output=zero_output_for_mask, gate_order=gate_order)  # fmt: skip
    return _unpack(packed, x.shape[0], 1)
