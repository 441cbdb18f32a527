"""Convolution (cross-correlation, as in every deep-learning library): conv1d and conv2d.

One graph node per layer, bias fused. Internally channels-last with the kernel as
``(kh, kw, C_in / groups, C_out)`` (Keras's layout, "HWIO"):

- forward: copy the sliding windows of the padded image into a column matrix
  ``(N·Ho·Wo, kh·kw·C_in)`` (one strided copy, see :func:`_conv_util.windows`), then one matrix
  product with the kernel reshaped to ``(kh·kw·C_in, C_out)``; the result *is* the channels-last
  output, no transpose needed;
- weight gradient: ``columnsᵀ @ grad`` (one product); bias gradient: a sum over rows;
- input gradient: ``grad @ kernelᵀ`` gives the column gradient (one product), which
  :func:`_conv_util.col2im` adds back onto the image with ``kh·kw`` vectorised strided adds.

PyTorch's layouts are views onto this: an ``(N, C, H, W)`` input is read through a transpose (the
column copy re-lays it out), the output is returned as an ``(N, C, H, W)`` transposed view of the
channels-last result (elementwise ops that follow keep that memory order, and the next conv reads
it back as channels-last without a copy), and a ``(C_out, C_in / groups, kh, kw)`` weight is
transposed to HWIO — a copy of the (small) weight only. With ``groups > 1`` the columns are laid out
group-major and the product is one batched matmul over the groups.
"""

from __future__ import annotations

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from . import _conv_util as cu
from . import _memory
from ._convert import ensure_tensor

_memory.prime()


class Conv(Function):
    """2-D convolution (1-D inputs arrive with a unit height axis added by :func:`conv1d`).

    Parameters (all resolved by the entry points): ``stride``, ``dilation``: pairs; ``pads``:
    ((top, bottom), (left, right)); ``groups``; ``cf``: input is channels-first; ``torch_w``: the
    weight is (C_out, C_in/groups, kh, kw) rather than (kh, kw, C_in/groups, C_out); ``one_d``:
    inputs and outputs have no height axis.
    """

    def forward(self, x, w, b=None, *, stride, dilation, pads, groups, cf, torch_w, one_d, relu):
        m = xp(x)
        if one_d:  # add a unit height axis (views)
            x = x[:, :, None, :] if cf else x[:, None]
            w = w[:, :, None, :] if torch_w else w[None]
        xv = cu.to_nhwc(x, cf)
        wv = w.transpose(2, 3, 1, 0) if torch_w else w  # (kh, kw, cg, cout)
        n, h, wd, c = xv.shape
        kh, kw, cg, cout = wv.shape
        k_eff = ((kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1)
        ho = cu.out_size(h, pads[0], k_eff[0], stride[0])
        wo = cu.out_size(wd, pads[1], k_eff[1], stride[1])
        xpad = cu.pad_nhwc(xv, pads)
        win = cu.windows(xpad, (kh, kw), dilation, stride, (ho, wo), groups)
        rows = n * ho * wo
        self.cols_t = groups == 1 and c == 1
        if self.cols_t:
            # one input channel: columns (kh·kw, rows), each row a shifted image (long copies);
            # a row of ones and the bias as an extra weight row fold the bias into the product
            # (and its gradient into the weight gradient's product)
            k = kh * kw
            cols = m.empty((k + (b is not None), rows), dtype=x.dtype)
            cols[:k].reshape(kh, kw, n, ho, wo)[...] = win[..., 0].transpose(3, 4, 0, 1, 2)
            wmat = wv.reshape(k, cout)
            if b is not None:
                cols[k] = 1
                wmat = m.concatenate([wmat, b[None]])
            out = cols.T @ wmat
        elif groups == 1:  # columns (rows, kh·kw·C): each window row is one contiguous run
            cols = m.empty(win.shape, dtype=x.dtype)
            cols[...] = win
            cols = cols.reshape(rows, kh * kw * c)
            wmat = wv.reshape(kh * kw * c, cout)
            out = cols @ wmat
        else:  # group-major columns (G, rows, kh·kw·C/G), one batched product over the groups
            og = cout // groups
            cols = m.empty((groups, n, ho, wo, kh, kw, cg), dtype=x.dtype)
            cols[...] = win.transpose(5, 0, 1, 2, 3, 4, 6)
            cols = cols.reshape(groups, rows, kh * kw * cg)
            wmat = wv.reshape(kh, kw, cg, groups, og).transpose(3, 0, 1, 2, 4)
            wmat = wmat.reshape(groups, kh * kw * cg, og)
            out = m.empty((rows, groups, og), dtype=x.dtype)
            m.matmul(cols, wmat, out=out.transpose(1, 0, 2))
            out = out.reshape(rows, cout)
        if b is not None and not self.cols_t:
            out += b
        if relu:
            m.maximum(out, 0, out=out)
            self.out = out
        self.relu = relu
        self.cols, self.wmat = cols, wmat
        self.geom = (n, h, wd, c, kh, kw, cg, cout, ho, wo, xpad.shape)
        self.stride, self.dilation, self.pads, self.groups = stride, dilation, pads, groups
        self.cf, self.torch_w, self.one_d, self.has_bias = cf, torch_w, one_d, b is not None
        out = cu.from_nhwc(out.reshape(n, ho, wo, cout), cf)
        if one_d:
            out = out[:, :, 0] if cf else out[:, 0]
        return out

    def backward(self, g):
        n, _, _, c, kh, kw, cg, cout, ho, wo, padded = self.geom
        groups, cf, one_d = self.groups, self.cf, self.one_d
        need = self.needs_input_grad
        m = xp(g)
        if one_d:
            g = g[:, :, None, :] if cf else g[:, None]
        gm = m.ascontiguousarray(cu.to_nhwc(g, cf)).reshape(n * ho * wo, cout)
        if self.relu:
            gm = m.multiply(gm, self.out > 0)
        gx = gw = gb = None
        k = kh * kw
        if self.cols_t:  # the bias gradient comes out of the weight product (the ones row)
            if need[1] or (self.has_bias and need[2]):
                gwb = self.cols @ gm
                gw = gwb[:k].reshape(kh, kw, cg, cout) if need[1] else None
                gb = gwb[k] if self.has_bias and need[2] else None
            if need[0]:
                wt = self.wmat[:k].reshape(k, 1, cout).transpose(0, 2, 1)
                dcols = m.matmul(gm, wt).reshape(kh, kw, n, ho, wo, c)
                gx = cu.col2im(dcols, padded, self.dilation, self.stride, g.dtype)
        elif groups == 1:
            if need[1]:
                gw = (self.cols.T @ gm).reshape(kh, kw, cg, cout)
            if need[0]:
                # column gradient offset-major, (kh·kw, rows, C): one batched product whose
                # blocks the kh·kw strided adds of col2im then read contiguously
                wt = self.wmat.reshape(k, c, cout).transpose(0, 2, 1)
                dcols = m.matmul(gm, wt).reshape(kh, kw, n, ho, wo, c)
                gx = cu.col2im(dcols, padded, self.dilation, self.stride, g.dtype)
        else:
            og = cout // groups
            gg = gm.reshape(-1, groups, og).transpose(1, 0, 2)  # (G, rows, og) view
            if need[1]:
                gw = self.cols.transpose(0, 2, 1) @ gg  # (G, kh·kw·cg, og)
                gw = gw.reshape(groups, kh, kw, cg, og).transpose(1, 2, 3, 0, 4)
                gw = gw.reshape(kh, kw, cg, cout)
            if need[0]:
                dcols = gg @ self.wmat.transpose(0, 2, 1)  # (G, rows, kh·kw·cg)
                dcols = dcols.reshape(groups, n, ho, wo, kh, kw, cg).transpose(4, 5, 1, 2, 3, 0, 6)
                grid = padded[:3] + (groups, cg)
                gx = cu.col2im(dcols, grid, self.dilation, self.stride, g.dtype)
                gx = gx.reshape(padded)
        if gx is not None:
            gx = cu.from_nhwc(cu.crop(gx, self.pads), cf)
            if one_d:
                gx = gx[:, :, 0] if cf else gx[:, 0]
        if gw is not None:
            if self.torch_w:
                gw = gw.transpose(3, 2, 0, 1)
            if one_d:
                gw = gw[:, :, 0] if self.torch_w else gw[0]
            gw = m.ascontiguousarray(gw)
        if gb is not None:
            gb = m.ascontiguousarray(gb)
        if self.has_bias:
            if (
                need[2] and gb is None
            ):  # sum over images first: long contiguous rows, then over pixels
                gb = gm.reshape(n, -1).sum(axis=0).reshape(-1, cout).sum(axis=0)
            return gx, gw, gb
        return gx, gw

    def backward_graph(self, g):
        """The same derivative with differentiable ops: the input gradient is a transposed
        convolution of ``g`` with the weight, the weight gradient a convolution of the input with
        ``g`` (see :func:`_weight_grad`), the bias gradient a sum."""
        from .conv_transpose import ConvTranspose
        from .elementwise import where

        x, w = self.parents[0], self.parents[1]
        n, h, wd, _, kh, kw, _, cout, ho, wo, _ = self.geom
        cf, one_d, need = self.cf, self.one_d, self.needs_input_grad
        if one_d:  # the unit height axis, as in forward
            g = g.unsqueeze(2) if cf else g.unsqueeze(1)
        if self.relu:
            mask = cu.from_nhwc(self.out.reshape(n, ho, wo, cout) > 0, cf)
            g = where(mask, g, 0.0)
        gx = gw = gb = None
        if need[0]:
            w4 = w if not one_d else (w.unsqueeze(2) if self.torch_w else w.unsqueeze(0))
            full = [(s - 1) * st + (k - 1) * d + 1 for s, st, k, d in
                    zip((ho, wo), self.stride, (kh, kw), self.dilation)]  # fmt: skip
            crops = tuple((p[0], f - p[0] - size) for p, f, size in zip(self.pads, full, (h, wd)))
            gx = ConvTranspose.apply(g, w4, stride=self.stride, dilation=self.dilation,
                                     crops=crops, groups=self.groups, cf=cf, torch_w=self.torch_w)  # fmt: skip
            if one_d:
                gx = gx[:, :, 0] if cf else gx[:, 0]
        if need[1]:
            x4 = x if not one_d else (x.unsqueeze(2) if cf else x.unsqueeze(1))
            x4 = x4 if cf else x4.transpose(0, 3, 1, 2)
            g4 = g if cf else g.transpose(0, 3, 1, 2)
            gw = _weight_grad(x4, g4, self.pads, self.stride, self.dilation, self.groups, kh, kw)
            if not self.torch_w:  # (C_out, cg, kh, kw) -> (kh, kw, cg, C_out)
                gw = gw.transpose(2, 3, 1, 0)
            if one_d:
                gw = gw[:, :, 0] if self.torch_w else gw[0]
        if self.has_bias:
            if need[2]:
                gb = g.sum(axis=(0, 2, 3) if cf else (0, 1, 2))
            return gx, gw, gb
        return gx, gw


def _weight_grad(inp, g, pads, stride, dilation, groups, kh, kw) -> Tensor:
    """Differentiable weight gradient of a convolution of ``inp`` (N, C, H, W), padded by ``pads``,
    whose output gradient is ``g`` (N, C_out, Ho, Wo): ``gw[o, i, a, b] = Σ g[n, o, p, q] ·
    inp_pad[n, G(o)·cg + i, p·s + a·d, q·s + b·d]``. That is itself a grouped convolution, with
    the images' channels as its batch, the batch as its channels, ``g`` as the kernel, stride and
    dilation swapped; its output is cropped to (kh, kw). Returns (C_out, C/groups, kh, kw)."""
    n, c, h, wd = inp.shape
    cg = c // groups
    inp_t = (
        inp.reshape(n, groups, cg, h, wd).transpose(2, 1, 0, 3, 4).reshape(cg, groups * n, h, wd)
    )
    out = Conv.apply(inp_t, g.transpose(1, 0, 2, 3), stride=dilation, dilation=stride, pads=pads,
                     groups=groups, cf=True, torch_w=True, one_d=False, relu=False)  # fmt: skip
    return out[:, :, :kh, :kw].transpose(1, 0, 2, 3)


def _conv(op, x, weight, bias, stride, padding, dilation, groups, data_format, weight_layout,
          activation, one_d) -> Tensor:  # fmt: skip
    nd = 1 if one_d else 2
    if activation not in (None, "relu"):
        raise ValueError(f"{op}: activation must be None or 'relu', got {activation!r}")
    cf = cu.channels_first(op, data_format)
    layouts = ("wio", "oiw") if one_d else ("hwio", "oihw")
    if weight_layout is None:
        weight_layout = layouts[cf]
    if weight_layout not in layouts:
        raise ValueError(
            f"{op}: weight_layout must be {layouts[0]!r} (Keras) or {layouts[1]!r} (PyTorch), "
            f"got {weight_layout!r}"
        )
    torch_w = weight_layout == layouts[1]
    x, weight = ensure_tensor(x), ensure_tensor(weight)
    bias = None if bias is None else ensure_tensor(bias)
    cu.check_rank(op, x, nd + 2, cf)
    if weight.ndim != nd + 2:
        raise ValueError(
            f"{op}: weight must be {nd + 2}-D in layout {weight_layout!r}, got shape {weight.shape}"
        )
    cu.check_float(op, input=x, weight=weight, bias=bias)
    groups = cu.as_int(op, "groups", groups)
    if groups < 1:
        raise ValueError(f"{op}: groups must be >= 1, got {groups}")
    ws = weight.shape
    cout, cg, ksize = (ws[0], ws[1], ws[2:]) if torch_w else (ws[-1], ws[-2], ws[:-2])
    c = x.shape[1] if cf else x.shape[-1]
    sizes = x.shape[2:] if cf else x.shape[1:-1]
    if c % groups or cout % groups:
        raise ValueError(
            f"{op}: groups={groups} must divide both the input channels ({c}) and the output "
            f"channels ({cout}); input {x.shape}, weight {ws}"
        )
    if cg * groups != c:
        raise ValueError(
            f"{op}: input has {c} channels but weight {ws} ({weight_layout}) expects "
            f"{cg} per group × {groups} groups = {cg * groups}"
        )
    if bias is not None and tuple(bias.shape) != (cout,):
        raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({cout},)")
    stride = cu.int_tuple(op, "stride", stride, nd)
    dilation = cu.int_tuple(op, "dilation", dilation, nd)
    k_eff = tuple((k - 1) * d + 1 for k, d in zip(ksize, dilation))
    if min(ksize) < 1:
        raise ValueError(f"{op}: kernel size must be >= 1, got weight {ws}")
    if one_d and isinstance(padding, str) and padding.lower() == "causal":
        pads = ((k_eff[0] - 1, 0),)
    else:
        pads = cu.resolve_pads(op, padding, sizes, k_eff, stride)
    cu.check_spatial(op, x.shape, sizes, pads, k_eff)
    if one_d:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    params = {
        "stride": stride,
        "dilation": dilation,
        "pads": pads,
        "groups": groups,
        "cf": cf,
        "torch_w": torch_w,
        "one_d": one_d,
        "relu": activation == "relu",
    }
    if bias is None:
        return Conv.apply(x, weight, **params)
    return Conv.apply(x, weight, bias, **params)


def conv2d(
    x,
    weight,
    bias=None,
    stride=1,
    padding="valid",
    dilation=1,
    groups: int = 1,
    data_format: str = "channels_last",
    weight_layout: str | None = None,
    activation: str | None = None,
) -> Tensor:
    """2-D convolution (cross-correlation) with optional fused bias.

    x: (N, H, W, C_in) for ``data_format="channels_last"`` (Keras), (N, C_in, H, W) for
    ``"channels_first"`` (PyTorch). weight: (kh, kw, C_in/groups, C_out) for
    ``weight_layout="hwio"`` (Keras kernel) or (C_out, C_in/groups, kh, kw) for ``"oihw"``
    (PyTorch weight); the default follows ``data_format``. bias: (C_out,) or None.
    stride, dilation: int or (h, w). padding: ``"valid"``; ``"same"`` (output ``ceil(size /
    stride)``, odd padding after, as Keras — and PyTorch's ``'same'``, which it defines for stride
    1 only); an int or (h, w) applied on both sides (PyTorch); or ((top, bottom), (left, right)).
    groups: channels split into groups convolved separately (``groups == C_in``: depthwise).
    activation: None, or ``"relu"`` to apply ``max(·, 0)`` in place inside the same node (Keras's
    ``Conv2D(activation="relu")``: no extra array, no extra graph node).

    Returns (N, Ho, Wo, C_out) or (N, C_out, Ho, Wo), with
    ``Ho = (H + top + bottom - dilation·(kh - 1) - 1) // stride + 1``.
    """
    return _conv("conv2d", x, weight, bias, stride, padding, dilation, groups, data_format,
                 weight_layout, activation, one_d=False)  # fmt: skip


def conv1d(
    x,
    weight,
    bias=None,
    stride=1,
    padding="valid",
    dilation=1,
    groups: int = 1,
    data_format: str = "channels_last",
    weight_layout: str | None = None,
    activation: str | None = None,
) -> Tensor:
    """1-D convolution (cross-correlation) with optional fused bias.

    x: (N, L, C_in) for ``"channels_last"``, (N, C_in, L) for ``"channels_first"``. weight:
    (k, C_in/groups, C_out) for ``weight_layout="wio"`` (Keras) or (C_out, C_in/groups, k) for
    ``"oiw"`` (PyTorch). padding: ``"valid"``, ``"same"``, ``"causal"`` (Keras: ``dilation·(k-1)``
    zeros on the left only), an int, or a 1-tuple of (before, after). Otherwise as :func:`conv2d`.
    Returns (N, Lo, C_out) or (N, C_out, Lo).
    """
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        padding = (tuple(padding),)
    return _conv("conv1d", x, weight, bias, stride, padding, dilation, groups, data_format,
                 weight_layout, activation, one_d=True)  # fmt: skip
