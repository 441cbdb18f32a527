"""sample_logits: greedy, temperature, top-k, top-p, reproducibility, errors."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.sampling import sample_logits


def _freq(logits, n=20000, **kw):
    cr.manual_seed(0)
    ids = sample_logits(np.tile(logits, (n, 1)), **kw)
    return np.bincount(ids, minlength=len(logits)) / n


def test_distribution_temperature_topk_topp():
    logits = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    np.testing.assert_allclose(_freq(logits), [0.5, 0.3, 0.15, 0.05], atol=0.015)
    hot = _freq(logits, temperature=0.5)  # p ∝ p_i² → sharper
    want = np.array([0.25, 0.09, 0.0225, 0.0025])
    np.testing.assert_allclose(hot, want / want.sum(), atol=0.015)
    k2 = _freq(logits, top_k=2)
    np.testing.assert_allclose(k2, [0.625, 0.375, 0, 0], atol=0.015)
    p = _freq(logits, top_p=0.75)  # 0.5 < 0.75, 0.8 ≥ 0.75: keep the first two
    np.testing.assert_allclose(p, [0.625, 0.375, 0, 0], atol=0.015)
    assert _freq(logits, top_p=0.1)[0] == 1.0  # the top token is always kept
    assert (sample_logits(np.array([[1.0, 3.0, 2.0]]), temperature=0) == [1]).all()


def test_reproducible_and_shapes_and_errors():
    logits = np.random.default_rng(0).standard_normal((3, 5, 7))
    cr.manual_seed(4)
    a = sample_logits(logits, top_k=3)
    cr.manual_seed(4)
    assert np.array_equal(a, sample_logits(logits, top_k=3)) and a.shape == (3, 5)
    assert a.dtype == np.int64 and a.max() < 7
    with pytest.raises(ValueError, match="top_p must be in"):
        sample_logits(logits, top_p=0)
    with pytest.raises(ValueError, match="top_k must be a positive int"):
        sample_logits(logits, top_k=0)
    with pytest.raises(ValueError, match="temperature must be a finite number >= 0"):
        sample_logits(logits, temperature=-1)


def _reference_probs(logits, temperature, top_k, top_p):
    """The filtered distribution computed the way common PyTorch sampling code does it: top-k
    by torch.topk's k-th value, then top-p by removing sorted tokens whose cumulative probability
    *before* them has reached p (the smallest set whose mass is >= p)."""
    import torch

    z = torch.tensor(logits, dtype=torch.float64) / temperature
    if top_k is not None:
        kth = torch.topk(z, min(top_k, z.shape[-1]), dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    if top_p is not None:
        sorted_z, idx = torch.sort(z, descending=True, dim=-1, stable=True)
        sorted_p = torch.softmax(sorted_z, dim=-1)
        remove = (torch.cumsum(sorted_p, dim=-1) - sorted_p) >= top_p
        z = z.masked_fill(remove.scatter(-1, idx, remove), float("-inf"))
    return torch.softmax(z, dim=-1).numpy()


@pytest.mark.parametrize("top_k", [None, 1, 3, 10])
@pytest.mark.parametrize("top_p", [None, 0.3, 0.9, 0.999])
@pytest.mark.parametrize("temperature", [0.5, 1.0, 1.7])
def test_filtered_distribution_matches_a_torch_reference(temperature, top_k, top_p):
    from chainrule.data.sampling import next_token_probs

    logits = np.random.default_rng(1).standard_normal((64, 10)) * 2
    got = next_token_probs(logits, temperature, top_k, top_p)
    want = _reference_probs(logits, temperature, top_k, top_p)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    kept = (got > 0).sum(axis=-1)
    if top_k is not None:
        assert kept.max() <= top_k
    if (
        top_p is not None
    ):  # the kept mass reaches p, and dropping the least likely kept one breaks it
        p_full = next_token_probs(logits, temperature, top_k)
        mass = np.where(got > 0, p_full, 0).sum(axis=-1)
        smallest = np.where(got > 0, p_full, np.inf).min(axis=-1)
        assert (mass >= top_p - 1e-12).all() and ((mass - smallest < top_p) | (kept == 1)).all()


def test_non_finite_logits_are_refused():
    from chainrule.data.sampling import next_token_probs

    with pytest.raises(ValueError, match="NaN or \\+inf"):
        sample_logits(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="-inf everywhere"):
        sample_logits(np.array([[0.0, 1.0], [-np.inf, -np.inf]]))
    masked = next_token_probs(np.array([0.0, -np.inf, 0.0]))  # -inf is a masked token
    np.testing.assert_allclose(masked, [0.5, 0.0, 0.5])
    assert np.array_equal(next_token_probs(np.array([1.0, 3.0, 2.0]), 0), [0.0, 1.0, 0.0])
