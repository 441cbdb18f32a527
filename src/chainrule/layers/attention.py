"""MultiHeadAttention (Keras door): ``keras.layers.MultiHeadAttention`` over the attention op.

``mha(query, value, key=None, attention_mask=None, use_causal_mask=False)``: query (B, T, Eq),
value (B, S, Ev), key (B, S, Ek) (defaults to value) → (B, T, output_shape or Eq), with
``return_attention_scores=True`` also the scores (B, num_heads, T, S).

Weights as Keras's einsum kernels: ``query_kernel`` (Eq, num_heads, key_dim) and ``query_bias``
(num_heads, key_dim), likewise ``key_*`` and ``value_*`` (value_dim), ``output_kernel``
(num_heads, value_dim, out) and ``output_bias`` (out,); Glorot-uniform kernels over Keras's fans,
zero biases. Built from the first call's shapes.

Masks (True = may attend): ``attention_mask`` (B, T, S); the masks that query and value carry
from ``Embedding(mask_zero=True)`` (or ``query_mask``/``value_mask``/``key_mask``) and the causal
mask are combined with it as Keras does. A query row with every key masked outputs zeros (Keras's
softmax gives such a row uniform weights instead). ``dropout`` acts on the attention weights in
training. The output keeps the query's mask. Only ``attention_axes=None`` (attend over axis 1)
is provided.

chainrule's functional API records one positional argument per layer call, so there write
``mha([query, value])`` (or ``[query, value, key]``); eager calls take Keras's form.
"""

from __future__ import annotations

import numpy as np

from .. import constraints, initializers, regularizers
from ..nn.parameter import Parameter
from ..ops import (
    add,
    matmul,
    reshape,
    scaled_dot_product_attention,
    softmax,
    transpose,
)
from ..tensor import Tensor
from .base import Layer, as_tensor, register
from .dropout import dropout_mask
from .embedding import positive_int


def _mask_array(m):
    return None if m is None else np.asarray(m.data if isinstance(m, Tensor) else m).astype(bool)


@register
class MultiHeadAttention(Layer):
    """See the module docstring for shapes, weights and masks."""

    default_name = "multi_head_attention"
    supports_masking = True

    def __init__(
        self,
        num_heads: int,
        key_dim: int,
        value_dim: int | None = None,
        dropout: float = 0.0,
        use_bias: bool = True,
        output_shape=None,
        attention_axes=None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        seed: int | None = None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.num_heads = positive_int(self, "num_heads", num_heads)
        self.key_dim = positive_int(self, "key_dim", key_dim)
        self.value_dim = self.key_dim if value_dim is None else positive_int(self, "value_dim",
                                                                             value_dim)  # fmt: skip
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
                0 <= dropout < 1):  # fmt: skip
            raise ValueError(f"{self.describe()}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None:
            shape = (output_shape,) if isinstance(output_shape, (int, np.integer)) else tuple(
                output_shape)  # fmt: skip
            if len(shape) != 1:
                raise ValueError(f"{self.describe()}: output_shape must be one int (the output's "
                                 f"last dimension), got {output_shape!r}")  # fmt: skip
            output_shape = positive_int(self, "output_shape", shape[0])
        self.output_shape_arg = output_shape
        if attention_axes is not None:
            raise ValueError(f"{self.describe()}: only attention_axes=None (attention over the "
                             f"sequence axis) is provided, got {attention_axes!r}")  # fmt: skip
        self.seed = seed
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._dims = None  # (Eq, Ek, Ev) once built

    def build(self, input_shape) -> None:
        """Weights need the value's shape too: they are made by the first call."""

    def _make(self, name: str, shape: tuple, kind: str) -> None:
        init = self.kernel_initializer if kind == "kernel" else self.bias_initializer
        param = Parameter(np.asarray(init(shape, self.dtype), dtype=self.dtype))
        setattr(self, f"{name}_{kind}", param)
        reg = self._kernel_regularizer if kind == "kernel" else self._bias_regularizer
        con = self._kernel_constraint if kind == "kernel" else self._bias_constraint
        if reg is not None:
            self._regularizers[f"{name}_{kind}"] = reg
        if con is not None:
            self._constraints[f"{name}_{kind}"] = con

    def _build_weights(self, Eq: int, Ek: int, Ev: int) -> None:
        h, dk, dv = self.num_heads, self.key_dim, self.value_dim
        out = self.output_shape_arg or Eq
        for name, E, d in (("query", Eq, dk), ("key", Ek, dk), ("value", Ev, dv)):
            self._make(name, (E, h, d), "kernel")
            if self.use_bias:
                self._make(name, (h, d), "bias")
        self._make("output", (h, dv, out), "kernel")
        if self.use_bias:
            self._make("output", (out,), "bias")
        self._dims = (Eq, Ek, Ev)

    def _project(self, x: Tensor, name: str, d: int) -> Tensor:
        """(B, T, E) → (B, h, T, d)."""
        B, T, E = x.shape
        k = getattr(self, f"{name}_kernel")
        y = matmul(x, reshape(k, (E, self.num_heads * d)))
        if self.use_bias:
            y = add(y, reshape(getattr(self, f"{name}_bias"), (self.num_heads * d,)))
        return transpose(reshape(y, (B, T, self.num_heads, d)), (0, 2, 1, 3))

    def _attention_mask(self, B, T, S, attention_mask, query_mask, value_mask, key_mask,
                        use_causal_mask):  # fmt: skip
        mask = None
        if attention_mask is not None:
            mask = _mask_array(attention_mask)
            try:
                mask = np.broadcast_to(mask, (B, T, S))
            except ValueError:
                raise ValueError(f"{self.describe()}: attention_mask of shape {mask.shape} does "
                                 f"not broadcast to (batch, T, S) = {(B, T, S)}") from None  # fmt: skip
        auto = None
        for m, shape, where in ((query_mask, (B, T), (slice(None), slice(None), None)),
                                (value_mask, (B, S), (slice(None), None, slice(None))),
                                (key_mask, (B, S), (slice(None), None, slice(None)))):  # fmt: skip
            m = _mask_array(m)
            if m is None:
                continue
            if m.shape != shape:
                raise ValueError(f"{self.describe()}: a sequence mask of shape {m.shape} does not "
                                 f"fit its input (expected {shape})")  # fmt: skip
            auto = m[where] if auto is None else auto & m[where]
        if use_causal_mask:
            causal = np.tril(np.ones((T, S), bool))[None]
            auto = causal if auto is None else auto & causal
        if auto is not None:
            mask = auto if mask is None else mask & auto
        return None if mask is None else np.broadcast_to(mask, (B, T, S))[:, None]

    def forward(self, query, value=None, key=None, query_mask=None, value_mask=None,
                key_mask=None, attention_mask=None, return_attention_scores: bool = False,
                use_causal_mask: bool = False):  # fmt: skip
        if isinstance(query, (list, tuple)):  # functional form mha([query, value(, key)])
            if value is not None or not 2 <= len(query) <= 3:
                raise ValueError(f"{self.describe()}: a list input must be [query, value] or "
                                 "[query, value, key]")  # fmt: skip
            query, value, key = (list(query) + [None])[:3]
        if value is None:
            raise TypeError(f"{self.describe()}: call needs query and value")
        query, value = as_tensor(query), as_tensor(value)
        key = value if key is None else as_tensor(key)
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key_mask is None and key is not value:
            key_mask = getattr(key, "_keras_mask", None)
        for what, t in (("query", query), ("value", value), ("key", key)):
            if t.ndim != 3:
                raise ValueError(f"{self.describe()}: {what} must be (batch, length, features), "
                                 f"got shape {t.shape}")  # fmt: skip
        B, T, Eq = query.shape
        S = value.shape[1]
        if key.shape[:2] != (B, S) or value.shape[0] != B:
            raise ValueError(f"{self.describe()}: query {query.shape}, value {value.shape} and key "
                             f"{key.shape} must share the batch size, value and key the length")  # fmt: skip
        if self._dims is None:
            self._build_weights(Eq, key.shape[2], value.shape[2])
        if self._dims != (Eq, key.shape[2], value.shape[2]):
            raise ValueError(f"{self.describe()}: built for features (query, key, value) = "
                             f"{self._dims}, got {(Eq, key.shape[2], value.shape[2])}")  # fmt: skip
        q = self._project(query, "query", self.key_dim)
        k = self._project(key, "key", self.key_dim)
        v = self._project(value, "value", self.value_dim)
        mask = self._attention_mask(B, T, S, attention_mask, query_mask, value_mask, key_mask,
                                    use_causal_mask)  # fmt: skip
        p = self.dropout if self.training else 0.0
        scores = None
        if return_attention_scores:
            logits = matmul(q, transpose(k, (0, 1, 3, 2))) * float(1 / np.sqrt(self.key_dim))
            if mask is not None:
                live = mask.any(-1, keepdims=True)  # rows with an allowed key
                blocked = np.where(mask | ~live, 0.0, -np.inf).astype(self.dtype)
                logits = add(logits, Tensor(blocked))
            scores = softmax(logits, axis=-1)
            if mask is not None:  # rows with no allowed key: zeros, as the fused op gives
                scores = scores * Tensor(live.astype(self.dtype))
            weights = scores
            if p > 0:
                weights = weights * Tensor(dropout_mask(weights.shape, p, self.dtype))
            out = matmul(weights, v)
        else:
            out = scaled_dot_product_attention(q, k, v, mask, dropout_p=p)
        out = reshape(transpose(out, (0, 2, 1, 3)), (B, T, self.num_heads * self.value_dim))
        n_out = self.output_kernel.shape[-1]
        out = matmul(out, reshape(self.output_kernel, (self.num_heads * self.value_dim, n_out)))
        if self.use_bias:
            out = add(out, self.output_bias)
        if query_mask is not None:
            out._keras_mask = _mask_array(query_mask)
        return (out, scores) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        q = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return _mask_array(getattr(q, "_keras_mask", None))

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if isinstance(query_shape, list) and query_shape and isinstance(query_shape[0], tuple):
            query_shape = query_shape[0]
        return tuple(query_shape[:-1]) + (self.output_shape_arg or query_shape[-1],)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "key_dim": self.key_dim,
            "value_dim": self.value_dim,
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "output_shape": self.output_shape_arg,
            "attention_axes": None,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        }
