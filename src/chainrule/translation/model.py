"""The sequence-to-sequence Transformer used for translation, as a functional Keras model.

``build_translator`` makes the model of keras.io's "English-to-Spanish translation with a
sequence-to-sequence Transformer", from registered layers only, so ``save_model``/``load_model``
store and rebuild it like any functional model (no custom code in the file)::

    source (B, S) int ─ TokenAndPositionEmbedding "source_embedding" ─ TransformerEncoder
        "encoder_0" … "encoder_{N-1}" ─────────────────────────────┐ (encoder sequence)
    target (B, T) int ─ TokenAndPositionEmbedding "target_embedding" ─ TransformerDecoder
        "decoder_0" … "decoder_{N-1}" ─ Dense "logits" → (B, T, target vocabulary)

Token id 0 is padding on both sides (``mask_zero``): padded source tokens are hidden from both
attentions. Called whole, the model gives teacher-forced logits. :class:`Seq2Seq` splits it at the
named layers for decoding: encode the source once, then run the decoder stack on the prefix and
project only its last position.
"""

from __future__ import annotations

import numpy as np

from ..function import no_grad
from ..ops import getitem
from ..tensor import Tensor

SOURCE_EMBEDDING, TARGET_EMBEDDING, LOGITS = "source_embedding", "target_embedding", "logits"


def build_translator(
    source_vocabulary_size: int,
    target_vocabulary_size: int,
    *,
    max_length: int = 32,
    embed_dim: int = 128,
    intermediate_dim: int = 512,
    num_heads: int = 4,
    num_layers: int = 2,
    dropout: float = 0.1,
    normalize_first: bool = True,
    name: str = "translator",
):
    """The functional translator described in the module docstring.

    ``max_length``: the most tokens a source or target sequence may have (the learned position
    tables' size; the target counts its begin and end tokens). ``normalize_first``: pre-norm
    blocks (layer norm before each sublayer), which train stably at higher learning rates.
    Returns a :class:`chainrule.models.Model` with inputs ``[source, target]``.
    """
    from ..layers import Dense, TokenAndPositionEmbedding, TransformerDecoder, TransformerEncoder
    from ..layers.normalization import LayerNormalization
    from ..training.functional import Input
    from ..training.model import Model

    for what, v in (("source_vocabulary_size", source_vocabulary_size),
                    ("target_vocabulary_size", target_vocabulary_size), ("max_length", max_length),
                    ("num_layers", num_layers)):  # fmt: skip
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"build_translator: {what} must be a positive int, got {v!r}")
    block = {"intermediate_dim": intermediate_dim, "num_heads": num_heads, "dropout": dropout,
             "normalize_first": normalize_first}  # fmt: skip
    source = Input(shape=(max_length,), dtype="int64", name="source")
    target = Input(shape=(max_length,), dtype="int64", name="target")
    x = TokenAndPositionEmbedding(source_vocabulary_size, max_length, embed_dim, mask_zero=True,
                                  name=SOURCE_EMBEDDING)(source)  # fmt: skip
    for i in range(num_layers):
        x = TransformerEncoder(**block, name=f"encoder_{i}")(x)
    if normalize_first:  # a pre-norm stack ends in a layer norm
        x = LayerNormalization(epsilon=1e-5, name="encoder_norm")(x)
    y = TokenAndPositionEmbedding(target_vocabulary_size, max_length, embed_dim, mask_zero=True,
                                  name=TARGET_EMBEDDING)(target)  # fmt: skip
    for i in range(num_layers):
        y = TransformerDecoder(**block, name=f"decoder_{i}")([y, x])
    if normalize_first:
        y = LayerNormalization(epsilon=1e-5, name="decoder_norm")(y)
    logits = Dense(target_vocabulary_size, name=LOGITS)(y)
    return Model([source, target], logits, name=name)


def _numbered(names: list, prefix: str) -> list[str]:
    """``prefix_0``, ``prefix_1`` … as far as they go without a gap."""
    out = []
    while f"{prefix}_{len(out)}" in names:
        out.append(f"{prefix}_{len(out)}")
    return out


class Seq2Seq:
    """The encoder and decoder halves of a model made by :func:`build_translator` (or loaded from
    its file), found by layer name; ValueError when the model does not have that layout.

    ``encode(source)`` → ``(memory (B, S, D), source_mask (B, S))``; ``decode(memory, mask,
    prefix)`` → decoder states (B, T, D); ``next_log_probs`` the log-probabilities of the token
    after each prefix. ``hidden(source, target_in)`` is the training path (states of every target
    position), ``logits_of(states)`` projects states to the vocabulary.
    """

    def __init__(self, model):
        names = [getattr(layer, "name", None) for layer in getattr(model, "layers", [])]
        missing = [n for n in (SOURCE_EMBEDDING, TARGET_EMBEDDING, LOGITS) if n not in names]
        if missing or "encoder_0" not in names or "decoder_0" not in names:
            raise ValueError(
                "Seq2Seq: the model is not a chainrule translator (it needs layers named "
                f"source_embedding, encoder_0…, target_embedding, decoder_0…, logits; it has "
                f"{names[:20]})"
            )
        layer = model.get_layer
        self.model = model
        self.source_embedding = layer(SOURCE_EMBEDDING)
        self.target_embedding = layer(TARGET_EMBEDDING)
        self.encoders = [layer(n) for n in _numbered(names, "encoder")]
        self.decoders = [layer(n) for n in _numbered(names, "decoder")]
        self.encoder_norm = layer("encoder_norm") if "encoder_norm" in names else None
        self.decoder_norm = layer("decoder_norm") if "decoder_norm" in names else None
        self.logits = layer(LOGITS)
        self._check_classes()
        self.max_length = int(self.source_embedding.sequence_length)
        self.target_max_length = int(self.target_embedding.sequence_length)
        self.target_vocabulary_size = int(self.target_embedding.vocabulary_size)

    def _check_classes(self) -> None:
        from ..layers import (
            Dense,
            TokenAndPositionEmbedding,
            TransformerDecoder,
            TransformerEncoder,
        )
        from ..layers.normalization import LayerNormalization

        expected = [(self.source_embedding, TokenAndPositionEmbedding),
                    (self.target_embedding, TokenAndPositionEmbedding), (self.logits, Dense),
                    *((e, TransformerEncoder) for e in self.encoders),
                    *((d, TransformerDecoder) for d in self.decoders),
                    *((n, LayerNormalization) for n in (self.encoder_norm, self.decoder_norm)
                      if n is not None)]  # fmt: skip
        for found, cls in expected:
            if not isinstance(found, cls):
                raise ValueError(  # noqa: TRY004 - a malformed file, reported as bad input
                    f"Seq2Seq: layer '{found.name}' is a {type(found).__name__}, "
                    f"not a {cls.__name__}; the model is not a chainrule translator"
                )

    def _ids(self, ids, what: str, limit: int) -> np.ndarray:
        ids = np.asarray(ids)
        if ids.ndim != 2 or ids.dtype.kind not in "iu":
            raise ValueError(f"Seq2Seq: {what} must be int token ids (batch, length), got "
                             f"{ids.dtype} {ids.shape}")  # fmt: skip
        if ids.shape[1] > limit:
            raise ValueError(f"Seq2Seq: {what} has {ids.shape[1]} tokens; the model takes at "
                             f"most {limit}")  # fmt: skip
        return ids.astype(np.int64, copy=False)

    def encode(self, source) -> tuple[Tensor, np.ndarray]:
        """Source ids (B, S) → (encoder states (B, S, D), mask (B, S), True at real tokens)."""
        source = self._ids(source, "source", self.max_length)
        x = self.source_embedding(source)
        for enc in self.encoders:
            x = enc(x)
        if self.encoder_norm is not None:
            x = self.encoder_norm(x)
        return x, source != 0

    def decode(self, memory: Tensor, source_mask: np.ndarray, prefix) -> Tensor:
        """Decoder states (B, T, D) of target prefixes (B, T) attending to ``memory``."""
        prefix = self._ids(prefix, "target prefix", self.target_max_length)
        y = self.target_embedding(prefix)
        for dec in self.decoders:
            y = dec(y, memory, encoder_padding_mask=source_mask)
        if self.decoder_norm is not None:
            y = self.decoder_norm(y)
        return y

    def hidden(self, source, target_in) -> Tensor:
        """Teacher-forced decoder states (B, T, D) (the model's output before ``logits``)."""
        memory, mask = self.encode(source)
        return self.decode(memory, mask, target_in)

    def logits_of(self, states: Tensor) -> Tensor:
        return self.logits(states)

    def next_log_probs(self, memory: Tensor, source_mask: np.ndarray, prefix) -> np.ndarray:
        """log p(next token | source, prefix): float32 (B, V) for prefixes (B, T)."""
        with no_grad():
            y = self.decode(memory, source_mask, prefix)
            last = self.logits(getitem(y, (slice(None), -1)))
        z = np.asarray(last.data, dtype=np.float32)
        z = z - z.max(axis=1, keepdims=True)
        z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
        return z
