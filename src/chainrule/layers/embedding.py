"""Embedding and Masking (Keras door): the layers that start a sequence mask.

``Embedding(input_dim, output_dim)``: integer indices (N, ...) → (N, ..., output_dim), the table
``embeddings`` (input_dim, output_dim) drawn from U(−0.05, 0.05) (Keras's "uniform"). With
``mask_zero=True`` index 0 is padding: the output carries the mask ``indices != 0`` to the next
layer (a recurrent layer then skips those steps), and ``input_dim`` must count index 0.

``Masking(mask_value=0.0)``: x (N, T, F) → x with every step whose features all equal
``mask_value`` zeroed, and the mask "any feature differs" carried on.

The lookup is :func:`chainrule.ops.embedding` (sort + reduceat backward).
"""

from __future__ import annotations

import numpy as np

from .. import constraints, initializers, regularizers
from ..nn.parameter import Parameter
from ..ops import embedding, mul
from ..tensor import Tensor
from .base import Layer, register


def positive_int(layer: Layer, name: str, value) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{layer.describe()}: {name} must be a positive int, got {value!r}")
    return int(value)


def check_bool(layer: Layer, name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{layer.describe()}: {name} must be True or False, got {value!r}")
    return bool(value)


@register
class Embedding(Layer):
    """Integer indices (N, ...) → (N, ..., output_dim); see the module docstring."""

    default_name = "embedding"
    autocast = False  # indices stay integers

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero: bool = False,
        weights=None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        if "input_length" in kwargs:
            raise TypeError(
                f"Embedding: input_length was removed in Keras 3; give the sequence length to "
                f"Input(shape=(length,)) instead (got input_length={kwargs['input_length']!r})"
            )
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.input_dim = positive_int(self, "input_dim", input_dim)
        self.output_dim = positive_int(self, "output_dim", output_dim)
        self.mask_zero = check_bool(self, "mask_zero", mask_zero)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self._regularizers = {"embeddings": regularizers.get(embeddings_regularizer)}
        self._constraints = {"embeddings": constraints.get(embeddings_constraint)}
        shape = (self.input_dim, self.output_dim)
        self.embeddings = Parameter(np.asarray(self.embeddings_initializer(shape, self.dtype),
                                               dtype=self.dtype))  # fmt: skip
        if weights is not None:
            w = weights[0] if isinstance(weights, (list, tuple)) else weights
            w = np.asarray(w.data if isinstance(w, Tensor) else w)
            if w.shape != shape:
                raise ValueError(f"{self.describe()}: weights has shape {w.shape}, expected "
                                 f"{shape}")  # fmt: skip
            self.embeddings.data[...] = w
        self.built = True

    def build(self, input_shape) -> None:
        """The table's shape is known from the constructor: nothing to build."""

    def _indices(self, inputs):
        idx = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs)
        if idx.dtype.kind == "f":  # Keras casts float index inputs to int
            if not np.array_equal(idx, np.round(idx)):
                raise ValueError(f"{self.describe()}: float inputs must hold whole numbers")
            idx = idx.astype(np.int64)
        elif idx.dtype.kind not in "iu":
            raise TypeError(f"{self.describe()}: inputs must be integer indices, got {idx.dtype}")
        return idx

    def forward(self, inputs):
        idx = self._indices(inputs)
        try:
            return embedding(idx, self.embeddings)
        except ValueError as err:
            raise ValueError(f"{self.describe()} (input_dim={self.input_dim}): {err}") from None

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return self._indices(inputs) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self._regularizers["embeddings"]),
            "embeddings_constraint": constraints.serialize(self._constraints["embeddings"]),
            "mask_zero": self.mask_zero,
        }

    def extra_repr(self) -> str:
        return f"{self.name!r}, {self.input_dim}, {self.output_dim}, mask_zero={self.mask_zero}"


@register
class Masking(Layer):
    """x (N, T, F) → x with all-``mask_value`` steps zeroed; carries the mask (N, T) onward."""

    default_name = "masking"

    def __init__(self, mask_value: float = 0.0, name: str | None = None, dtype="float32",
                 **kwargs):  # fmt: skip
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.number)):
            raise TypeError(f"{self.describe()}: mask_value must be a number, got {mask_value!r}")
        self.mask_value = float(mask_value)

    def _mask(self, x) -> np.ndarray:
        if x.ndim < 2:
            raise ValueError(f"{self.describe()}: needs inputs (N, T, ...), got shape {x.shape}")
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        return np.any(data != self.mask_value, axis=-1)

    def forward(self, x):
        keep = self._mask(x)
        return mul(x, Tensor._wrap(keep[..., None].astype(x.data.dtype)))

    def compute_mask(self, inputs, mask=None):
        return self._mask(inputs)

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_value": self.mask_value}
