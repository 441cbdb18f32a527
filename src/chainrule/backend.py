"""Where arrays live: NumPy on the CPU, CuPy on a GPU.

Code above the ops asks ``xp(array)`` for the array module instead of importing NumPy, so the same
op runs on either device.
"""

from __future__ import annotations

import numpy as np

try:  # CuPy is optional: present only on machines with a GPU.
    import cupy as _cupy  # type: ignore[import-not-found]
except Exception:  # noqa: BLE001 - a broken CUDA install raises more than ImportError
    _cupy = None

#: dtype given to floating-point data that arrives without one (Python floats, lists).
DEFAULT_FLOAT = np.float32


def xp(array):
    """Return the array module (``numpy`` or ``cupy``) that owns ``array``."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    return np


def gpu_available() -> bool:
    """True when CuPy is importable and sees a device."""
    if _cupy is None:
        return False
    try:  # pragma: no cover - depends on the machine
        return _cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - any driver error means no usable GPU
        return False


def to_numpy(array) -> np.ndarray:
    """Copy a device array to host memory (no-op for NumPy arrays)."""
    if isinstance(array, np.ndarray):
        return array
    if _cupy is not None and isinstance(array, _cupy.ndarray):  # pragma: no cover
        return _cupy.asnumpy(array)
    return np.asarray(array)
