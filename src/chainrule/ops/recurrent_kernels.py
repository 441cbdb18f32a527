"""The Function nodes behind :mod:`chainrule.ops.recurrent`: one node per layer and sequence.

Each node's ``forward`` runs every time step (one matrix product per step for all gates, in-place
nonlinearities into preallocated arrays) and its ``backward`` runs backpropagation through time,
one hand-derived step per time step, then forms the weight gradients as large matrix products over
all steps. Layouts, gate orders and masking are described in :mod:`chainrule.ops.recurrent`.
"""

from __future__ import annotations

from ..backend import xp
from ..function import Function
from .recurrent_graph import GRUGraph, LSTMGraph, RecurrentGraph, RNNGraph


def _product_t(a, b, like):
    """``(a @ b).T``, laid out like ``like`` (a weight of that shape): a weight passed as a
    transposed view (the PyTorch door's ``weight.T``) gets an F-ordered gradient, whose transpose
    is then the C-ordered gradient of the parameter itself; any other weight a C-ordered one."""
    if like.flags.f_contiguous and not like.flags.c_contiguous:
        return (a @ b).T
    return b.T @ a.T


def _row_sums(a):
    """``a.sum(axis=1)`` of a 2-D array as a matrix-vector product (BLAS; ~3× faster than NumPy's
    reduction over the long rows of the (G·H, T·N) gradients)."""
    return a @ xp(a).ones(a.shape[1], dtype=a.dtype)


def _sigmoid_from_half(a):
    """In place: ``a`` holds z/2; afterwards it holds σ(z)."""
    xp(a).tanh(a, out=a)
    a *= 0.5
    a += 0.5


class RecurrentSequence(RecurrentGraph, Function):
    """Shared prologue and epilogue: the input projection, mask handling and the weight gradients.

    Inputs: ``x, h0, [c0], w_ih, w_hh, *biases`` (``nbias`` of them: b_ih and/or b_hh).
    The output is one packed array (T + k, N, H): rows 0..T-1 the outputs, row T the final h,
    row T+1 (lstm) the final c; the entry points hand out views of it.

    Inside the node every per-step array is *gate-major*: the gates of step t are ``acts[t]``
    (G·H, N), a state is (H, N). The step's product is then ``w_hhᵀ (G·H, H) @ hᵀ (H, N)`` with
    the large weight as the left, row-major operand, which OpenBLAS runs ~1.8× faster than
    ``h (N, H) @ w_hh (H, G·H)`` when N (the batch) is small, and every gate block is a contiguous
    (H, N) array for the elementwise work. See docs/sequence-ops.md.
    """

    fresh_grads = True
    graph_proj_biases = 2  # biases added to the input projection (the GRU's b_hh is not)
    gates = 1  # G: gate blocks per step
    n_states = 1  # 1 (h) or 2 (h, c)
    sigmoid_rows: tuple = ()  # gate-row ranges (in units of H) computed as sigmoids

    def _half(self, w, copy: bool = True):
        """A C-contiguous copy of ``w`` (G·H, …) (or ``w`` itself, ``copy=False``) with the
        sigmoid gates' rows halved (see the module doc of :mod:`chainrule.ops.recurrent`)."""
        if copy:
            w = xp(w).array(w, order="C", copy=True)
        H = self.H
        for lo, hi in self.sigmoid_rows:
            w[lo * H : hi * H] *= 0.5
        return w

    def forward(self, x, *arrays, mask, zero_output, projected, **kw):
        k = self.n_states
        self.projected = projected  # x is already x·w_ih: (T, N, G·H), and there is no w_ih input
        nw = 1 if projected else 2
        states, weights, biases = arrays[:k], arrays[k : k + nw], arrays[k + nw :]
        w_ih, w_hh = (None, weights[0]) if projected else weights
        m = xp(x)
        T, N, I = x.shape
        H = states[0].shape[1]
        self.T, self.N, self.I, self.H = T, N, I, H
        self.x, self.w_ih, self.w_hh, self.nbias = x, w_ih, w_hh, len(biases)
        self.h0 = states[0]
        self.setup(**kw)
        # the gates of every step, gate-major: (T, G·H, N); a copy, as the loop works in place
        biases = self.proj_biases(biases)  # those that join the input projection
        if projected:
            proj = m.array(x.transpose(0, 2, 1), order="C", copy=True)
            for b in biases:
                proj += b[:, None]
            for lo, hi in self.sigmoid_rows:
                proj[:, lo * H : hi * H] *= 0.5
        else:
            proj = self._project(x, w_ih, biases)
        if mask is not None:
            self.keep = mask.T[:, :, None]  # (T, N, 1) bool (the graph path's layout)
            self.skip_t = ~mask.T[:, None, :]  # (T, 1, N): gate-major layout of the kernels
            self.keepf = self.keep.astype(x.dtype)
            self.keepf_t = mask.T[:, None, :].astype(x.dtype)
        else:
            self.keep = None
        self.zero_output = zero_output and mask is not None
        out = m.empty((T + k, N, H), dtype=x.dtype)
        seq = m.empty((T, N, H), dtype=x.dtype) if self.zero_output else out[:T]
        self.hs = seq  # h_1 … h_T (the states, carried through masked steps)
        self.run_forward(proj, states, seq, out)
        out[T] = seq[T - 1]
        if self.zero_output:
            m.multiply(seq, self.keepf, out=out[:T])
        return out

    def proj_biases(self, biases):
        """The biases added to the input projection (all of them but the GRU's b_hh)."""
        return biases

    def _project(self, x, w_ih, biases):
        """``(x @ w_ih + Σ biases)`` with the sigmoid gates halved, gate-major (T, G·H, N): one
        batched product; the biases ride along as an extra input column of ones (free, where a
        broadcast add over (T, G·H, N) costs a pass over the gates)."""
        m = xp(x)
        T, N, I = x.shape
        if not biases:
            return m.matmul(self._half(w_ih.T), x.transpose(0, 2, 1))
        w = m.empty((w_ih.shape[1], I + 1), dtype=x.dtype)
        w[:, :I] = w_ih.T
        w[:, I] = biases[0]
        for b in biases[1:]:
            w[:, I] += b
        xa = m.empty((T, N, I + 1), dtype=x.dtype)
        xa[:, :, :I] = x
        xa[:, :, I] = 1
        return m.matmul(self._half(w, copy=False), xa.transpose(0, 2, 1))

    def backward(self, g):
        m = xp(g)
        T, N, H = self.T, self.N, self.H
        need = self.needs_input_grad
        # output and state gradients, gate-major ((T, H, N) and (H, N)), fresh: in place below
        dy = m.ascontiguousarray(g[:T].transpose(0, 2, 1))
        if self.zero_output:
            dy *= self.keepf_t
        dstates = [g[T + j].T.copy() for j in range(self.n_states)]
        dproj, dhid = self.run_backward(dy, dstates)  # (T, G·H, N) each; dhid may be dproj
        # one block transpose to (G·H, T·N): the weight gradients are then single products
        dzt = m.ascontiguousarray(dproj.transpose(1, 0, 2)).reshape(-1, T * N)
        dht = dzt if dhid is dproj else m.ascontiguousarray(dhid.transpose(1, 0, 2))
        dht = dht.reshape(-1, T * N)
        k = self.n_states
        w = k + 1 if self.projected else k + 2  # index of w_hh among the inputs
        grads = [None] * (w + 1 + self.nbias)
        if need[0]:
            if self.projected:  # the gradient of the (T, N, G·H) projection itself
                grads[0] = m.ascontiguousarray(dzt.T).reshape(T, N, -1)
            else:
                grads[0] = (dzt.T @ self.w_ih.T).reshape(T, N, self.I)
        for j in range(k):
            if need[1 + j]:
                grads[1 + j] = m.ascontiguousarray(dstates[j].T)
        if not self.projected and need[k + 1]:
            grads[k + 1] = _product_t(dzt, self.x.reshape(T * N, self.I), self.w_ih)
        if need[w]:
            dw = _product_t(dht[:, :N], self.h0, self.w_hh)
            if T > 1:
                dw += _product_t(dht[:, N:], self.hs[: T - 1].reshape((T - 1) * N, H), dw)
            grads[w] = dw
        self.bias_grads(grads, w + 1, dzt, dht)
        return tuple(grads)

    def bias_grads(self, grads, first, dzt, dht):
        """Gradients of the biases from the (G·H, T·N) gradients of the projection (``dzt``) and
        of the hidden product (``dht``)."""
        need = self.needs_input_grad
        db = None
        for j in range(self.nbias):
            if need[first + j]:
                db = _row_sums(dzt) if db is None else db.copy()
                grads[first + j] = db

    def _masked(self, t, dh_list):
        """At step t of backward: split each (H, N) state gradient into the part that flows
        through the cell (real steps) and the part carried straight to the previous state
        (masked steps)."""
        keepf = self.keepf_t[t]
        carried = []
        for d in dh_list:
            carried.append(d * (1 - keepf))
            d *= keepf
        return carried


class RNNSequence(RNNGraph, RecurrentSequence):
    gates = 1

    def setup(self, nonlinearity):
        self.relu = nonlinearity == "relu"

    def run_forward(self, proj, states, seq, out):
        m = xp(proj)
        u = self._half(self.w_hh.T)  # (H, H), row-major: the step's left operand
        h = states[0].T  # (H, N) views of the state (gate-major)
        keep = self.keep
        buf = m.empty_like(proj[0])
        for t in range(self.T):
            a = proj[t]
            m.matmul(u, h, out=buf)
            a += buf
            if self.relu:
                m.maximum(a, 0, out=a)
            else:
                m.tanh(a, out=a)
            if keep is not None:
                m.copyto(a, h, where=self.skip_t[t])
            h = seq[t].T
            h[...] = a
        self.acts = proj

    def run_backward(self, dy, dstates):
        m = xp(dy)
        dh = dstates[0]
        acts = self.acts
        dproj = m.empty_like(acts)
        u = m.ascontiguousarray(self.w_hh)
        keep = self.keep
        for t in range(self.T - 1, -1, -1):
            dh += dy[t]
            carried = self._masked(t, [dh]) if keep is not None else None
            da, a = dproj[t], acts[t]
            if self.relu:
                m.greater(a, 0, out=da)
                da *= dh
            else:
                m.multiply(a, a, out=da)
                m.subtract(1, da, out=da)
                da *= dh
            m.matmul(u, da, out=dh)
            if carried is not None:
                dh += carried[0]
        return dproj, dproj


class LSTMSequence(LSTMGraph, RecurrentSequence):
    gates = 4
    n_states = 2
    sigmoid_rows = ((0, 2), (3, 4))  # i, f | g | o

    def setup(self):
        pass

    def run_forward(self, proj, states, seq, out):
        T, N, H = self.T, self.N, self.H
        m = xp(proj)
        h, c = states[0].T, states[1].T  # (H, N) views
        u = self._half(self.w_hh.T)  # (4H, H), row-major: the step's left operand
        cells = m.empty((T + 1, H, N), dtype=proj.dtype)  # c_0 … c_T, gate-major
        cells[0] = c
        tanh_c = m.empty((T, H, N), dtype=proj.dtype)
        buf = m.empty((4 * H, N), dtype=proj.dtype)
        tmp = m.empty((H, N), dtype=proj.dtype)
        keep = self.keep
        for t in range(T):
            z = proj[t]  # (4H, N), contiguous
            m.matmul(u, h, out=buf)
            z += buf
            m.tanh(z, out=z)
            for blk in (z[: 2 * H], z[3 * H :]):
                blk *= 0.5
                blk += 0.5
            i, f, gg, o = z[:H], z[H : 2 * H], z[2 * H : 3 * H], z[3 * H :]
            cn = cells[t + 1]
            m.multiply(f, cells[t], out=cn)
            m.multiply(i, gg, out=tmp)
            cn += tmp
            m.tanh(cn, out=tanh_c[t])
            hn = seq[t].T  # written transposed: the outputs are (T, N, H)
            m.multiply(o, tanh_c[t], out=hn)
            if keep is not None:
                m.copyto(cn, cells[t], where=self.skip_t[t])
                m.copyto(hn, h, where=self.skip_t[t])
            h = hn
        out[T + 1] = cells[T].T
        self.acts, self.cells, self.tanh_c = proj, cells, tanh_c

    def run_backward(self, dy, dstates):
        T, N, H = self.T, self.N, self.H
        m = xp(dy)
        dh, dc = dstates  # (H, N)
        acts, cells, tanh_c = self.acts, self.cells, self.tanh_c
        # Local derivatives for every step at once, before the loop (big streaming passes):
        # dz_all starts as σ'(z) = s(1 − s) for i, f, o and tanh'(z) = 1 − g² for g; the loop then
        # multiplies each block by its upstream factor. do_dc = o · (1 − tanh²c): how c feeds h.
        dz_all = m.empty_like(acts)
        for blk in (slice(0, 2 * H), slice(3 * H, 4 * H)):  # the sigmoid gates only
            m.subtract(1, acts[:, blk], out=dz_all[:, blk])
            dz_all[:, blk] *= acts[:, blk]
        g_blk = dz_all[:, 2 * H : 3 * H]
        m.multiply(acts[:, 2 * H : 3 * H], acts[:, 2 * H : 3 * H], out=g_blk)
        m.subtract(1, g_blk, out=g_blk)
        dh_dc = m.multiply(tanh_c, tanh_c)
        m.subtract(1, dh_dc, out=dh_dc)
        dh_dc *= acts[:, 3 * H :]
        tmp = m.empty((H, N), dtype=dy.dtype)
        u = m.ascontiguousarray(self.w_hh)  # (H, 4H)
        keep = self.keep
        for t in range(T - 1, -1, -1):
            dh += dy[t]
            carried = self._masked(t, [dh, dc]) if keep is not None else None
            a = acts[t]
            i, f, gg = a[:H], a[H : 2 * H], a[2 * H : 3 * H]
            dz = dz_all[t]
            di, df, dg, do = dz[:H], dz[H : 2 * H], dz[2 * H : 3 * H], dz[3 * H :]
            m.multiply(dh, dh_dc[t], out=tmp)  # dc += dh · o · (1 − tanh²c)
            dc += tmp
            m.multiply(dh, tanh_c[t], out=tmp)  # dz_o = dh · tanh(c) · σ'
            do *= tmp
            m.multiply(dc, gg, out=tmp)  # dz_i = dc · g · σ'
            di *= tmp
            m.multiply(dc, cells[t], out=tmp)  # dz_f = dc · c_{t−1} · σ'
            df *= tmp
            m.multiply(dc, i, out=tmp)  # dz_g = dc · i · tanh'
            dg *= tmp
            dc *= f
            m.matmul(u, dz, out=dh)
            if carried is not None:
                dh += carried[0]
                dc += carried[1]
        return dz_all, dz_all


class GRUSequence(GRUGraph, RecurrentSequence):
    gates = 3
    graph_proj_biases = 1
    sigmoid_rows = ((0, 2),)  # r and z (either order) | n

    def setup(self, gate_order):
        H = self.H
        first, second = slice(0, H), slice(H, 2 * H)
        self.r_sl, self.z_sl = (first, second) if gate_order == "rzn" else (second, first)

    def proj_biases(self, biases):
        # b_ih joins the projection; b_hh is added inside the step (the n block is reset-gated)
        self.b_hh = biases[1] if biases else None
        return biases[:1]

    def run_forward(self, proj, states, seq, out):
        T, N, H = self.T, self.N, self.H
        m = xp(proj)
        u = self._half(self.w_hh.T)  # (3H, H), row-major: the step's left operand
        b_hh = None if self.b_hh is None else self._half(self.b_hh)[:, None]
        buf = m.empty((3 * H, N), dtype=proj.dtype)
        hn = m.empty((T, H, N), dtype=proj.dtype)  # h U_n + b_hn per step (the reset gate's input)
        hs = m.empty((T + 1, H, N), dtype=proj.dtype)  # h_0 … h_T, gate-major
        hs[0] = states[0].T
        tmp = m.empty((H, N), dtype=proj.dtype)
        keep = self.keep
        r_sl, z_sl = self.r_sl, self.z_sl
        for t in range(T):
            a = proj[t]
            m.matmul(u, hs[t], out=buf)
            if b_hh is not None:
                buf += b_hh
            rz = a[: 2 * H]
            rz += buf[: 2 * H]
            _sigmoid_from_half(rz)
            hn[t] = buf[2 * H :]
            n = a[2 * H :]
            m.multiply(a[r_sl], hn[t], out=tmp)
            n += tmp
            m.tanh(n, out=n)
            h = hs[t + 1]
            m.subtract(hs[t], n, out=h)  # h' = n + z (h − n)
            h *= a[z_sl]
            h += n
            if keep is not None:
                m.copyto(h, hs[t], where=self.skip_t[t])
            seq[t].T[...] = h
        self.acts, self.hn, self.states_t = proj, hn, hs

    def run_backward(self, dy, dstates):
        T, N, H = self.T, self.N, self.H
        m = xp(dy)
        dh = dstates[0]  # (H, N)
        acts, hn, hs = self.acts, self.hn, self.states_t
        dhid = m.empty((T, 3 * H, N), dtype=dy.dtype)  # gradients of h U + b_hh
        dn_in = m.empty((T, H, N), dtype=dy.dtype)  # gradient of the n block of x W + b_in
        tmp = m.empty((H, N), dtype=dy.dtype)
        dprev = m.empty((H, N), dtype=dy.dtype)
        u = m.ascontiguousarray(self.w_hh)  # (H, 3H)
        keep = self.keep
        r_sl, z_sl = self.r_sl, self.z_sl
        for t in range(T - 1, -1, -1):
            dh += dy[t]
            carried = self._masked(t, [dh]) if keep is not None else None
            a = acts[t]
            r, z, n = a[r_sl], a[z_sl], a[2 * H :]
            d = dhid[t]
            dr, dz, dnh = d[r_sl], d[z_sl], d[2 * H :]
            dan = dn_in[t]
            # z: dz_z = dh · (h_{t−1} − n) · z(1 − z)
            m.subtract(hs[t], n, out=dz)
            dz *= dh
            dz *= z
            m.subtract(1, z, out=tmp)
            dz *= tmp
            # n: da_n = dh · (1 − z) · (1 − n²)
            m.multiply(dh, tmp, out=dan)
            m.multiply(n, n, out=tmp)
            m.subtract(1, tmp, out=tmp)
            dan *= tmp
            # r: dz_r = da_n · hn · r(1 − r); the hidden n block gets da_n · r
            m.multiply(dan, hn[t], out=dr)
            dr *= r
            m.subtract(1, r, out=tmp)
            dr *= tmp
            m.multiply(dan, r, out=dnh)
            m.multiply(dh, z, out=dprev)
            m.matmul(u, d, out=dh)
            dh += dprev
            if carried is not None:
                dh += carried[0]
        dproj = dhid.copy()
        dproj[:, 2 * H :] = dn_in
        return dproj, dhid

    def bias_grads(self, grads, first, dzt, dht):
        need = self.needs_input_grad
        if self.nbias >= 1 and need[first]:
            grads[first] = _row_sums(dzt)
        if self.nbias == 2 and need[first + 1]:
            grads[first + 1] = _row_sums(dht)
