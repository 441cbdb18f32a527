"""PyTorch's dtype names (``chainrule.float32``, ``chainrule.long`` …) as NumPy scalar types.

A tensor's ``dtype`` (a NumPy dtype) compares equal to them: ``x.dtype == chainrule.float32``.
Kept in a module of their own because ``float``, ``int`` and ``bool`` shadow the builtins.
"""

import numpy as _np

float32 = float = _np.float32
float64 = double = _np.float64
float16 = half = _np.float16
int64 = long = _np.int64
int32 = int = _np.int32
int16 = short = _np.int16
int8 = _np.int8
uint8 = _np.uint8
bool = _np.bool_

__all__ = [
    "bool", "double", "float", "float16", "float32", "float64", "half", "int", "int8", "int16",
    "int32", "int64", "long", "short", "uint8",
]  # fmt: skip
