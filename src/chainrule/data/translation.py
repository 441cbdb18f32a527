"""Sentence-pair tools for translation: filtering by length, a split that keeps each source
sentence on one side, and length-bucketed batches. (Tokenising is the model file's text
preprocessing: :func:`chainrule.io.text_preprocessing.tokenize`.)"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import random as _random


def filter_pairs(
    source: Sequence[str], target: Sequence[str], max_words: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs whose source and target both have at most ``max_words`` whitespace-separated
    words (the usual "sentences of at most N words" filter), in their original order."""
    if len(source) != len(target):
        raise ValueError(
            f"filter_pairs: source and target must be aligned, got {len(source)} and "
            f"{len(target)} sentences"
        )
    if isinstance(max_words, bool) or not isinstance(max_words, int) or max_words < 1:
        raise ValueError(f"filter_pairs: max_words must be a positive int, got {max_words!r}")
    keep = [
        i
        for i, (s, t) in enumerate(zip(source, target))
        if len(s.split()) <= max_words and len(t.split()) <= max_words
    ]
    return (np.asarray(source, dtype=object)[keep], np.asarray(target, dtype=object)[keep])


def split_pairs_by_source(
    source: Sequence[str],
    target: Sequence[str],
    test_fraction: float = 0.05,
    seed: int | None = 0,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Hold out ``test_fraction`` of the *distinct source sentences* with all their pairs.

    A source sentence with several translations goes to train or test whole, so no test input was
    seen in training. Which sentences go to test depends only on the set of distinct sources and
    ``seed`` (``None``: the library generator); both parts keep the original order. Returns
    ``(src_train, tgt_train), (src_test, tgt_test)``.
    """
    if len(source) != len(target):
        raise ValueError(
            f"split_pairs_by_source: source and target must be aligned, got {len(source)} and "
            f"{len(target)} sentences"
        )
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"split_pairs_by_source: test_fraction must be in (0, 1), got "
                         f"{test_fraction}")  # fmt: skip
    src = np.asarray(source, dtype=object)
    tgt = np.asarray(target, dtype=object)
    distinct = sorted(set(src.tolist()))
    n_test = round(len(distinct) * test_fraction)
    if not 0 < n_test < len(distinct):
        raise ValueError(f"split_pairs_by_source: {len(distinct)} distinct sources cannot be split "
                         f"with test_fraction={test_fraction}")  # fmt: skip
    rng = np.random.default_rng(seed) if seed is not None else _random.get_generator()
    test_set = {distinct[i] for i in rng.permutation(len(distinct))[:n_test]}
    is_test = np.fromiter((s in test_set for s in src.tolist()), dtype=bool, count=len(src))
    return (src[~is_test], tgt[~is_test]), (src[is_test], tgt[is_test])


def length_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None = None, pool: int = 50
) -> list[np.ndarray]:
    """Index batches of similar lengths, so each pads little: the indices are shuffled, cut into
    pools of ``pool`` batches, each pool sorted by length and cut into batches, and the batches
    shuffled. ``rng=None`` uses the library generator. Every index appears exactly once."""
    lengths = np.asarray(lengths)
    if lengths.ndim != 1:
        raise ValueError(f"length_batches: lengths must be 1-D, got shape {lengths.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"length_batches: batch_size must be a positive int, got {batch_size!r}")
    rng = _random.get_generator() if rng is None else rng
    order = rng.permutation(len(lengths))
    batches: list[np.ndarray] = []
    chunk = batch_size * pool
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]
