"""The differentiable backward of the recurrent nodes (``create_graph=True``), as mixins.

:meth:`RecurrentGraph.backward_graph` rebuilds the states from the inputs with differentiable ops
(each kind's ``graph_states``) and runs backpropagation through time on Tensors (each kind's
``graph_step_back``), so that a gradient through an ``rnn``/``lstm``/``gru`` node can itself be
differentiated. It reads the node's inputs, its (T, N, H) outputs and masks (the (T, N, 1)
``keep``/``keepf``), never the gate-major arrays of the fast path in
:mod:`chainrule.ops.recurrent_kernels`.
"""

from __future__ import annotations


class RecurrentGraph:
    """``backward_graph`` shared by the three kinds."""

    def backward_graph(self, g):
        """Backpropagation through time written with differentiable ops: the states are rebuilt
        from the inputs (:meth:`graph_states`), then the recurrence of :meth:`run_backward` runs
        on Tensors (:meth:`graph_step_back`), and the weight gradients are products over all
        steps, as in :meth:`backward`."""
        from .shape import stack

        T, N, H, k = self.T, self.N, self.H, self.n_states
        x, states = self.parents[0], list(self.parents[1 : 1 + k])
        w_ih = None if self.projected else self.parents[k + 1]
        iw = k + 1 if self.projected else k + 2  # index of w_hh
        w_hh, biases = self.parents[iw], self.parents[iw + 1 :]
        need = self.needs_input_grad
        proj = x if self.projected else x @ w_ih
        for b in biases[: self.graph_proj_biases]:
            proj = proj + b
        self.graph_biases = biases
        hs, saved = self.graph_states(proj, states, w_hh)
        dy = g[:T]
        if self.zero_output:
            dy = dy * self.keepf
        dstates, dz, dhid = [g[T + j] for j in range(k)], [None] * T, [None] * T
        for t in range(T - 1, -1, -1):
            dstates[0] = dstates[0] + dy[t]
            carried = None
            if self.keep is not None:  # masked steps carry the gradient to the previous state
                keepf = self.keepf[t]
                carried = [d * (1 - keepf) for d in dstates]
                dstates = [d * keepf for d in dstates]
            dz[t], dhid[t], dstates = self.graph_step_back(t, dstates, saved, w_hh)
            if carried is not None:
                dstates = [d + c for d, c in zip(dstates, carried)]
        dproj = stack(dz)  # (T, N, G·H): gradient of x·w_ih + biases
        dhid = dproj if dhid[0] is dz[0] else stack(dhid)  # of h·w_hh (+ b_hh for the GRU)
        flat = dproj.reshape(T * N, -1)
        grads = [None] * len(self.parents)
        if need[0]:
            grads[0] = dproj if self.projected else dproj @ w_ih.T
        for j in range(k):
            if need[1 + j]:
                grads[1 + j] = dstates[j]
        if not self.projected and need[k + 1]:
            grads[k + 1] = x.reshape(T * N, self.I).T @ flat
        if need[iw]:
            prev = stack([states[0]] + hs[: T - 1]).reshape(T * N, H)
            grads[iw] = prev.T @ dhid.reshape(T * N, -1)
        for j in range(len(biases)):
            if need[iw + 1 + j]:  # the GRU's b_hh sits with the hidden product
                grads[iw + 1 + j] = (dproj if j < self.graph_proj_biases else dhid).sum(axis=(0, 1))
        return tuple(grads)


class RNNGraph:
    """The Elman RNN (tanh/relu) recurrence on Tensors."""

    def graph_states(self, proj, states, w_hh):
        """Rebuild h_1 … h_T with differentiable ops; returns (list of h_t, saved per step)."""
        from .elementwise import where

        hs, (h,) = [], states
        for t in range(self.T):
            a = proj[t] + h @ w_hh
            hn = a.relu() if self.relu else a.tanh()
            h = hn if self.keep is None else where(self.keep[t], hn, h)
            hs.append(h)
        return hs, hs

    def graph_step_back(self, t, dstates, saved, w_hh):
        """One step of BPTT on Tensors: the gradients of the step's input projection and of its
        hidden product (the same Tensor but for the GRU), and the new state gradients."""
        from .elementwise import where

        (dh,) = dstates
        h = saved[t]
        da = where(self.hs[t] > 0, dh, 0.0) if self.relu else dh * (1 - h * h)
        return da, da, [da @ w_hh.T]


class LSTMGraph:
    """The LSTM recurrence on Tensors."""

    def graph_states(self, proj, states, w_hh):
        from .elementwise import where

        H, keep = self.H, self.keep
        (h, c), hs, saved = states, [], []
        for t in range(self.T):
            z = proj[t] + h @ w_hh
            i, f = z[:, :H].sigmoid(), z[:, H : 2 * H].sigmoid()
            gg, o = z[:, 2 * H : 3 * H].tanh(), z[:, 3 * H :].sigmoid()
            cn = f * c + i * gg
            tc = cn.tanh()
            hn = o * tc
            saved.append((i, f, gg, o, tc, c))
            if keep is not None:
                cn, hn = where(keep[t], cn, c), where(keep[t], hn, h)
            h, c = hn, cn
            hs.append(h)
        return hs, saved

    def graph_step_back(self, t, dstates, saved, w_hh):
        from .shape import concatenate

        dh, dc = dstates
        i, f, gg, o, tc, c_prev = saved[t]
        dc = dc + dh * o * (1 - tc * tc)
        dz = concatenate(
            [dc * gg * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - gg * gg),
             dh * tc * o * (1 - o)], axis=-1,
        )  # fmt: skip
        return dz, dz, [dz @ w_hh.T, dc * f]


class GRUGraph:
    """The GRU (reset gate after the hidden product) recurrence on Tensors."""

    def graph_states(self, proj, states, w_hh):
        from .elementwise import where

        H, keep, r_sl, z_sl = self.H, self.keep, self.r_sl, self.z_sl
        b_hh = self.graph_biases[1] if len(self.graph_biases) == 2 else None
        (h,), hs, saved = states, [], []
        for t in range(self.T):
            a, buf = proj[t], h @ w_hh
            if b_hh is not None:
                buf = buf + b_hh
            r, z = (a[:, r_sl] + buf[:, r_sl]).sigmoid(), (a[:, z_sl] + buf[:, z_sl]).sigmoid()
            hid_n = buf[:, 2 * H :]
            n = (a[:, 2 * H :] + r * hid_n).tanh()
            hn = n + z * (h - n)
            saved.append((r, z, n, hid_n, h))
            h = hn if keep is None else where(keep[t], hn, h)
            hs.append(h)
        return hs, saved

    def graph_step_back(self, t, dstates, saved, w_hh):
        from .shape import concatenate

        (dh,) = dstates
        r, z, n, hid_n, h_prev = saved[t]
        dz = dh * (h_prev - n) * z * (1 - z)
        dan = dh * (1 - z) * (1 - n * n)
        dr = dan * hid_n * r * (1 - r)
        rz = [dr, dz] if self.r_sl.start == 0 else [dz, dr]
        dproj = concatenate(rz + [dan], axis=-1)
        dhid = concatenate(rz + [dan * r], axis=-1)
        return dproj, dhid, [dhid @ w_hh.T + dh * z]
