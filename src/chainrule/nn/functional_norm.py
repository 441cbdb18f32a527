"""Normalisation functions of ``torch.nn.functional`` (PyTorch's names, argument order and
defaults), over the shared ops :func:`chainrule.ops.batch_norm`, :func:`chainrule.ops.layer_norm`
and :func:`chainrule.ops.group_norm.group_norm`. Channels-first: x (N, C, *spatial).
"""

from __future__ import annotations

import numpy as np

from .. import ops
from ..ops._convert import ensure_tensor
from ..ops.group_norm import group_norm as _group_norm
from ..tensor import Tensor


def _stat_array(stat, op: str, label: str):
    """A running statistic as the NumPy array updated in place (a Tensor's data, or an array)."""
    if stat is None:
        return None
    if isinstance(stat, Tensor):
        if stat.requires_grad:
            raise TypeError(f"{op}: {label} is a statistic and gets no gradient")
        return stat.data
    if isinstance(stat, np.ndarray):
        return stat
    raise TypeError(f"{op}: {label} must be a Tensor or None, got {type(stat).__name__}")


def batch_norm(input: Tensor, running_mean, running_var, weight: Tensor | None = None,
               bias: Tensor | None = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Batch normalisation over the channel dim 1 of x (N, C, *). In training the batch
    statistics normalise and, when given, the running ones are updated in place as
    ``running = (1 − momentum)·running + momentum·batch`` (unbiased variance)."""
    if momentum is None or not 0 <= float(momentum) <= 1:
        raise ValueError(f"batch_norm: momentum must be a number in [0, 1], got {momentum!r}")
    return ops.batch_norm(
        input, weight, bias, _stat_array(running_mean, "batch_norm", "running_mean"),
        _stat_array(running_var, "batch_norm", "running_var"), training=bool(training),
        momentum=1.0 - float(momentum), eps=eps, axis=1,
    )  # fmt: skip


def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Normalise each sample over its trailing ``normalized_shape`` dims."""
    return ops.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Group normalisation of x (N, C, *): ``num_groups`` must divide C; weight, bias (C,)."""
    return _group_norm(input, num_groups, weight, bias, eps, axis=1, op="group_norm")


def instance_norm(input: Tensor, running_mean=None, running_var=None,
                  weight: Tensor | None = None, bias: Tensor | None = None,
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:  # fmt: skip
    """Instance normalisation of x (N, C, *spatial): each sample's channel over its positions.

    ``use_input_stats=True`` normalises with each instance's statistics and, when running arrays
    are given, moves them toward the batch average of the instance statistics (unbiased
    variance); ``False`` normalises with the running statistics instead.
    """
    x = ensure_tensor(input)
    rm = _stat_array(running_mean, "instance_norm", "running_mean")
    rv = _stat_array(running_var, "instance_norm", "running_var")
    if x.ndim < 3:
        raise ValueError(
            f"instance_norm: expected input (N, C, *spatial) with at least one spatial dim, got "
            f"shape {x.shape}"
        )
    c = x.shape[1]
    for label, stat in (("running_mean", rm), ("running_var", rv)):
        if stat is not None and stat.shape != (c,):
            raise ValueError(f"instance_norm: {label} has shape {stat.shape}, expected ({c},)")
    if not use_input_stats:
        if rm is None or rv is None:
            raise ValueError(
                "instance_norm: use_input_stats=False needs running_mean and running_var"
            )
        return ops.batch_norm(x, weight, bias, rm, rv, training=False, eps=eps, axis=1)
    if rm is not None or rv is not None:
        axes = tuple(range(2, x.ndim))
        n = int(np.prod(x.shape[2:]))
        if n < 2 and rv is not None:
            raise ValueError(
                f"instance_norm: updating running_var needs more than one position per channel, got input {x.shape}"
            )
        data = x.data.astype(np.float64)
        m = float(momentum)
        if rm is not None:
            rm *= 1 - m
            rm += (m * data.mean(axis=axes).mean(axis=0)).astype(rm.dtype)
        if rv is not None:
            rv *= 1 - m
            rv += (m * data.var(axis=axes, ddof=1).mean(axis=0)).astype(rv.dtype)
    return _group_norm(x, c, weight, bias, eps, axis=1, op="instance_norm")
