"""Sentences in, sentences out: a translator model with its saved text preprocessing.

``Translator(model)`` takes a model made by :func:`~chainrule.translation.model.build_translator`
whose ``preprocessing`` is a text object with ``task = "translation"`` (as ``chainrule train
eng-fra`` saves it), tokenises and encodes source sentences with it, decodes greedily or with beam
search (batched over sentences) and turns the target ids back into text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..data.text import pad_sequences
from ..function import no_grad
from ..io.text_preprocessing import decode, encode
from ..tensor import Tensor
from .model import Seq2Seq
from .search import beam_search, greedy_decode


class Translator:
    """Translate with ``model`` (see the module docstring); ValueError if it cannot."""

    def __init__(self, model):
        spec = getattr(model, "preprocessing", None)
        if not spec or spec.get("kind") != "text" or spec.get("task") != "translation":
            kind = None if not spec else f"{spec.get('kind')}/{spec.get('task')}"
            raise ValueError(f"Translator: the model's saved preprocessing must be text with task "
                             f"'translation' (got {kind}); it is not a translation model")  # fmt: skip
        tspecial = spec.get("target_special_tokens", {})
        missing = [r for r in ("bos", "eos") if r not in tspecial]
        if missing:
            raise ValueError(f"Translator: target_special_tokens lacks {missing}; decoding needs "
                             "the begin and end tokens")  # fmt: skip
        self.spec = spec
        self.parts = Seq2Seq(model)
        tvocab = spec["target_vocabulary"]
        if len(tvocab) != self.parts.target_vocabulary_size:
            raise ValueError(f"Translator: the target vocabulary has {len(tvocab)} tokens but the "
                             f"model outputs {self.parts.target_vocabulary_size}")  # fmt: skip
        if len(spec["vocabulary"]) != int(self.parts.source_embedding.vocabulary_size):
            raise ValueError(f"Translator: the source vocabulary has {len(spec['vocabulary'])} "
                             f"tokens but the model embeds "
                             f"{self.parts.source_embedding.vocabulary_size}")  # fmt: skip
        for key in ("special_tokens", "target_special_tokens"):
            pad = spec.get(key, {}).get("pad")
            vocab = spec["target_vocabulary" if key.startswith("target") else "vocabulary"]
            if pad is None or vocab.index(pad) != 0:
                raise ValueError(f"Translator: {key} must name a pad token at id 0 (the model "
                                 "masks token 0 as padding)")  # fmt: skip
        self.bos = tvocab.index(tspecial["bos"])
        self.eos = tvocab.index(tspecial["eos"])
        self.model = model

    @property
    def max_target_tokens(self) -> int:
        """The most tokens a translation may have (the target positions less ``bos``)."""
        return self.parts.target_max_length - 1

    def encode_sources(self, sentences: Sequence[str]) -> list[np.ndarray]:
        """Source token ids of each sentence; ValueError for one longer than the model takes."""
        out = []
        for i, s in enumerate(sentences):
            ids = encode(s, self.spec)
            if not 1 <= len(ids) <= self.parts.max_length:
                raise ValueError(f"translate: sentence {i} has {len(ids)} tokens; this model "
                                 f"takes 1 to {self.parts.max_length}")  # fmt: skip
            out.append(ids)
        return out

    def translate_ids(self, sources: Sequence[np.ndarray], beam_size: int = 1,
                      max_len: int | None = None, length_penalty: float = 1.0,
                      batch_size: int = 64) -> list[list[int]]:  # fmt: skip
        """Target ids (without bos/eos) for each source id sequence."""
        limit = self.max_target_tokens
        max_len = limit if max_len is None else max_len
        if isinstance(max_len, bool) or not isinstance(max_len, int) or not 1 <= max_len <= limit:
            raise ValueError(f"translate: max_len must be an int in [1, {limit}] (the model's "
                             f"target positions), got {max_len!r}")  # fmt: skip
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"translate: batch_size must be a positive int, got {batch_size!r}")
        order = np.argsort([len(s) for s in sources], kind="stable")  # batch similar lengths
        out: list[list[int]] = [[] for _ in sources]
        was_training = self.model.training
        self.model.eval()
        try:
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                src = pad_sequences([sources[i] for i in idx], max(len(sources[i]) for i in idx))
                with no_grad():
                    memory, mask = self.parts.encode(src)
                states = memory.data

                def step(prefix, rows, states=states, mask=mask):
                    mem = Tensor(states[rows])
                    return self.parts.next_log_probs(mem, mask[rows], prefix)

                if beam_size == 1:
                    res = greedy_decode(step, len(idx), self.bos, self.eos, max_len)
                else:
                    res = beam_search(step, len(idx), self.bos, self.eos, max_len, beam_size,
                                      length_penalty)  # fmt: skip
                for i, ids in zip(idx.tolist(), res):
                    out[i] = ids
        finally:
            self.model.train(was_training)
        return out

    def translate(self, sentences: Sequence[str], beam_size: int = 1, max_len: int | None = None,
                  length_penalty: float = 1.0, batch_size: int = 64) -> list[str]:  # fmt: skip
        """Translations of ``sentences`` (greedy for ``beam_size=1``, else beam search)."""
        if isinstance(sentences, str):
            raise TypeError("Translator.translate: give a list of sentences, not one string")
        sources = self.encode_sources(sentences)
        ids = self.translate_ids(sources, beam_size, max_len, length_penalty, batch_size)
        return [decode(t, self.spec, target=True) for t in ids]
