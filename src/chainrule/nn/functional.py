"""``torch.nn.functional`` for chainrule: ``import chainrule.nn.functional as F``.

Every function takes PyTorch's argument names and defaults (``dim=``, ``inplace=`` accepted and
ignored where chainrule never works in place) and runs on the shared ops of :mod:`chainrule.ops`.
Losses live in :mod:`.loss_functions` and are re-exported here.
"""

from __future__ import annotations

import math

import numpy as np

from .. import ops
from ..ops._convert import ensure_tensor
from ..random import get_generator
from ..tensor import Tensor
from .loss_functions import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)


def _dim(op: str, dim, ndim: int) -> int:
    if dim is None:  # PyTorch's legacy implicit choice: 1 unless the input has 0, 1 or 3 dims
        dim = 0 if ndim in (0, 1, 3) else 1
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions")
    return dim % max(ndim, 1)


# ------------------------------------------------------------------ activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    return ops.relu(input)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    return ops.clip(ops.relu(input), None, 6.0)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    return ops.leaky_relu(input, negative_slope)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    return ops.elu(input, alpha)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, α·(exp(x/α) − 1))``, i.e. ``α·elu(x/α)``."""
    if not alpha:
        raise ValueError("celu: alpha must be nonzero")
    return ops.elu(ensure_tensor(input) / float(alpha), 1.0) * float(alpha)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """Gated linear unit: split ``dim`` into halves a, b and return ``a · sigmoid(b)``."""
    input = ensure_tensor(input)
    if input.ndim == 0:
        raise ValueError("glu: does not take a 0-dim tensor")
    d = _dim("glu", dim, input.ndim)
    if input.shape[d] % 2:
        raise ValueError(
            f"glu: dim {dim} of input {tuple(input.shape)} has odd size {input.shape[d]}; it must "
            "split into two halves"
        )
    a, b = ops.split(input, 2, axis=d)
    return a * ops.sigmoid(b)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """``x`` where positive, ``weight·x`` elsewhere; weight (1,) or (C,) for channel dim 1."""
    input, weight = ensure_tensor(input), ensure_tensor(weight)
    c = input.shape[1] if input.ndim >= 2 else 1
    if input.dtype != weight.dtype:
        raise TypeError(
            f"prelu: input is {input.dtype} but weight is {weight.dtype}; they must match"
        )
    n = math.prod(weight.shape)
    if weight.ndim > 1 or n not in (1, c):
        raise ValueError(
            f"prelu: weight of shape {tuple(weight.shape)} must hold 1 or {c} values (the "
            f"channels of input {tuple(input.shape)} in dim 1)"
        )
    if n > 1:
        weight = weight.reshape((c,) + (1,) * (input.ndim - 2))
    elif weight.ndim == 1:
        weight = weight.reshape(())
    return ops.where(input.data > 0, input, weight * input)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    return ops.selu(input)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return ops.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    return ops.silu(input)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · tanh(softplus(x))."""
    input = ensure_tensor(input)
    return input * ops.tanh(ops.softplus(input))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return ops.softplus(input, beta, threshold)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val {min_val} must not exceed max_val {max_val}")
    return ops.clip(input, min_val, max_val)


def sigmoid(input: Tensor) -> Tensor:
    return ops.sigmoid(input)


def tanh(input: Tensor) -> Tensor:
    return ops.tanh(input)


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|)."""
    return ops.softsign(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    return ops.hard_sigmoid(input)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x · relu6(x + 3) / 6."""
    return ops.hard_swish(input)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = −softplus(−x), stable for large |x|."""
    input = ensure_tensor(input)
    return -ops.softplus(-input)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(−x) along ``dim``."""
    return softmax(-ensure_tensor(input), dim, _stacklevel, dtype)


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """Softmax along ``dim`` (PyTorch's implicit choice when omitted)."""
    input = ensure_tensor(input)
    if dtype is not None:
        input = ops.astype(input, dtype)
    return ops.softmax(input, _dim("softmax", dim, input.ndim))


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """log(softmax) along ``dim``, computed stably in one node."""
    input = ensure_tensor(input)
    if dtype is not None:
        input = ops.astype(input, dtype)
    return ops.log_softmax(input, _dim("log_softmax", dim, input.ndim))


# ------------------------------------------------------------------ layers as functions
def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias``: input (*, in), weight (out, in) (PyTorch's layout), bias (out,)."""
    return ops.linear(input, weight, bias, layout="out_in")


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1 − p), when ``training``
    (note: PyTorch's default is ``training=True`` here, unlike the module form)."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"dropout: probability p must be in [0, 1], got {p!r}")
    input = ensure_tensor(input)
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = get_generator().random(input.shape, dtype=np.float32) >= p
    mask = np.multiply(keep, input.data.dtype.type(1 / (1 - p)), dtype=input.data.dtype)
    return ops.mul(input, Tensor._wrap(mask))


def embedding(input, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False,
              sparse: bool = False) -> Tensor:  # fmt: skip
    """Rows of ``weight`` (V, D) for integer ``input`` (*) → (*, D); ``padding_idx``'s row gets no
    gradient; ``max_norm`` renormalises the looked-up rows of ``weight`` in place (PyTorch's)."""
    from .modules.sparse import renorm_rows_

    for name, flag in (("scale_grad_by_freq", scale_grad_by_freq), ("sparse", sparse)):
        if flag:
            raise ValueError(f"embedding: {name}=True is not supported (gradients are dense)")
    if max_norm is not None:
        renorm_rows_(ensure_tensor(weight), input, float(max_norm), float(norm_type))
    return ops.embedding(input, weight, padding_idx)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:  # fmt: skip
    """softmax(q kᵀ·scale + mask) v: query (N, ..., L, E), key (N, ..., S, E), value (N, ..., S, Ev)
    → (N, ..., L, Ev). Boolean ``attn_mask`` True = attend, float masks are added; ``is_causal``
    is a top-left lower triangle. ``enable_gqa`` repeats key/value heads (axis -3) to the query's."""
    if enable_gqa:
        query, key, value = ensure_tensor(query), ensure_tensor(key), ensure_tensor(value)
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk or value.shape[-3] != hk:
            raise ValueError(f"scaled_dot_product_attention: with enable_gqa the query heads "
                             f"({hq}) must be a multiple of the key/value heads ({hk}, "
                             f"{value.shape[-3]})")  # fmt: skip
        rep = np.repeat(np.arange(hk), hq // hk)
        key, value = key[..., rep, :, :], value[..., rep, :, :]
    return ops.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p, is_causal,
                                            scale)  # fmt: skip


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Integer classes (any shape) → int64 one-hot of shape (*, num_classes)."""
    t = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if t.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expects an integer (int64) tensor, got dtype {t.dtype}")
    if num_classes == -1:
        num_classes = int(t.max()) + 1 if t.size else 0
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(
            f"one_hot: class values must lie in [0, {num_classes - 1}], got {t.min()}..{t.max()}"
        )
    out = np.zeros(t.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, t[..., None].astype(np.int64), 1, axis=-1)
    return Tensor(out)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out=None) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``."""
    input = ensure_tensor(input)
    dim = _dim("normalize", dim, input.ndim)
    norm = (ops.abs(input) ** p).sum(axis=dim, keepdims=True) ** (1.0 / p)
    return input / ops.maximum(norm, eps)


def pad(input: Tensor, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:
    """Constant padding. ``pad`` lists (before, after) pairs starting from the LAST dimension, as
    PyTorch does: ``pad=(1, 1)`` pads the last axis, ``(1, 1, 2, 2)`` the last two."""
    input = ensure_tensor(input)
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got {mode!r}")
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(
            f"pad: pad must hold (before, after) pairs for at most {input.ndim} dims, got {pad}"
        )
    width = [(0, 0)] * input.ndim
    for i in range(len(pad) // 2):
        width[input.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return ops.pad(input, width, 0.0 if value is None else value)


from .functional_distance import cosine_similarity, pairwise_distance
from .functional_norm import batch_norm, group_norm, instance_norm, layer_norm
from .functional_vision import (
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    conv1d,
    conv2d,
    conv_transpose2d,
    dropout2d,
    interpolate,
    max_pool1d,
    max_pool2d,
)

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "celu",
    "conv1d",
    "conv2d",
    "conv_transpose2d",
    "cosine_similarity",
    "cross_entropy",
    "dropout",
    "dropout2d",
    "elu",
    "gelu",
    "glu",
    "group_norm",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "huber_loss",
    "instance_norm",
    "interpolate",
    "kl_div",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "max_pool1d",
    "max_pool2d",
    "mish",
    "mse_loss",
    "nll_loss",
    "normalize",
    "one_hot",
    "pad",
    "pairwise_distance",
    "prelu",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "smooth_l1_loss",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "tanh",
]  # fmt: skip
