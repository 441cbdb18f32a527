"""Parameter: a Tensor that a Module owns and an optimiser updates."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Parameter(Tensor):
    """A trainable tensor: always floating point, always ``requires_grad=True`` (unless frozen)."""

    def __init__(self, data, requires_grad: bool = True, dtype=None):
        super().__init__(data, requires_grad=False, dtype=dtype)
        if self.data.dtype.kind != "f":
            self.data = self.data.astype(np.float32)
        self.requires_grad = requires_grad

    @property
    def value(self) -> Parameter:
        """The parameter itself (Keras's ``variable.value``; ``.grad`` holds its gradient)."""
        return self

    def assign(self, value) -> Parameter:
        """Copy ``value`` into this parameter in place (Keras's ``variable.assign``); the shape
        must match."""
        arr = np.asarray(value.data if isinstance(value, Tensor) else value)
        if arr.shape != self.data.shape:
            raise ValueError(
                f"Parameter.assign: value has shape {arr.shape}, the parameter {self.data.shape}"
            )
        self.data[...] = arr
        return self

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor") :]
