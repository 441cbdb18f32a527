"""TransformerEncoder and TransformerDecoder blocks (chainrule additions in the style of
keras-hub's layers of those names; Keras core has none).

``TransformerEncoder(intermediate_dim, num_heads)``: inputs (B, T, D) → (B, T, D): self-attention
(``MultiHeadAttention`` with key_dim = D // num_heads) then a feed-forward network
Dense(intermediate_dim, activation) → Dense(D), each followed by dropout, a residual connection
and LayerNormalization (epsilon 1e-5) — after the residual by default, before the sublayer with
``normalize_first=True``. ``padding_mask`` (B, T) (True = real token; defaults to the mask the
inputs carry from ``Embedding(mask_zero=True)``) hides padded keys; ``attention_mask`` (B, T, T)
is combined with it.

``TransformerDecoder(intermediate_dim, num_heads)``: ``decoder_sequence`` (B, T, D) and optionally
``encoder_sequence`` (B, S, D) → (B, T, D): causal self-attention (``use_causal_mask=True``), then
cross-attention over the encoder sequence when one is given, then the feed-forward network, each
with dropout, residual and layer norm as above. In chainrule's functional API (one positional
argument per call) write ``decoder([decoder_sequence, encoder_sequence])``.

With dropout 0 the encoder computes exactly ``torch.nn.TransformerEncoderLayer`` (relu or gelu,
``norm_first`` = ``normalize_first``) — checked with copied weights in the tests.
"""

from __future__ import annotations

import numpy as np

from .. import activations, initializers
from ..ops import add
from .attention import MultiHeadAttention
from .base import Layer, as_tensor, register
from .dense import Dense
from .dropout import Dropout
from .embedding import check_bool, positive_int
from .normalization import LayerNormalization


def _padding(mask, B: int, T: int, what: str, layer: Layer):
    if mask is None:
        return None
    m = np.asarray(getattr(mask, "data", mask)).astype(bool)
    if m.shape != (B, T):
        raise ValueError(f"{layer.describe()}: {what} must have shape (batch, length) = "
                         f"{(B, T)}, got {m.shape}")  # fmt: skip
    return m


class _Block(Layer):
    """Arguments, sublayers and config shared by the encoder and decoder blocks."""

    supports_masking = True

    def __init__(self, intermediate_dim: int, num_heads: int, dropout: float = 0.0,
                 activation="relu", layer_norm_epsilon: float = 1e-5,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 normalize_first: bool = False, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        self.intermediate_dim = positive_int(self, "intermediate_dim", intermediate_dim)
        self.num_heads = positive_int(self, "num_heads", num_heads)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not (
                0 <= dropout < 1):  # fmt: skip
            raise ValueError(f"{self.describe()}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.activation = activations.get(activation)
        if isinstance(layer_norm_epsilon, bool) or not isinstance(layer_norm_epsilon,
                                                                  (int, float)) or not (
                layer_norm_epsilon > 0):  # fmt: skip
            raise ValueError(f"{self.describe()}: layer_norm_epsilon must be positive, got "
                             f"{layer_norm_epsilon!r}")  # fmt: skip
        self.layer_norm_epsilon = float(layer_norm_epsilon)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.normalize_first = check_bool(self, "normalize_first", normalize_first)
        self.hidden_dim = None

    def _attention(self, hidden: int, name: str) -> tuple:
        if hidden % self.num_heads:
            raise ValueError(f"{self.describe()}: the feature size {hidden} must be divisible by "
                             f"num_heads={self.num_heads}")  # fmt: skip
        mha = MultiHeadAttention(self.num_heads, hidden // self.num_heads, dropout=self.dropout,
                                 kernel_initializer=self.kernel_initializer,
                                 bias_initializer=self.bias_initializer, dtype=self.dtype,
                                 name=f"{self.name}_{name}")  # fmt: skip
        norm = LayerNormalization(epsilon=self.layer_norm_epsilon, dtype=self.dtype,
                                  name=f"{self.name}_{name}_norm")  # fmt: skip
        return mha, norm, Dropout(self.dropout, dtype=self.dtype)

    def _build_feedforward(self, hidden: int) -> None:
        init = {"kernel_initializer": self.kernel_initializer,
                "bias_initializer": self.bias_initializer, "dtype": self.dtype}  # fmt: skip
        self.feedforward_intermediate_dense = Dense(self.intermediate_dim,
                                                    activation=self.activation, **init)  # fmt: skip
        self.feedforward_output_dense = Dense(hidden, **init)
        self.feedforward_layer_norm = LayerNormalization(epsilon=self.layer_norm_epsilon,
                                                         dtype=self.dtype)  # fmt: skip
        self.feedforward_dropout = Dropout(self.dropout, dtype=self.dtype)
        self.hidden_dim = hidden

    def _sublayer(self, x, norm, fn):
        """Residual + layer norm around ``fn`` (post-norm, or pre-norm with normalize_first)."""
        residual = x
        if self.normalize_first:
            x = norm(x)
        x = add(fn(x), residual)
        return x if self.normalize_first else norm(x)

    def _feedforward(self, x):
        return self.feedforward_dropout(
            self.feedforward_output_dense(self.feedforward_intermediate_dense(x)))  # fmt: skip

    def _check(self, x, what: str):
        x = as_tensor(x)
        if x.ndim != 3:
            raise ValueError(f"{self.describe()}: {what} must be (batch, length, features), got "
                             f"shape {x.shape}")  # fmt: skip
        if self.hidden_dim is not None and x.shape[-1] != self.hidden_dim:
            raise ValueError(f"{self.describe()}: built for {self.hidden_dim} features, got "
                             f"{x.shape[-1]} ({what} shape {x.shape})")  # fmt: skip
        return x

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "intermediate_dim": self.intermediate_dim,
            "num_heads": self.num_heads,
            "dropout": self.dropout,
            "activation": activations.serialize(self.activation),
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "normalize_first": self.normalize_first,
        }


@register
class TransformerEncoder(_Block):
    """Self-attention + feed-forward block; see the module docstring."""

    default_name = "transformer_encoder"

    def build(self, input_shape) -> None:
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{self.describe()}: needs inputs (batch, length, features), got "
                             f"{input_shape}")  # fmt: skip
        hidden = int(input_shape[-1])
        self.self_attention, self.self_attention_layer_norm, self.self_attention_dropout = (
            self._attention(hidden, "self_attention"))  # fmt: skip
        self._build_feedforward(hidden)

    def forward(self, inputs, padding_mask=None, attention_mask=None):
        x = self._check(inputs, "inputs")
        B, T, _ = x.shape
        if padding_mask is None:
            padding_mask = getattr(inputs, "_keras_mask", None)
        padding_mask = _padding(padding_mask, B, T, "padding_mask", self)
        mask = None if padding_mask is None else np.broadcast_to(padding_mask[:, None, :],
                                                                 (B, T, T))  # fmt: skip
        if attention_mask is not None:
            am = np.asarray(getattr(attention_mask, "data", attention_mask)).astype(bool)
            mask = am if mask is None else mask & am

        def attend(h):
            return self.self_attention_dropout(self.self_attention(h, h, attention_mask=mask))

        x = self._sublayer(x, self.self_attention_layer_norm, attend)
        return self._sublayer(x, self.feedforward_layer_norm, self._feedforward)


@register
class TransformerDecoder(_Block):
    """Causal self-attention, optional cross-attention, feed-forward; see the module docstring."""

    default_name = "transformer_decoder"

    cross_attention = None

    def build(self, input_shape) -> None:
        """The cross-attention sublayers exist only once an encoder sequence is given (at build
        from a [decoder, encoder] list, or at the first call with one), as in keras-hub."""
        with_encoder = isinstance(input_shape, list)
        if with_encoder:
            input_shape = input_shape[0]
        if input_shape is None or len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{self.describe()}: needs decoder_sequence (batch, length, "
                             f"features), got {input_shape}")  # fmt: skip
        hidden = int(input_shape[-1])
        self.self_attention, self.self_attention_layer_norm, self.self_attention_dropout = (
            self._attention(hidden, "self_attention"))  # fmt: skip
        if with_encoder:
            self._build_cross(hidden)
        self._build_feedforward(hidden)

    def _build_cross(self, hidden: int) -> None:
        self.cross_attention, self.cross_attention_layer_norm, self.cross_attention_dropout = (
            self._attention(hidden, "cross_attention"))  # fmt: skip

    def forward(self, decoder_sequence, encoder_sequence=None, decoder_padding_mask=None,
                decoder_attention_mask=None, encoder_padding_mask=None,
                encoder_attention_mask=None, use_causal_mask: bool = True):  # fmt: skip
        if isinstance(decoder_sequence, (list, tuple)):  # functional form
            if encoder_sequence is not None or len(decoder_sequence) != 2:
                raise ValueError(f"{self.describe()}: a list input must be [decoder_sequence, "
                                 "encoder_sequence]")  # fmt: skip
            decoder_sequence, encoder_sequence = decoder_sequence
        x = self._check(decoder_sequence, "decoder_sequence")
        B, T, _ = x.shape
        if decoder_padding_mask is None:
            decoder_padding_mask = getattr(decoder_sequence, "_keras_mask", None)
        dpm = _padding(decoder_padding_mask, B, T, "decoder_padding_mask", self)
        mask = None if dpm is None else np.broadcast_to(dpm[:, None, :], (B, T, T))
        if decoder_attention_mask is not None:
            am = np.asarray(getattr(decoder_attention_mask, "data", decoder_attention_mask))
            mask = am.astype(bool) if mask is None else mask & am.astype(bool)

        def attend(h):
            out = self.self_attention(h, h, attention_mask=mask, use_causal_mask=use_causal_mask)
            return self.self_attention_dropout(out)

        x = self._sublayer(x, self.self_attention_layer_norm, attend)
        if encoder_sequence is not None:
            enc = self._check(encoder_sequence, "encoder_sequence")
            if self.cross_attention is None:
                self._build_cross(self.hidden_dim)
            S = enc.shape[1]
            if encoder_padding_mask is None:
                encoder_padding_mask = getattr(encoder_sequence, "_keras_mask", None)
            epm = _padding(encoder_padding_mask, B, S, "encoder_padding_mask", self)
            cmask = None if epm is None else np.broadcast_to(epm[:, None, :], (B, T, S))
            if encoder_attention_mask is not None:
                am = np.asarray(getattr(encoder_attention_mask, "data", encoder_attention_mask))
                cmask = am.astype(bool) if cmask is None else cmask & am.astype(bool)

            def cross(h):
                return self.cross_attention_dropout(
                    self.cross_attention(h, enc, attention_mask=cmask))  # fmt: skip

            x = self._sublayer(x, self.cross_attention_layer_norm, cross)
        return self._sublayer(x, self.feedforward_layer_norm, self._feedforward)
