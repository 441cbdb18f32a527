"""Greedy and beam-search decoding against exhaustive search on a tiny vocabulary."""

import itertools

import numpy as np
import pytest

from chainrule.translation import beam_search, greedy_decode

BOS, EOS = 0, 1


def toy_model(vocab: int, seed: int):
    """A fixed random next-token distribution for every (sentence, prefix)."""
    cache: dict = {}

    def log_probs(sentence: int, prefix: tuple) -> np.ndarray:
        key = (sentence, prefix)
        if key not in cache:
            rng = np.random.default_rng([seed, sentence, *prefix])
            z = rng.normal(size=vocab) * 2.0
            z[BOS] = -np.inf  # never generated
            z -= z.max()
            cache[key] = z - np.log(np.exp(z).sum())
        return cache[key]

    def step(prefix: np.ndarray, rows: np.ndarray) -> np.ndarray:
        assert prefix.dtype == np.int64 and (prefix[:, 0] == BOS).all()
        return np.stack([log_probs(int(r), tuple(p.tolist())) for p, r in zip(prefix, rows)])

    return log_probs, step


def brute_force(log_probs, sentence: int, vocab: int, max_len: int, alpha: float):
    """The best normalised score over every sequence that ends in EOS or reaches max_len."""
    words = [t for t in range(vocab) if t not in (BOS, EOS)]
    best, best_seq = -np.inf, None
    for n in range(max_len + 1):
        for body in itertools.product(words, repeat=n):
            score, prefix = 0.0, (BOS,)
            for tok in body:
                score += log_probs(sentence, prefix)[tok]
                prefix += (tok,)
            if n < max_len:  # ends in EOS
                total, length = score + log_probs(sentence, prefix)[EOS], n + 1
            else:  # cut at max_len
                total, length = score, n
            norm = total / length**alpha if alpha else total
            if norm > best:
                best, best_seq = norm, list(body)
    return best_seq


@pytest.mark.parametrize("alpha", [0.0, 1.0, 0.6])
def test_wide_beam_is_exhaustive_search(alpha):
    vocab, max_len, batch = 4, 3, 5  # 2 real words: at most 2**3 live hypotheses
    log_probs, step = toy_model(vocab, seed=1)
    got = beam_search(step, batch, BOS, EOS, max_len, beam_size=16, length_penalty=alpha)
    for s in range(batch):
        assert got[s] == brute_force(log_probs, s, vocab, max_len, alpha), s


def test_beam_of_one_is_greedy():
    log_probs, step = toy_model(6, seed=2)
    greedy = greedy_decode(step, 8, BOS, EOS, max_len=7)
    assert beam_search(step, 8, BOS, EOS, 7, beam_size=1) == greedy
    for s, seq in enumerate(greedy):  # greedy = argmax at every step
        prefix = (BOS,)
        for tok in seq:
            assert tok == int(np.argmax(log_probs(s, prefix)))
            prefix += (tok,)
        if len(seq) < 7:
            assert int(np.argmax(log_probs(s, prefix))) == EOS


def test_bad_arguments():
    _, step = toy_model(4, seed=0)
    with pytest.raises(ValueError, match="beam_size"):
        beam_search(step, 2, BOS, EOS, 3, beam_size=0)
    with pytest.raises(ValueError, match="max_len"):
        greedy_decode(step, 2, BOS, EOS, 0)
    with pytest.raises(ValueError, match="length_penalty"):
        beam_search(step, 2, BOS, EOS, 3, length_penalty=-1.0)
    with pytest.raises(ValueError, match=r"log-probabilities \(N, V\)"):
        greedy_decode(lambda p, r: np.zeros(3), 2, BOS, EOS, 3)
