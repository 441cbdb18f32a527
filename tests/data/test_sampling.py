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
