"""Text pipeline: character and word vocabularies, padding, and language-model batches.

Token ids are int64 NumPy arrays. A :class:`WordVocab` reserves the special tokens ``<pad>`` (id 0),
``<unk>`` (1), ``<bos>`` (2) and ``<eos>`` (3); a :class:`CharVocab` holds just the characters it
was built from (optionally with ``<unk>``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .. import random as _random

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)


def split_text(text: str, val_fraction: float = 0.1) -> tuple[str, str]:
    """Split a corpus into a contiguous head (train) and tail (validation) of ``val_fraction``."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"split_text: val_fraction must be in (0, 1), got {val_fraction}")
    cut = len(text) - round(len(text) * val_fraction)
    return text[:cut], text[cut:]


class CharVocab:
    """Characters ↔ ids. ``CharVocab(text)`` collects the sorted distinct characters of ``text``.

    ``unk=True`` adds ``<unk>`` (id 0) for characters outside the vocabulary; without it, encoding
    an unknown character raises ValueError. Encoding works on the whole string at once (no Python
    loop per character).
    """

    def __init__(self, text: str, unk: bool = False):
        chars = sorted(set(text))
        self.unk = unk
        self.itos: list[str] = ([UNK] if unk else []) + chars
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}
        self._codes = np.array([ord(c) for c in chars], dtype=np.uint32)  # sorted
        self._offset = 1 if unk else 0

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> np.ndarray:
        """Ids of the characters of ``text``: int64 array of shape ``(len(text),)``."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        pos = np.searchsorted(self._codes, codes)
        if len(self._codes):
            known = self._codes[np.minimum(pos, len(self._codes) - 1)] == codes
        else:
            known = np.zeros(codes.shape, dtype=bool)
        ids = pos.astype(np.int64) + self._offset
        if not known.all():
            if not self.unk:
                bad = sorted({chr(c) for c in codes[~known][:1000]})
                raise ValueError(
                    f"CharVocab.encode: characters {bad[:10]!r} are not in the vocabulary "
                    f"of {len(self)} characters (build it with unk=True to map them to <unk>)"
                )
            ids[~known] = 0
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """The string of the characters with ids ``ids`` (``<unk>`` is written as is)."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(
                f"CharVocab.decode: ids must lie in [0, {len(self)}), got {ids.min()}..{ids.max()}"
            )
        return "".join(self.itos[i] for i in ids.tolist())


class WordVocab:
    """Words ↔ ids, built from tokenised sentences by frequency.

    ``WordVocab.build(sentences, min_freq=1, max_size=None, tokenizer=str.split)`` keeps words seen
    at least ``min_freq`` times, most frequent first (ties alphabetical), and at most ``max_size``
    entries in total, specials included. Ids 0–3 are ``<pad>``, ``<unk>``, ``<bos>``, ``<eos>``.
    """

    def __init__(self, words: Sequence[str], tokenizer: Callable[[str], list[str]] = str.split,
                 specials: Sequence[str] = SPECIALS):  # fmt: skip
        """``specials``: the reserved tokens first in the table, padding then unknown, then
        optionally begin and end (the default ``<pad>, <unk>, <bos>, <eos>``; Keras's
        TextVectorization uses ``"", "[UNK]"``). ``bos_id``/``eos_id`` are None without them."""
        specials = tuple(specials)
        if not 2 <= len(specials) <= 4:
            raise ValueError(f"WordVocab: specials must list 2 to 4 tokens (pad, unk[, bos, eos]), "
                             f"got {specials!r}")  # fmt: skip
        dupes = [w for w in specials if w in words]
        if dupes:
            raise ValueError(f"WordVocab: words must not contain the special tokens {dupes}")
        self.specials = specials
        self.itos: list[str] = list(specials) + list(words)
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("WordVocab: words must be distinct")
        self.tokenizer = tokenizer
        self.pad_id, self.unk_id = 0, 1
        self.bos_id = 2 if len(specials) > 2 else None
        self.eos_id = 3 if len(specials) > 3 else None

    @classmethod
    def build(
        cls,
        sentences: Iterable[str],
        min_freq: int = 1,
        max_size: int | None = None,
        tokenizer: Callable[[str], list[str]] = str.split,
        specials: Sequence[str] = SPECIALS,
    ) -> WordVocab:
        """A vocabulary of the words of ``sentences`` (see the class docstring for the rules)."""
        specials = tuple(specials)
        if min_freq < 1:
            raise ValueError(f"WordVocab.build: min_freq must be >= 1, got {min_freq}")
        if max_size is not None and max_size < len(specials):
            raise ValueError(
                f"WordVocab.build: max_size={max_size} cannot hold the {len(specials)} special tokens"
            )
        counts = Counter(w for s in sentences for w in tokenizer(s) if w not in specials)
        words = sorted(
            (w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w)
        )
        if max_size is not None:
            words = words[: max_size - len(specials)]
        return cls(words, tokenizer, specials)

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, sentence: str, add_bos: bool = False, add_eos: bool = False) -> np.ndarray:
        """Token ids of one sentence (unknown words → ``<unk>``): int64 array ``(T,)``."""
        unk = self.unk_id
        ids = [self.stoi.get(w, unk) for w in self.tokenizer(sentence)]
        if (add_bos and self.bos_id is None) or (add_eos and self.eos_id is None):
            raise ValueError(f"WordVocab.encode: this vocabulary has no begin/end tokens "
                             f"(specials {self.specials})")  # fmt: skip
        if add_bos:
            ids.insert(0, self.bos_id)
        if add_eos:
            ids.append(self.eos_id)
        return np.array(ids, dtype=np.int64)

    def encode_batch(
        self, sentences: Iterable[str], length: int, add_bos: bool = False, add_eos: bool = False
    ) -> np.ndarray:
        """Encode and pad/truncate every sentence to ``length``: int64 array ``(N, length)``."""
        seqs = [self.encode(s, add_bos, add_eos) for s in sentences]
        return pad_sequences(seqs, length, pad_id=self.pad_id)

    def decode(self, ids: Iterable[int], skip_specials: bool = True) -> str:
        """Words of ``ids`` joined by spaces; ``<pad>``, ``<bos>``, ``<eos>`` dropped by default."""
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(
                f"WordVocab.decode: ids must lie in [0, {len(self)}), got {ids.min()}..{ids.max()}"
            )
        skip = {self.pad_id, self.bos_id, self.eos_id} - {None} if skip_specials else set()
        return " ".join(self.itos[i] for i in ids.tolist() if i not in skip)


def pad_sequences(
    sequences: Sequence[Sequence[int]],
    length: int,
    pad_id: int = 0,
    padding: str = "post",
    truncating: str = "post",
    dtype=np.int64,
) -> np.ndarray:
    """Pad (with ``pad_id``) or truncate each sequence to ``length``: array ``(N, length)``.

    ``padding="post"`` pads at the end, ``"pre"`` at the start; ``truncating="post"`` drops tokens
    from the end, ``"pre"`` from the start.
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(
            f"pad_sequences: padding and truncating must be 'pre' or 'post', got {padding!r}, {truncating!r}"
        )
    if length < 0:
        raise ValueError(f"pad_sequences: length must be >= 0, got {length}")
    out = np.full((len(sequences), length), pad_id, dtype=dtype)
    for i, seq in enumerate(sequences):
        seq = np.asarray(seq)
        if length == 0:
            continue
        seq = seq[:length] if truncating == "post" else seq[-length:]
        if padding == "post":
            out[i, : len(seq)] = seq
        else:
            out[i, length - len(seq) :] = seq
    return out


def lm_sequences(
    ids: np.ndarray, seq_len: int, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Cut a token stream into language-model examples: ``(inputs, targets)``, each ``(N, seq_len)``.

    ``targets[i, t] = inputs[i, t + 1]`` in the stream (the next token). Windows start every
    ``stride`` tokens (default ``seq_len``: non-overlapping). Feed them to a DataLoader via
    ``TensorDataset(inputs, targets)``.
    """
    ids = np.asarray(ids)
    if ids.ndim != 1:
        raise ValueError(f"lm_sequences: ids must be 1-D, got shape {ids.shape}")
    stride = seq_len if stride is None else stride
    if seq_len < 1 or stride < 1:
        raise ValueError(f"lm_sequences: seq_len and stride must be >= 1, got {seq_len}, {stride}")
    if len(ids) < seq_len + 1:
        raise ValueError(
            f"lm_sequences: need at least seq_len+1={seq_len + 1} tokens, got {len(ids)}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(ids, seq_len + 1)[::stride]
    return windows[:, :-1].copy(), windows[:, 1:].copy()


def sample_lm_batch(
    ids: np.ndarray, batch_size: int, seq_len: int, rng: np.random.Generator | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``batch_size`` random windows of a token stream: ``(inputs, targets)``, each ``(B, seq_len)``.

    Start positions are uniform over the stream, drawn from ``rng`` (default: the library generator).
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < seq_len + 1:
        raise ValueError(
            f"sample_lm_batch: need a 1-D stream of at least seq_len+1={seq_len + 1} tokens, "
            f"got shape {ids.shape}"
        )
    rng = _random.get_generator() if rng is None else rng
    starts = rng.integers(0, len(ids) - seq_len, size=batch_size)
    offsets = starts[:, None] + np.arange(seq_len)
    return ids[offsets], ids[offsets + 1]


def length_buckets(ids: np.ndarray, batch_size: int, rng: np.random.Generator | None = None,
                   min_len: int = 1):  # fmt: skip
    """Batches of sequences of similar length, for training recurrent and convolutional text
    models fast: yields ``(indices, ids[indices, :width])`` where ``width`` is the batch's longest
    sequence (at least ``min_len``), so a batch of short sentences is not padded to the data set's
    longest one.

    ``ids``: (N, T) int64 with padding 0 at the end of each row. The indices are sorted by length
    (ties broken at random), cut into batches, and the batches shuffled, all with ``rng`` (the
    library generator when None).
    """
    if ids.ndim != 2:
        raise ValueError(f"length_buckets: ids must be (N, T), got shape {ids.shape}")
    if batch_size < 1:
        raise ValueError(f"length_buckets: batch_size must be positive, got {batch_size}")
    rng = _random.get_generator() if rng is None else rng
    lengths = (ids != 0).sum(1)
    order = np.argsort(lengths + rng.random(len(lengths)), kind="stable")
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    for j in rng.permutation(len(chunks)):
        idx = chunks[j]
        yield idx, ids[idx, : max(min_len, int(lengths[idx].max()))]
