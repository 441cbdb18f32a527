"""Argument checks shared by the PyTorch-door modules."""

from __future__ import annotations

import numpy as np


def check_size(module: str, name: str, value, allow_zero: bool = False) -> int:
    """A non-negative (or positive) int, else a ValueError naming the module and argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{module}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{module}: {name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return int(value)


def check_prob(module: str, p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{module}: dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def factory_dtype(module: str, device, dtype) -> np.dtype:
    """The parameters' dtype (float32 unless ``dtype`` says otherwise); only the CPU exists."""
    from ...torch_api import device as Device

    if device is not None and Device(device).type != "cpu":
        raise ValueError(f"{module}: device {device!r} is not available; chainrule runs on 'cpu'")
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if dt.kind != "f":
        raise TypeError(f"{module}: dtype must be floating point, got {dt}")
    return dt
