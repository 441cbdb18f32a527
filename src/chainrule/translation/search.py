"""Greedy and beam-search decoding, batched over sentences, for any next-token model.

Both take ``step(prefix, rows) -> log_probs``: ``prefix`` int64 (N, t) token ids starting with
``bos``, ``rows`` int64 (N,) saying which of the B sentences each prefix belongs to, and the result
float (N, V) holds log p(next token). Both return one token list per sentence: the generated tokens
without ``bos`` and without the final ``eos``.

Beam search keeps ``beam_size`` live hypotheses per sentence. At each step the 2·K best extensions
(by total log-probability) are ranked; an extension ending in ``eos`` within the first K is a
finished hypothesis, scored with length normalisation ``log p / len ** length_penalty`` (``len``
counts the generated tokens including ``eos``; ``length_penalty=0`` compares raw log-probabilities),
and the first K extensions that do not end in ``eos`` live on. A sentence is done once K hypotheses
have finished; at ``max_len`` generated tokens the live ones are finished as they stand. The result
is the finished hypothesis of best normalised score. With ``beam_size=1`` it is greedy decoding.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Step = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _check(batch_size: int, max_len: int, beam_size: int = 1) -> None:
    for what, v, low in (("batch_size", batch_size, 0), ("max_len", max_len, 1),
                         ("beam_size", beam_size, 1)):  # fmt: skip
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"decoding: {what} must be an int >= {low}, got {v!r}")


def _log_probs(step: Step, prefix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    out = np.asarray(step(prefix, rows))
    if out.ndim != 2 or out.shape[0] != prefix.shape[0]:
        raise ValueError(f"decoding: step must return log-probabilities (N, V) = "
                         f"({prefix.shape[0]}, V), got shape {out.shape}")  # fmt: skip
    return out


def greedy_decode(step: Step, batch_size: int, bos: int, eos: int, max_len: int) -> list[list[int]]:
    """The most probable next token at every step, until ``eos`` or ``max_len`` tokens."""
    _check(batch_size, max_len)
    prefix = np.full((batch_size, 1), bos, dtype=np.int64)
    rows = np.arange(batch_size, dtype=np.int64)
    out: list[list[int]] = [[] for _ in range(batch_size)]
    for _ in range(max_len):
        if rows.size == 0:
            break
        nxt = _log_probs(step, prefix, rows).argmax(axis=1).astype(np.int64)
        ended = nxt == eos
        for r, tok in zip(rows[~ended].tolist(), nxt[~ended].tolist()):
            out[r].append(tok)
        keep = ~ended
        prefix = np.concatenate([prefix[keep], nxt[keep, None]], axis=1)
        rows = rows[keep]
    return out


def beam_search(
    step: Step,
    batch_size: int,
    bos: int,
    eos: int,
    max_len: int,
    beam_size: int = 4,
    length_penalty: float = 1.0,
) -> list[list[int]]:
    """Beam search as described in the module docstring; one token list per sentence."""
    _check(batch_size, max_len, beam_size)
    if not np.isfinite(length_penalty) or length_penalty < 0:
        raise ValueError(f"beam_search: length_penalty must be >= 0, got {length_penalty!r}")
    B, K = batch_size, beam_size
    best_score = np.full(B, -np.inf)
    best: list[list[int]] = [[] for _ in range(B)]
    n_finished = np.zeros(B, dtype=np.int64)
    # live hypotheses of the sentences still running: (A, K) scores and (A, K, t) tokens
    active = np.arange(B, dtype=np.int64)
    scores = np.full((B, K), -np.inf)
    scores[:, 0] = 0.0  # one live hypothesis (bos) per sentence at the start
    tokens = np.full((B, K, 1), bos, dtype=np.int64)

    def finish(sent: int, score: float, seq: np.ndarray, length: int) -> None:
        norm = score / (length**length_penalty) if length_penalty else score
        n_finished[sent] += 1
        if norm > best_score[sent]:
            best_score[sent], best[sent] = norm, seq.tolist()

    for t in range(1, max_len + 1):
        A = active.size
        if A == 0:
            break
        live_mask = np.isfinite(scores).reshape(-1)  # only live hypotheses go to the model
        part = _log_probs(step, tokens.reshape(A * K, t)[live_mask],
                          np.repeat(active, K)[live_mask])  # fmt: skip
        V = part.shape[1]
        logp = np.full((A * K, V), -np.inf)
        logp[live_mask] = part
        cand = (scores[:, :, None] + logp.reshape(A, K, V)).reshape(A, K * V)
        n_cand = min(2 * K, K * V)
        top = np.argpartition(-cand, n_cand - 1, axis=1)[:, :n_cand]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(cand, top, 1), axis=1), 1)
        top_score = np.take_along_axis(cand, top, 1)
        beam, tok = top // V, top % V
        new_scores = np.full((A, K), -np.inf)
        new_tokens = np.full((A, K, t + 1), eos, dtype=np.int64)
        for a in range(A):
            sent, live = int(active[a]), 0
            for j in range(n_cand):
                s = top_score[a, j]
                if not np.isfinite(s) or live == K:
                    break
                seq = tokens[a, beam[a, j], 1:]
                if tok[a, j] == eos:
                    if j < K:
                        finish(sent, float(s), seq, t)
                    continue
                new_scores[a, live] = s
                new_tokens[a, live, :t] = tokens[a, beam[a, j]]
                new_tokens[a, live, t] = tok[a, j]
                live += 1
        if t == max_len:  # out of length: the live hypotheses finish as they stand
            for a in range(A):
                for k in range(K):
                    if np.isfinite(new_scores[a, k]):
                        finish(int(active[a]), float(new_scores[a, k]), new_tokens[a, k, 1:], t)
            break
        keep = (n_finished[active] < K) & np.isfinite(new_scores).any(axis=1)
        active, scores, tokens = active[keep], new_scores[keep], new_tokens[keep]
    return best
