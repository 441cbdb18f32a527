"""Group and instance normalisation, written once for both doors over :func:`layer_norm`.

Group normalisation (Wu & He 2018) splits the ``C`` channels of each sample into ``groups``
groups and normalises each group over its channels and all spatial positions; instance
normalisation is the case ``groups == C``. Neither depends on the batch, so training and
evaluation compute the same thing (instance norm's optional running statistics excepted, which
the PyTorch door keeps in :class:`chainrule.nn.InstanceNorm2d`).
"""

from __future__ import annotations

import math

from ..tensor import Tensor
from ._convert import float_only, scalar_param
from .normalization import layer_norm


def group_norm(x, groups: int, gamma: Tensor | None = None, beta: Tensor | None = None,
               eps: float = 1e-5, axis: int = 1, op: str = "group_norm") -> Tensor:  # fmt: skip
    """Normalise each sample's channel groups.

    x: (N, C, *spatial) with ``axis=1`` (PyTorch) or (N, *spatial, C) with ``axis=-1`` (Keras);
    ``groups`` must divide ``C``; gamma, beta: (C,) or None. Returns x's shape and dtype. ``op``
    names the caller in error messages.
    """
    x = float_only(x, op)
    eps = scalar_param(eps, op, "eps")
    if x.ndim < 2:
        raise ValueError(f"{op}: input needs a batch and a channel axis, got shape {x.shape}")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: channel axis {axis} is out of range for input {x.shape}")
    axis %= x.ndim
    c = x.shape[axis]
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1 or c % groups:
        raise ValueError(f"{op}: {c} channels cannot be split into {groups!r} equal groups")
    for label, p in (("weight", gamma), ("bias", beta)):
        if p is not None and tuple(p.shape) != (c,):
            raise ValueError(f"{op}: {label} has shape {tuple(p.shape)}, expected ({c},)")
    moved = x if axis == 1 else x.transpose(0, axis, *[i for i in range(1, x.ndim) if i != axis])
    shape = moved.shape
    rest = math.prod(shape[1:]) // groups
    flat = moved.reshape(shape[0], groups, rest)
    out = layer_norm(flat, (rest,), None, None, eps).reshape(shape)
    if gamma is not None or beta is not None:
        param_shape = (c,) + (1,) * (x.ndim - 2)
        if gamma is not None:
            out = out * gamma.reshape(param_shape)
        if beta is not None:
            out = out + beta.reshape(param_shape)
    if axis != 1:  # back to channels on ``axis``
        out = out.transpose(*_inverse_of_moving(axis, x.ndim))
    return out


def _inverse_of_moving(axis: int, ndim: int) -> tuple:
    """The permutation undoing ``(0, axis, the others in order)``."""
    forward = [0, axis, *[i for i in range(1, ndim) if i != axis]]
    return tuple(forward.index(i) for i in range(ndim))
