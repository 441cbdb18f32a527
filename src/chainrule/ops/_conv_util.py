"""Shared machinery of the convolution and pooling ops: argument checking, padding rules, and the
two strided-view kernels every one of them is built from.

Internal layout: channels-last. An image batch is ``(N, H, W, C)``, contiguous in C, so one window
row (``kw`` pixels × ``C`` channels) is one contiguous run of memory and copying patches out of it
(im2col) moves long runs. A channels-first ``(N, C, H, W)`` argument is viewed as channels-last by a
transpose (no copy); the copy that builds the columns does the re-layout for free.

- :func:`windows` views a padded image as its sliding patches ``(N, Ho, Wo, kh, kw, C)`` with
  ``as_strided`` (no copy); copying that view into a buffer gives the im2col matrix in one pass.
- :func:`col2im` is its adjoint: patch gradients are added back onto the image with one vectorised
  add per kernel offset (``kh · kw`` adds over strided slices) — no ``np.add.at``, no loop over the
  batch or over pixels.
"""

from __future__ import annotations

import operator

from numpy.lib.stride_tricks import as_strided

from ..backend import xp

LAYOUTS = ("channels_last", "channels_first")


def channels_first(op: str, data_format: str) -> bool:
    """``data_format`` checked and turned into a flag (True for ``"channels_first"``)."""
    if data_format not in LAYOUTS:
        raise ValueError(
            f"{op}: data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
        )
    return data_format == "channels_first"


def as_int(op: str, label: str, value) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{op}: {label} must be an int, got {value!r}") from None


def int_tuple(op: str, label: str, value, n: int, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints as an ``n``-tuple, each at least ``minimum``."""
    items = (value,) * n if not isinstance(value, (tuple, list)) else tuple(value)
    if len(items) != n:
        raise ValueError(f"{op}: {label} must be an int or {n} ints, got {value!r}")
    out = tuple(as_int(op, label, v) for v in items)
    if min(out) < minimum:
        raise ValueError(f"{op}: {label} must be >= {minimum}, got {value!r}")
    return out


def same_pads(size: int, k_eff: int, stride: int) -> tuple[int, int]:
    """TensorFlow/Keras ``'same'`` padding of one axis: output ``ceil(size / stride)``, the total
    padding split with the odd one after (PyTorch's ``padding='same'``, defined only for stride 1,
    splits ``k_eff - 1`` the same way)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k_eff - size, 0)
    return total // 2, total - total // 2


def resolve_pads(op: str, padding, sizes, k_eff, strides) -> tuple[tuple[int, int], ...]:
    """``padding`` as one ``(before, after)`` pair per spatial axis.

    Accepted: ``"valid"``; ``"same"`` (see :func:`same_pads`); an int; one int per axis
    (symmetric, PyTorch style); one ``(before, after)`` pair per axis (Keras ``ZeroPadding`` style).
    """
    n = len(sizes)
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * n
        if mode == "same":
            return tuple(same_pads(s, k, st) for s, k, st in zip(sizes, k_eff, strides))
        raise ValueError(f"{op}: padding must be 'valid', 'same', ints or pairs, got {padding!r}")
    if not isinstance(padding, (tuple, list)):
        p = as_int(op, "padding", padding)
        pads = ((p, p),) * n
    elif len(padding) == n and all(isinstance(p, (tuple, list)) for p in padding):
        if any(len(p) != 2 for p in padding):
            raise ValueError(f"{op}: padding pairs must be (before, after), got {padding!r}")
        pads = tuple((as_int(op, "padding", a), as_int(op, "padding", b)) for a, b in padding)
    elif len(padding) == n:
        pads = tuple((as_int(op, "padding", p),) * 2 for p in padding)
    else:
        raise ValueError(
            f"{op}: padding must be an int, {n} ints or {n} (before, after) pairs, got {padding!r}"
        )
    if min(min(p) for p in pads) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return pads


def out_size(size: int, pads: tuple[int, int], k_eff: int, stride: int) -> int:
    return (size + pads[0] + pads[1] - k_eff) // stride + 1


def check_spatial(op: str, shape, sizes, pads, k_eff, what: str = "kernel") -> None:
    """Raise when a (dilated) window is larger than the padded input along some axis."""
    for s, p, k in zip(sizes, pads, k_eff):
        if s + p[0] + p[1] < k:
            raise ValueError(
                f"{op}: input of shape {tuple(shape)} is too small for {what} extent {k} "
                f"(spatial size {s} with padding {p})"
            )


def pad_nhwc(x, pads, value=0):
    """``x`` (N, H, W, C), any strides, padded into a new contiguous channels-last array (or ``x``
    itself when no padding is needed and it is already contiguous)."""
    (t, b), (left, r) = pads
    if not (t or b or left or r):
        return x if x.flags.c_contiguous else xp(x).ascontiguousarray(x)
    n, h, w, c = x.shape
    out = xp(x).empty((n, h + t + b, w + left + r, c), dtype=x.dtype)
    if t:
        out[:, :t] = value
    if b:
        out[:, h + t :] = value
    if left:
        out[:, t : h + t, :left] = value
    if r:
        out[:, t : h + t, w + left :] = value
    out[:, t : h + t, left : w + left] = x
    return out


def windows(xp_, kernel, dilation, stride, out_hw, groups: int = 1):
    """The sliding windows of a padded channels-last image, as a view (no copy).

    ``xp_``: (N, Hp, Wp, C). Returns (N, Ho, Wo, kh, kw, C), or (N, Ho, Wo, kh, kw, G, C/G) when
    ``groups`` > 1.
    """
    n, _, _, c = xp_.shape
    sn, sh, sw, sc = xp_.strides
    (kh, kw), (dh, dw), (th, tw), (ho, wo) = kernel, dilation, stride, out_hw
    shape = (n, ho, wo, kh, kw)
    strides = (sn, sh * th, sw * tw, sh * dh, sw * dw)
    if groups == 1:
        return as_strided(xp_, shape + (c,), strides + (sc,), writeable=False)
    return as_strided(
        xp_, shape + (groups, c // groups), strides + (sc * (c // groups), sc), writeable=False
    )


def offset_slices(kernel, dilation, stride, out_hw):
    """For each kernel offset (i, j): the (rows, cols) slices of the padded image it touches."""
    (kh, kw), (dh, dw), (th, tw), (ho, wo) = kernel, dilation, stride, out_hw
    return [
        (
            slice(i * dh, i * dh + th * (ho - 1) + 1, th),
            slice(j * dw, j * dw + tw * (wo - 1) + 1, tw),
        )
        for i in range(kh)
        for j in range(kw)
    ]


def col2im(dcols, padded_shape, dilation, stride, dtype):
    """Adjoint of :func:`windows`: add patch gradients back onto a zero image.

    ``dcols``: (kh, kw, N, Ho, Wo, *C), any strides — offset-major, so that each of the ``kh·kw``
    adds reads one block (contiguous when ``dcols`` is); returns a new (N, Hp, Wp, *C) array.
    """
    kh, kw, _, ho, wo = dcols.shape[:5]
    out = xp(dcols).zeros(padded_shape, dtype=dtype)
    for k, (rows, cols) in enumerate(offset_slices((kh, kw), dilation, stride, (ho, wo))):
        i, j = divmod(k, kw)
        out[:, rows, cols] += dcols[i, j]
    return out


def crop(a, pads):
    """Remove ``pads`` ((t, b), (l, r)) from the spatial axes 1, 2 of a channels-last array."""
    (t, b), (left, r) = pads
    if not (t or b or left or r):
        return a
    return a[:, t : a.shape[1] - b, left : a.shape[2] - r]


def to_nhwc(a, channels_first_: bool):
    return a.transpose(0, 2, 3, 1) if channels_first_ else a


def from_nhwc(a, channels_first_: bool):
    return a.transpose(0, 3, 1, 2) if channels_first_ else a


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def check_float(op: str, **arrays) -> None:
    """Every given tensor floating point and of one dtype (float32 stays float32: no upcast)."""
    dtypes = {name: a.dtype for name, a in arrays.items() if a is not None}
    for name, dt in dtypes.items():
        if dt.kind != "f":
            raise TypeError(f"{op}: {name} must be floating point, got dtype {dt}")
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{k} {v}" for k, v in dtypes.items())
        raise TypeError(f"{op}: input, weight and bias must share one dtype, got {listed}")


def check_rank(op: str, x, rank: int, cf: bool) -> None:
    if x.ndim != rank:
        names = {3: ("(N, L, C)", "(N, C, L)"), 4: ("(N, H, W, C)", "(N, C, H, W)")}[rank]
        want = names[1] if cf else names[0]
        layout = "channels_first" if cf else "channels_last"
        raise ValueError(
            f"{op}: expected a {rank}-D input {want} for data_format='{layout}', "
            f"got shape {tuple(x.shape)}"
        )
