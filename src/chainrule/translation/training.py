"""Training a translator: vocabularies, encoded pairs, the teacher-forced training loop and BLEU.

``text_spec_for(sources, targets, ...)`` builds the two word vocabularies (most frequent first,
``<pad> <unk> <bos> <eos>`` at ids 0–3) and the model file's text preprocessing object;
``encode_pairs`` turns sentences into id arrays; ``train_epoch`` runs one epoch of teacher forcing
(length-bucketed batches, the loss computed only at real target positions, gradient clipping and
a per-step learning-rate schedule); ``corpus_bleu`` scores translations with sacrebleu.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np

from ..data.text import SPECIALS, pad_sequences
from ..data.translation import length_batches
from ..function import no_grad
from ..io.text_preprocessing import check_text_spec, encode_many, tokenize
from .model import Seq2Seq

ROLES = dict(zip(("pad", "unk", "bos", "eos"), SPECIALS))
TOKENIZER = {"tokenizer": "word", "split_punctuation": True, "mark_spaces": True}
"""The tokenizer of the eng-fra models: words and punctuation, spacing kept (case kept too)."""


def _vocabulary(sentences: Sequence[str], spec: dict, min_freq: int, max_size: int | None):
    counts = Counter(t for s in sentences for t in tokenize(s, spec))
    for tok in SPECIALS:
        counts.pop(tok, None)
    words = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
    if max_size is not None:
        words = words[: max_size - len(SPECIALS)]
    return [*SPECIALS, *words]


def text_spec_for(sources: Sequence[str], targets: Sequence[str], *, context_length: int,
                  min_freq: int = 2, target_min_freq: int = 2, max_size: int | None = None,
                  tokenizer: dict | None = None) -> dict:  # fmt: skip
    """The checked ``text``/``translation`` preprocessing object for a model trained on these
    pairs: vocabularies of the tokens seen at least ``min_freq`` (``target_min_freq``) times,
    ``context_length`` positions on both sides."""
    fields = dict(TOKENIZER if tokenizer is None else tokenizer)
    spec = {"kind": "text", "task": "translation", **fields,
            "vocabulary": _vocabulary(sources, fields, min_freq, max_size),
            "special_tokens": dict(ROLES),
            "target_vocabulary": _vocabulary(targets, fields, target_min_freq, max_size),
            "target_special_tokens": dict(ROLES), "context_length": context_length,
            "target_context_length": context_length}  # fmt: skip
    return check_text_spec(spec)


def encode_pairs(sources: Sequence[str], targets: Sequence[str], spec: dict):
    """``(source ids, target ids, kept)``: lists of int64 arrays for the pairs that fit the
    model (source ≤ ``context_length`` tokens, target + ``bos``/``eos`` ≤
    ``target_context_length``), and the indices of those pairs."""
    src = encode_many(sources, spec)
    tgt = encode_many(targets, spec, target=True)
    limit_t = spec.get("target_context_length", spec["context_length"])
    kept = [i for i, (s, t) in enumerate(zip(src, tgt))
            if 1 <= len(s) <= spec["context_length"] and len(t) + 1 <= limit_t]  # fmt: skip
    return [src[i] for i in kept], [tgt[i] for i in kept], np.asarray(kept, dtype=np.int64)


def batch_arrays(src: Sequence[np.ndarray], tgt: Sequence[np.ndarray], idx, bos: int, eos: int):
    """Padded ``(source (B, S), target_in (B, T), target_out (B, T))`` of pairs ``idx``;
    target_in = bos + tokens, target_out = tokens + eos."""
    s = [src[i] for i in idx]
    t_in = [np.concatenate([[bos], tgt[i]]) for i in idx]
    t_out = [np.concatenate([tgt[i], [eos]]) for i in idx]
    return (pad_sequences(s, max(map(len, s))), pad_sequences(t_in, max(map(len, t_in))),
            pad_sequences(t_out, max(map(len, t_out))))  # fmt: skip


def batch_loss(parts: Seq2Seq, source, target_in, target_out):
    """Mean cross-entropy over the real (non-pad) target positions, and their count."""
    from ..nn.functional import cross_entropy
    from ..ops import getitem

    states = parts.hidden(source, target_in)
    B, T, D = states.shape
    real = target_out.reshape(-1) != 0
    picked = getitem(states.reshape(B * T, D), real)
    logits = parts.logits_of(picked)
    return cross_entropy(logits, target_out.reshape(-1)[real]), int(real.sum())


def warmup_cosine(step: int, total: int, warmup: int, peak: float, floor: float = 0.05) -> float:
    """Linear warm-up to ``peak`` over ``warmup`` steps, then cosine decay to ``floor · peak``."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


def train_epoch(parts: Seq2Seq, optimizer, src, tgt, *, batch_size: int, bos: int, eos: int,
                lr_at: Callable[[int], float], step0: int, clip_norm: float | None = 1.0,
                rng=None, on_step: Callable[[int, float], None] | None = None) -> tuple[float, int]:  # fmt: skip
    """One epoch over the pairs; returns (mean loss per target token, steps taken)."""
    from ..nn.utils import clip_grad_norm_

    params = [p for p in parts.model.parameters() if p.requires_grad]
    lengths = np.array([len(t) for t in tgt]) * 64 + np.array([len(s) for s in src])
    total, tokens, step = 0.0, 0, step0
    parts.model.train()
    for idx in length_batches(lengths, batch_size, rng):
        s, t_in, t_out = batch_arrays(src, tgt, idx, bos, eos)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        loss, n = batch_loss(parts, s, t_in, t_out)
        optimizer.zero_grad()
        loss.backward()
        if clip_norm is not None:
            clip_grad_norm_(params, clip_norm)
        optimizer.step()
        value = float(loss.data)
        if not math.isfinite(value):
            raise FloatingPointError(f"translation training: the loss became {value} at step "
                                     f"{step}")  # fmt: skip
        total += value * n
        tokens += n
        step += 1
        if on_step is not None:
            on_step(step, value)
    return total / max(tokens, 1), step - step0


def evaluate_loss(parts: Seq2Seq, src, tgt, *, bos: int, eos: int, batch_size: int = 256) -> float:
    """Mean cross-entropy per target token (evaluation mode, no gradients)."""
    was = parts.model.training
    parts.model.eval()
    total, tokens = 0.0, 0
    try:
        with no_grad():
            order = np.argsort([len(t) for t in tgt], kind="stable")
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                loss, n = batch_loss(parts, *batch_arrays(src, tgt, idx, bos, eos))
                total += float(loss.data) * n
                tokens += n
    finally:
        parts.model.train(was)
    return total / max(tokens, 1)


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[str] | Sequence[Sequence[str]]):
    """sacrebleu's corpus BLEU (its defaults: 13a tokenisation, exponential smoothing, cased).

    ``references``: one reference per hypothesis, or a list of reference streams. Returns the
    sacrebleu ``BLEUScore`` (``.score`` on 0–100). Needs ``pip install 'chainrule[text]'``.
    """
    try:
        import sacrebleu
    except ImportError:
        raise ImportError("BLEU needs sacrebleu: pip install 'chainrule[text]' (or pip install "
                          "sacrebleu)") from None  # fmt: skip
    hyps = list(hypotheses)
    if references and isinstance(references[0], str):
        streams = [list(references)]
    else:
        streams = [list(r) for r in references]
    for r in streams:
        if len(r) != len(hyps):
            raise ValueError(f"corpus_bleu: {len(hyps)} hypotheses but a reference stream of "
                             f"{len(r)}")  # fmt: skip
    return sacrebleu.corpus_bleu(hyps, streams)


def bleu_signature(hypotheses: Sequence[str], references: Sequence[str]) -> str:
    """sacrebleu's signature string of :func:`corpus_bleu` (for reports)."""
    import sacrebleu

    metric = sacrebleu.BLEU()
    metric.corpus_score(list(hypotheses), [list(references)])
    return str(metric.get_signature())


def bleu_by_source(translator, sources: Sequence[str], targets: Sequence[str], **decode) -> dict:
    """Translate each distinct source once and score every (source, target) pair with corpus
    BLEU, one reference per pair (``"bleu"``), plus multi-reference BLEU over the distinct sources
    with all their targets as references (``"bleu_multi"``). Returns also the hypotheses."""
    distinct = list(dict.fromkeys(sources))
    hyps = translator.translate(distinct, **decode)
    by_source = dict(zip(distinct, hyps))
    refs: dict[str, list[str]] = {}
    for s, t in zip(sources, targets):
        refs.setdefault(s, []).append(t)
    pair_bleu = corpus_bleu([by_source[s] for s in sources], list(targets))
    width = max(len(r) for r in refs.values())
    streams = [[refs[s][k] if k < len(refs[s]) else None for s in distinct] for k in range(width)]
    multi = corpus_bleu(hyps, streams).score
    return {"bleu": pair_bleu.score, "bleu_multi": multi,
            "signature": bleu_signature([by_source[s] for s in sources], targets),
            "hypotheses": by_source, "sources": len(distinct), "pairs": len(sources)}  # fmt: skip
