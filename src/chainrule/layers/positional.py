"""Position embeddings (chainrule additions in the style of keras-hub's layers; Keras core has
none): ``PositionEmbedding`` (learned), ``SinePositionEncoding`` (fixed) and
``TokenAndPositionEmbedding`` (token lookup plus learned positions).

``PositionEmbedding(sequence_length)``: inputs (B, T, D) with T ≤ sequence_length → the learned
``embeddings`` rows 0..T−1, broadcast to (B, T, D) (add them to the inputs yourself, as in
keras-hub). ``SinePositionEncoding(max_wavelength=10000)``: inputs (B, T, D) → (B, T, D) with
sin(p / w^(2i/D)) at even feature 2i and cos at odd 2i+1 ("Attention is all you need").
``TokenAndPositionEmbedding(vocabulary_size, sequence_length, embedding_dim, mask_zero=False)``:
integer tokens (B, T) → token embedding + position embedding (B, T, embedding_dim), carrying the
``tokens != 0`` mask when ``mask_zero``.
"""

from __future__ import annotations

import numpy as np

from .. import initializers
from ..nn.parameter import Parameter
from ..ops import add, getitem
from ..tensor import Tensor
from .base import Layer, register
from .embedding import Embedding, check_bool, positive_int


def sinusoid_table(length: int, dim: int, max_wavelength: float, dtype) -> np.ndarray:
    """(length, dim): sin(p / w^(2i/dim)) at column 2i, cos(p / w^(2i/dim)) at column 2i+1."""
    pos = np.arange(length, dtype=np.float64)[:, None]
    i = np.arange(dim) // 2
    angle = pos / np.power(float(max_wavelength), (2 * i) / dim)[None, :]
    table = np.where(np.arange(dim) % 2 == 0, np.sin(angle), np.cos(angle))
    return table.astype(dtype)


def _check_length(layer: Layer, x, limit: int | None) -> tuple:
    if x.ndim < 2:
        raise ValueError(f"{layer.describe()}: inputs must be (batch, length, ...), got {x.shape}")
    T = x.shape[1]
    if limit is not None and T > limit:
        raise ValueError(f"{layer.describe()}: input length {T} exceeds sequence_length {limit} "
                         f"(input shape {x.shape})")  # fmt: skip
    return x.shape


@register
class PositionEmbedding(Layer):
    """Learned position embeddings; see the module docstring."""

    default_name = "position_embedding"
    supports_masking = True

    def __init__(self, sequence_length: int, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = positive_int(self, "sequence_length", sequence_length)
        self.initializer = initializers.get(initializer)
        self.embeddings = None

    def build(self, input_shape) -> None:
        if input_shape is None or len(input_shape) < 3 or input_shape[-1] is None:
            raise ValueError(f"{self.describe()}: needs inputs (batch, length, features), got "
                             f"{input_shape}")  # fmt: skip
        shape = (self.sequence_length, int(input_shape[-1]))
        self.embeddings = Parameter(np.asarray(self.initializer(shape, self.dtype), self.dtype))

    def forward(self, inputs):
        B, T, D = _check_length(self, inputs, self.sequence_length)
        if D != self.embeddings.shape[1]:
            raise ValueError(f"{self.describe()}: built for {self.embeddings.shape[1]} features, "
                             f"got {D}")  # fmt: skip
        rows = getitem(self.embeddings, slice(0, T))
        return add(Tensor(np.zeros((B, T, D), self.dtype)), rows)

    def get_config(self) -> dict:
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": initializers.serialize(self.initializer)}  # fmt: skip


@register
class SinePositionEncoding(Layer):
    """Fixed sinusoidal position encodings; see the module docstring."""

    default_name = "sine_position_encoding"
    supports_masking = True

    def __init__(self, max_wavelength: float = 10000, **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_wavelength, bool) or not isinstance(max_wavelength, (int, float)) or (
                not max_wavelength > 0):  # fmt: skip
            raise ValueError(f"{self.describe()}: max_wavelength must be a positive number, got "
                             f"{max_wavelength!r}")  # fmt: skip
        self.max_wavelength = float(max_wavelength)

    def forward(self, inputs):
        B, T, D = _check_length(self, inputs, None)
        table = sinusoid_table(T, D, self.max_wavelength, self.dtype)
        return Tensor(np.broadcast_to(table, (B, T, D)).copy())

    def get_config(self) -> dict:
        return {**super().get_config(), "max_wavelength": self.max_wavelength}


@register
class TokenAndPositionEmbedding(Layer):
    """Token embedding plus learned position embedding; see the module docstring."""

    default_name = "token_and_position_embedding"
    autocast = False

    def __init__(self, vocabulary_size: int, sequence_length: int, embedding_dim: int,
                 mask_zero: bool = False, embeddings_initializer="uniform", **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.vocabulary_size = positive_int(self, "vocabulary_size", vocabulary_size)
        self.sequence_length = positive_int(self, "sequence_length", sequence_length)
        self.embedding_dim = positive_int(self, "embedding_dim", embedding_dim)
        self.mask_zero = check_bool(self, "mask_zero", mask_zero)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.token_embedding = Embedding(vocabulary_size, embedding_dim, mask_zero=mask_zero,
                                         embeddings_initializer=self.embeddings_initializer,
                                         dtype=self.dtype, name=self.name + "_tokens")  # fmt: skip
        self.position_embedding = PositionEmbedding(sequence_length, dtype=self.dtype,
                                                    name=self.name + "_positions")  # fmt: skip
        self.built = True

    def build(self, input_shape) -> None:
        """Both tables are made in the constructor."""

    def forward(self, inputs):
        x = self.token_embedding(inputs)
        return add(x, self.position_embedding(x))

    def compute_mask(self, inputs, mask=None):
        return self.token_embedding.compute_mask(inputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embedding_dim,)

    def get_config(self) -> dict:
        return {**super().get_config(), "vocabulary_size": self.vocabulary_size,
                "sequence_length": self.sequence_length, "embedding_dim": self.embedding_dim,
                "mask_zero": self.mask_zero,
                "embeddings_initializer": initializers.serialize(self.embeddings_initializer)}  # fmt: skip
