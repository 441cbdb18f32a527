"""``torch.nn.utils`` for chainrule: gradient clipping and parameter vectors."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ...optim.clip import clip_grad_norm, clip_grad_value, global_grad_norm
from ...tensor import Tensor


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients jointly so their total norm is at most ``max_norm``; returns the total
    norm before clipping (a 0-d Tensor), as PyTorch does."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    if error_if_nonfinite:
        norm = global_grad_norm([p for p in params if p.grad is not None], float(norm_type))
        if not math.isfinite(norm):
            raise RuntimeError(
                f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                "non-finite, so it cannot be clipped"
            )
    total = clip_grad_norm(params, max_norm, norm_type)
    return Tensor(np.asarray(total, dtype=np.float32))


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None
) -> None:
    """Clip every gradient element to ``[-clip_value, clip_value]``."""
    clip_grad_value(parameters, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened into one vector (a copy)."""
    return Tensor(np.concatenate([p.data.reshape(-1) for p in parameters]))


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of ``vec`` into the parameters (inverse of parameters_to_vector)."""
    data = vec.data if isinstance(vec, Tensor) else np.asarray(vec)
    params = list(parameters)
    total = sum(p.data.size for p in params)
    if data.shape != (total,):
        raise ValueError(
            f"vector_to_parameters: expected a vector of {total} elements, got shape {data.shape}"
        )
    start = 0
    for p in params:
        n = p.data.size
        p.data[...] = data[start : start + n].reshape(p.data.shape)
        start += n


__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


from . import rnn as rnn  # torch.nn.utils.rnn
