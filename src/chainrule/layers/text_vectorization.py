"""TextVectorization (Keras door): strings → token ids (or multi-hot/count vectors), as a layer.

``TextVectorization(max_tokens=None, standardize="lower_and_strip_punctuation",
split="whitespace", output_mode="int", output_sequence_length=None, vocabulary=None)``:
inputs (N,) or (N, 1) strings → int64 (N, T), where T is ``output_sequence_length`` (pad with 0,
truncate) or the longest sequence of the batch. Id 0 is padding (``""``), 1 the out-of-vocabulary
token (``"[UNK]"``), then the vocabulary, most frequent first (ties alphabetical) after
:meth:`adapt`; ``max_tokens`` counts both reserved entries, as in Keras.
``output_mode="multi_hot"``/``"count"`` give float32 (N, vocabulary size) instead, column 0
being ``"[UNK]"`` (those modes have no padding entry, as in Keras).

The vocabulary is a :class:`chainrule.data.text.WordVocab` with Keras's reserved tokens; the
adapted vocabulary is part of the layer's config, so a saved model keeps it. Not provided:
``ngrams``, ``output_mode="tf_idf"``, ``sparse``/``ragged`` outputs (asking raises).
Numeric inputs are read as their text (``str(x)``).
"""

from __future__ import annotations

import re
import string

import numpy as np

from ..data.text import WordVocab
from ..tensor import Tensor
from .base import Layer, register

_RESERVED = ("", "[UNK]")
_PUNCT = re.compile("[" + re.escape(string.punctuation) + "]")
_STANDARDIZE = {
    None: lambda s: s,
    "lower": str.lower,
    "strip_punctuation": lambda s: _PUNCT.sub("", s),
    "lower_and_strip_punctuation": lambda s: _PUNCT.sub("", s.lower()),
}
_SPLIT = {None: lambda s: [s] if s else [], "whitespace": str.split, "character": list}
MAX_VOCABULARY = 10_000_000


@register
class TextVectorization(Layer):
    """See the module docstring."""

    default_name = "text_vectorization"
    autocast = False
    accepts_text = True  # fit/predict pass arrays of strings through to it

    def __init__(self, max_tokens: int | None = None,
                 standardize="lower_and_strip_punctuation", split="whitespace", ngrams=None,
                 output_mode: str = "int", output_sequence_length: int | None = None,
                 pad_to_max_tokens: bool = False, vocabulary=None, idf_weights=None,
                 sparse: bool = False, ragged: bool = False, encoding: str = "utf-8",
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        d = self.describe()
        if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(
                max_tokens, (int, np.integer)) or not 3 <= max_tokens <= MAX_VOCABULARY):  # fmt: skip
            raise ValueError(f"{d}: max_tokens must be an int in [3, {MAX_VOCABULARY}] (it counts "
                             f"the padding and OOV entries) or None, got {max_tokens!r}")  # fmt: skip
        self.max_tokens = None if max_tokens is None else int(max_tokens)
        for what, value, table in (("standardize", standardize, _STANDARDIZE),
                                   ("split", split, _SPLIT)):  # fmt: skip
            if not callable(value) and (not isinstance(value, (str, type(None)))
                                        or value not in table):  # fmt: skip
                raise ValueError(f"{d}: {what} must be one of {list(table)} or a function, got "
                                 f"{value!r}")  # fmt: skip
        self.standardize, self.split = standardize, split
        if ngrams is not None:
            raise ValueError(f"{d}: ngrams are not provided (ngrams=None only)")
        if output_mode not in ("int", "multi_hot", "count"):
            raise ValueError(f"{d}: output_mode must be 'int', 'multi_hot' or 'count' ('tf_idf' "
                             f"is not provided), got {output_mode!r}")  # fmt: skip
        self.output_mode = output_mode
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(f"{d}: output_sequence_length applies only to output_mode='int'")
            if isinstance(output_sequence_length, bool) or not isinstance(
                    output_sequence_length, (int, np.integer)) or not (
                    1 <= output_sequence_length <= 1_000_000):  # fmt: skip
                raise ValueError(f"{d}: output_sequence_length must be an int in [1, 1000000] or "
                                 f"None, got {output_sequence_length!r}")  # fmt: skip
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        if idf_weights is not None or sparse or ragged:
            raise ValueError(f"{d}: idf_weights, sparse and ragged outputs are not provided")
        self.encoding = encoding
        self._vocab: WordVocab | None = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)
        self.built = True

    # ------------------------------------------------------------------ text → tokens
    def _tokens(self, text: str) -> list[str]:
        std = self.standardize if callable(self.standardize) else _STANDARDIZE[self.standardize]
        spl = self.split if callable(self.split) else _SPLIT[self.split]
        return list(spl(std(text)))

    def _strings(self, inputs) -> list[str]:
        arr = inputs.data if isinstance(inputs, Tensor) else np.asarray(inputs, dtype=object)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"{self.describe()}: expects a batch of strings (N,) or (N, 1), got "
                             f"shape {arr.shape}")  # fmt: skip
        return [x.decode(self.encoding) if isinstance(x, bytes) else str(x) for x in arr.tolist()]

    def _convert(self, x):
        return x  # strings stay strings (no Tensor, no cast)

    # ------------------------------------------------------------------ vocabulary
    def adapt(self, data, batch_size=None, steps=None) -> None:
        """Build the vocabulary from ``data``: strings, or an iterable of batches of strings."""
        if isinstance(data, (str, bytes)):
            raise TypeError(f"{self.describe()}: adapt needs a collection of strings, not one")
        texts: list[str] = []
        if isinstance(data, np.ndarray) or (isinstance(data, (list, tuple)) and (
                not data or isinstance(data[0], (str, bytes)))):  # fmt: skip
            texts = self._strings(data)
        else:
            for k, batch in enumerate(data):
                if steps is not None and k >= steps:
                    break
                if isinstance(batch, tuple):
                    batch = batch[0]
                texts.extend(self._strings(batch))
        vocab = WordVocab.build(texts, max_size=self.max_tokens, tokenizer=self._tokens,
                                specials=_RESERVED)  # fmt: skip
        self._vocab = vocab

    def set_vocabulary(self, vocabulary) -> None:
        """Use ``vocabulary`` (a list of distinct tokens, or a path to a file of one per line);
        a leading ``""``/``"[UNK]"`` is accepted and dropped (they are always ids 0 and 1)."""
        if isinstance(vocabulary, str):
            with open(vocabulary, encoding=self.encoding) as fh:
                vocabulary = fh.read().splitlines()
        if not isinstance(vocabulary, (list, tuple, np.ndarray)) or not all(
                isinstance(w, str) for w in vocabulary):  # fmt: skip
            raise TypeError(f"{self.describe()}: vocabulary must be a list of strings")
        words = list(vocabulary)
        for token in _RESERVED:
            if words and words[0] == token:
                words = words[1:]
        if len(words) > MAX_VOCABULARY:
            raise ValueError(f"{self.describe()}: vocabulary has more than {MAX_VOCABULARY} tokens")
        if self.max_tokens is not None and len(words) + 2 > self.max_tokens:
            raise ValueError(f"{self.describe()}: vocabulary of {len(words)} tokens (+2 reserved) "
                             f"exceeds max_tokens={self.max_tokens}")  # fmt: skip
        try:
            self._vocab = WordVocab(words, self._tokens, specials=_RESERVED)
        except ValueError as err:
            raise ValueError(f"{self.describe()}: {err}") from None

    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The tokens by id: ``"", "[UNK]", words…`` in "int" mode (no ``""`` in the other
        modes, which have no padding), or only the words."""
        itos = list(_RESERVED) if self._vocab is None else self._vocab.itos
        if not include_special_tokens:
            return list(itos[2:])
        return list(itos if self.output_mode == "int" else itos[1:])

    def vocabulary_size(self) -> int:
        return len(self.get_vocabulary())

    # ------------------------------------------------------------------ call
    def forward(self, inputs):
        if self._vocab is None:
            raise ValueError(f"{self.describe()}: no vocabulary yet; call adapt(texts) or pass "
                             "vocabulary=")  # fmt: skip
        texts = self._strings(inputs)
        stoi, unk = self._vocab.stoi, self._vocab.unk_id
        seqs = [[stoi.get(w, unk) for w in self._tokens(t)] for t in texts]
        if self.output_mode == "int":
            T = self.output_sequence_length
            if T is None:
                T = max((len(s) for s in seqs), default=0)
            out = np.zeros((len(seqs), T), dtype=np.int64)
            for i, s in enumerate(seqs):
                s = s[:T]
                out[i, : len(s)] = s
            return Tensor(out)
        # no padding entry outside "int" mode (Keras): column 0 is "[UNK]", then the words
        V = self.vocabulary_size()
        if self.pad_to_max_tokens and self.max_tokens:
            V = max(V, self.max_tokens)
        out = np.zeros((len(seqs), V), dtype=np.float32)
        rows = np.repeat(np.arange(len(seqs)), [len(s) for s in seqs])
        cols = np.fromiter((w - 1 for s in seqs for w in s), dtype=np.int64, count=rows.size)
        if self.output_mode == "count":
            np.add.at(out, (rows, cols), 1.0)  # preprocessing, not a training hot path
        else:
            out[rows, cols] = 1.0
        return Tensor(out)

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return (input_shape[0], self.output_sequence_length)
        return (input_shape[0], self.vocabulary_size())

    def get_config(self) -> dict:
        for what in ("standardize", "split"):
            if callable(getattr(self, what)):
                raise ValueError(  # noqa: TRY004 - as Lambda: a saving problem, not a type
                    f"{self.describe()}: cannot save a custom {what} function (a model file "
                    "stores only names); use a built-in option"
                )
        return {
            **super().get_config(),
            "max_tokens": self.max_tokens,
            "standardize": self.standardize,
            "split": self.split,
            "output_mode": self.output_mode,
            "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary": None if self._vocab is None else self.get_vocabulary(False),
            "encoding": self.encoding,
        }
