"""Transposed convolution (the adjoint of conv2d with respect to its input): conv_transpose2d.

Same machinery as :mod:`.conv`, run the other way round, channels-last inside:

- forward: one matrix product ``x (N·H·W, C_in) @ W (C_in, kh·kw·C_out)`` gives every pixel's
  contribution patch, and :func:`_conv_util.col2im` adds the patches onto the full output
  ``((H − 1)·stride + dilation·(kh − 1) + 1, …)`` with ``kh·kw`` strided adds; the requested output
  is a crop of that (or an extension with zeros, for ``output_padding``);
- backward: the output gradient's sliding windows (im2col, one strided copy) times ``Wᵀ`` give the
  input gradient, ``xᵀ`` times them the weight gradient: one product each.

Output cropping: PyTorch's ``padding=p, output_padding=q`` crops p rows at the top and ``p − q`` at
the bottom. Keras's ``"valid"``/``"same"`` (TensorFlow's ``conv2d_transpose`` rule) first fixes the
output length — ``H·s + max(k − s, 0)`` / ``H·s``, or ``(H − 1)·s + k − 2·pad + output_padding`` with
``pad = k // 2`` for "same" when ``output_padding`` is given — then crops ``total // 2`` at the top and
the rest at the bottom, ``total`` = full length − output length (a negative total extends the bottom
with zeros).
"""

from __future__ import annotations

from ..backend import xp
from ..function import Function
from ..tensor import Tensor
from . import _conv_util as cu
from ._convert import ensure_tensor


class ConvTranspose(Function):
    """Parameters: ``stride``, ``dilation`` pairs; ``crops`` ((top, bottom), (left, right)), a
    negative bottom/right crop extending with zeros; ``groups``; ``cf``; ``torch_w``: weight is
    (C_in, C_out/groups, kh, kw) rather than Keras's (kh, kw, C_out/groups, C_in)."""

    def forward(self, x, w, b=None, *, stride, dilation, crops, groups, cf, torch_w):
        m = xp(x)
        xv = cu.to_nhwc(x, cf)
        n, h, wd, cin = xv.shape
        if torch_w:
            _, og, kh, kw = w.shape
            wv = w.reshape(groups, cin // groups, og, kh, kw).transpose(0, 1, 3, 4, 2)
        else:
            kh, kw, og, _ = w.shape
            wv = w.transpose(3, 0, 1, 2).reshape(groups, cin // groups, kh, kw, og)
        cg = cin // groups
        wmat = wv.reshape(groups, cg, kh * kw * og)
        full = (
            (h - 1) * stride[0] + (kh - 1) * dilation[0] + 1,
            (wd - 1) * stride[1] + (kw - 1) * dilation[1] + 1,
        )
        (t, bt), (left, r) = crops
        buf = (n, full[0] + max(-bt, 0), full[1] + max(-r, 0), groups, og)
        ho, wo = full[0] - t - bt, full[1] - left - r
        xm = m.ascontiguousarray(xv).reshape(n * h * wd, groups, cg).transpose(1, 0, 2)
        cols = xm @ wmat  # (G, N·H·W, kh·kw·og)
        cols = cols.reshape(groups, n, h, wd, kh, kw, og).transpose(4, 5, 1, 2, 3, 0, 6)
        out = cu.col2im(cols, buf, dilation, stride, x.dtype)
        out = out.reshape(buf[:3] + (groups * og,))[:, t : t + ho, left : left + wo]
        if t or left or ho != buf[1] or wo != buf[2]:
            out = m.ascontiguousarray(out)
        if b is not None:
            out += b
        self.xm, self.wmat = xm, wmat
        self.geom = (n, h, wd, cin, kh, kw, og, full, ho, wo)
        self.stride, self.dilation, self.crops, self.groups = stride, dilation, crops, groups
        self.cf, self.torch_w, self.has_bias = cf, torch_w, b is not None
        return cu.from_nhwc(out, cf)

    def backward(self, g):
        n, h, wd, cin, kh, kw, og, full, ho, wo = self.geom
        groups, need = self.groups, self.needs_input_grad
        m = xp(g)
        gv = cu.to_nhwc(g, self.cf)
        (t, bt), (left, r) = self.crops
        if t or bt or left or r:  # undo the crop: the output gradient placed inside the full grid
            gfull = m.zeros(
                (n, max(full[0], t + ho), max(full[1], left + wo), groups * og), dtype=g.dtype
            )
            gfull[:, t : t + ho, left : left + wo] = gv
            gfull = gfull[:, : full[0], : full[1]]
        else:
            gfull = gv
        win = cu.windows(gfull, (kh, kw), self.dilation, self.stride, (h, wd), groups)
        gcols = m.empty((groups, n, h, wd, kh, kw, og), dtype=g.dtype)
        gcols[...] = win.transpose(5, 0, 1, 2, 3, 4, 6) if groups > 1 else win[None]
        gcols = gcols.reshape(groups, n * h * wd, kh * kw * og)
        gx = gw = gb = None
        if need[0]:
            gx = m.empty((n * h * wd, groups, cin // groups), dtype=g.dtype)
            m.matmul(gcols, self.wmat.transpose(0, 2, 1), out=gx.transpose(1, 0, 2))
            gx = cu.from_nhwc(gx.reshape(n, h, wd, cin), self.cf)
        if need[1]:
            gw = (self.xm.transpose(0, 2, 1) @ gcols).reshape(groups, cin // groups, kh, kw, og)
            if self.torch_w:
                gw = gw.transpose(0, 1, 4, 2, 3).reshape(cin, og, kh, kw)
            else:
                gw = gw.reshape(cin, kh, kw, og).transpose(1, 2, 3, 0)
            gw = m.ascontiguousarray(gw)
        if self.has_bias:
            if need[2]:
                gb = gv.sum(axis=(0, 1, 2))
            return gx, gw, gb
        return gx, gw

    def backward_graph(self, g):
        """The same derivative with differentiable ops (the dual of :meth:`Conv.backward_graph`):
        the input gradient is a convolution of ``g`` (the crop undone) with the weight, the weight
        gradient a convolution of ``g`` with the input."""
        from .conv import Conv, _weight_grad

        x, w = self.parents[0], self.parents[1]
        kh, kw, full = self.geom[4], self.geom[5], self.geom[7]
        cf, need = self.cf, self.needs_input_grad
        (t, bt), (left, r) = self.crops
        # rows of g past the full grid (a negative crop: zeros added by forward) have no source
        gc = g if cf else g.transpose(0, 3, 1, 2)
        gc = gc[:, :, : full[0] - t, : full[1] - left]
        pads = ((t, max(bt, 0)), (left, max(r, 0)))
        gx = gw = gb = None
        if need[0]:
            gx = Conv.apply(gc, w, stride=self.stride, dilation=self.dilation, pads=pads,
                            groups=self.groups, cf=True, torch_w=self.torch_w, one_d=False,
                            relu=False)  # fmt: skip
            if not cf:
                gx = gx.transpose(0, 2, 3, 1)
        if need[1]:
            xc = x if cf else x.transpose(0, 3, 1, 2)
            # (C_in, og, kh, kw)
            gw = _weight_grad(gc, xc, pads, self.stride, self.dilation, self.groups, kh, kw)
            if not self.torch_w:
                gw = gw.transpose(2, 3, 1, 0)
        if self.has_bias:
            if need[2]:
                gb = g.sum(axis=(0, 2, 3) if cf else (0, 1, 2))
            return gx, gw, gb
        return gx, gw


def _keras_crops(op, size, k_eff, stride, mode, output_padding):
    if output_padding is None:
        length = size * stride + max(k_eff - stride, 0) if mode == "valid" else size * stride
    else:
        pad = k_eff // 2 if mode == "same" else 0
        length = (size - 1) * stride + k_eff - 2 * pad + output_padding
    total = (size - 1) * stride + k_eff - length
    if total > 0:
        return (total // 2, total - total // 2)
    return (0, total)


def conv_transpose2d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=None,
    groups: int = 1,
    dilation=1,
    data_format: str = "channels_last",
    weight_layout: str | None = None,
) -> Tensor:
    """2-D transposed convolution ("deconvolution") with optional fused bias.

    x: (N, H, W, C_in) or (N, C_in, H, W) by ``data_format``. weight: (kh, kw, C_out/groups, C_in)
    for ``weight_layout="hwoi"`` (Keras ``Conv2DTranspose`` kernel) or (C_in, C_out/groups, kh, kw)
    for ``"iohw"`` (PyTorch); the default follows ``data_format``. bias: (C_out,) or None.
    padding: an int or (h, w) with PyTorch's meaning (output ``(H − 1)·stride − 2·padding +
    dilation·(kh − 1) + output_padding + 1``), or ``"valid"``/``"same"`` with Keras's (see the
    module docstring). output_padding: int or pair, smaller than the stride (or the dilation, with
    PyTorch padding); None means 0 for PyTorch padding and Keras's default for the strings.
    Returns (N, Ho, Wo, C_out) or (N, C_out, Ho, Wo).
    """
    op = "conv_transpose2d"
    cf = cu.channels_first(op, data_format)
    layouts = ("hwoi", "iohw")
    weight_layout = layouts[cf] if weight_layout is None else weight_layout
    if weight_layout not in layouts:
        raise ValueError(
            f"{op}: weight_layout must be 'hwoi' (Keras) or 'iohw' (PyTorch), got {weight_layout!r}"
        )
    torch_w = weight_layout == "iohw"
    x, weight = ensure_tensor(x), ensure_tensor(weight)
    bias = None if bias is None else ensure_tensor(bias)
    cu.check_rank(op, x, 4, cf)
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must be 4-D ({weight_layout}), got shape {weight.shape}")
    cu.check_float(op, input=x, weight=weight, bias=bias)
    groups = cu.as_int(op, "groups", groups)
    if groups < 1:
        raise ValueError(f"{op}: groups must be >= 1, got {groups}")
    ws = weight.shape
    cin_w, og, ksize = (ws[0], ws[1], ws[2:]) if torch_w else (ws[3], ws[2], ws[:2])
    c = x.shape[1] if cf else x.shape[-1]
    if c % groups:
        raise ValueError(f"{op}: groups={groups} must divide the input channels ({c})")
    if cin_w != c:
        raise ValueError(
            f"{op}: input has {c} channels but weight {ws} ({weight_layout}) expects {cin_w}"
        )
    cout = og * groups
    if bias is not None and tuple(bias.shape) != (cout,):
        raise ValueError(f"{op}: bias has shape {bias.shape}, expected ({cout},)")
    stride = cu.int_tuple(op, "stride", stride, 2)
    dilation = cu.int_tuple(op, "dilation", dilation, 2)
    if min(ksize) < 1:
        raise ValueError(f"{op}: kernel size must be >= 1, got weight {ws}")
    k_eff = tuple((k - 1) * d + 1 for k, d in zip(ksize, dilation))
    sizes = x.shape[2:] if cf else x.shape[1:3]
    opad = (
        None if output_padding is None else cu.int_tuple(op, "output_padding", output_padding, 2, 0)
    )
    if isinstance(padding, str):
        mode = padding.lower()
        if mode not in ("valid", "same"):
            raise ValueError(f"{op}: padding must be 'valid', 'same' or ints, got {padding!r}")
        if opad is not None and any(q >= s for q, s in zip(opad, stride)):
            raise ValueError(f"{op}: output_padding {opad} must be smaller than stride {stride}")
        crops = tuple(
            _keras_crops(op, s, k, st, mode, None if opad is None else q)
            for s, k, st, q in zip(sizes, k_eff, stride, opad or (0, 0))
        )
    else:
        pads = cu.int_tuple(op, "padding", padding, 2, 0)
        opad = opad or (0, 0)
        if any(q >= max(s, d) for q, s, d in zip(opad, stride, dilation)):
            raise ValueError(
                f"{op}: output_padding {opad} must be smaller than stride {stride} "
                f"or dilation {dilation}"
            )
        crops = tuple((p, p - q) for p, q in zip(pads, opad))
    for s, k, st, (lo, hi) in zip(sizes, k_eff, stride, crops):
        if (s - 1) * st + k - lo - hi < 1:
            raise ValueError(
                f"{op}: padding {padding!r} leaves no output for input {x.shape} and weight {ws}"
            )
    params = {
        "stride": stride,
        "dilation": dilation,
        "crops": crops,
        "groups": groups,
        "cf": cf,
        "torch_w": torch_w,
    }
    if bias is None:
        return ConvTranspose.apply(x, weight, **params)
    return ConvTranspose.apply(x, weight, bias, **params)
