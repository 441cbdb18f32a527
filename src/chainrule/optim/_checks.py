"""Validation of optimiser hyper-parameters: clear errors, and Python floats that never upcast."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

import numpy as np

from ..tensor import Tensor

#: What an optimiser accepts as parameters: Tensors, param-group dicts, one of either, or None.
Params = Iterable[Tensor] | Iterable[dict] | Tensor | dict | None
#: A learning rate: a float, or a schedule / any callable ``step -> lr``.
LR = float | Callable[[int], float]


def check_hyper(
    opt: str, name: str, value, low: float = 0.0, high: float = math.inf, high_open: bool = False
) -> float:
    """Validate a scalar hyper-parameter and return it as a Python float (never an upcasting
    np.float64). Raises a ValueError naming the optimiser, the parameter and the value."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{opt}: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    too_high = value >= high if high_open else value > high
    if not math.isfinite(value) or value < low or too_high:
        bracket = ")" if high_open else "]"
        raise ValueError(f"{opt}: {name} must be in [{low}, {high}{bracket}, got {value}")
    return value


def check_betas(opt: str, betas) -> tuple[float, float]:
    """Validate ``betas=(beta1, beta2)``, each in [0, 1)."""
    try:
        b1, b2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"{opt}: betas must be a pair (beta1, beta2), got {betas!r}") from None
    return (
        check_hyper(opt, "betas[0]", b1, 0.0, 1.0, high_open=True),
        check_hyper(opt, "betas[1]", b2, 0.0, 1.0, high_open=True),
    )
