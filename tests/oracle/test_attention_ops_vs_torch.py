"""scaled_dot_product_attention and embedding against PyTorch, forward and backward."""

import numpy as np
import pytest
import torch.nn.functional as F
from oracle_harness import check

import chainrule as cr
from chainrule.ops import embedding, scaled_dot_product_attention

sdpa = scaled_dot_product_attention
rng = np.random.default_rng(0)
bool_mask = rng.random((5, 7)) > 0.4
bool_mask[:, 0] = True
float_mask = rng.standard_normal((3, 5, 7))

ATTENTION_CASES = {
    "plain": (lambda q, k, v: sdpa(q, k, v), lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
              [(2, 5, 4), (2, 7, 4), (2, 7, 6)]),
    "heads_as_batch_axes": (lambda q, k, v: sdpa(q, k, v),
                            lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
                            [(2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)]),
    "causal_square": (lambda q, k, v: sdpa(q, k, v, is_causal=True),
                      lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                      [(2, 3, 6, 4), (2, 3, 6, 4), (2, 3, 6, 4)]),
    "causal_more_keys": (lambda q, k, v: sdpa(q, k, v, is_causal=True),
                         lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                         [(2, 4, 4), (2, 7, 4), (2, 7, 3)]),
    "bool_mask": (lambda q, k, v, m: sdpa(q, k, v, attn_mask=m),
                  lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m),
                  [(2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6), bool_mask]),
    "float_mask_and_scale": (
        lambda q, k, v, m: sdpa(q, k, v, attn_mask=m, scale=0.3),
        lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, attn_mask=m, scale=0.3),
        [(2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6), (3, 5, 7)]),
    "broadcast_kv": (lambda q, k, v: sdpa(q, k, v),
                     lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
                     [(2, 3, 5, 4), (1, 1, 7, 4), (2, 1, 7, 6)]),
}  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", list(ATTENTION_CASES))
def test_attention(case, dtype):
    cr_fn, torch_fn, inputs = ATTENTION_CASES[case]
    check(cr_fn, torch_fn, *inputs, dtype=dtype)


def test_float_mask_with_minus_inf_and_fully_masked_rows_match_torch():
    """Rows with every key masked give zeros and zero gradients, as PyTorch; no NaN anywhere."""
    m = float_mask.copy()
    m[1, 2] = -np.inf  # one whole row blocked
    m[0, 0, :3] = -np.inf
    bm = bool_mask.copy()
    bm[4] = False
    for mask in (m, bm):
        out = check(lambda q, k, v, mk: sdpa(q, k, v, attn_mask=mk),
                    lambda q, k, v, mk: F.scaled_dot_product_attention(q, k, v, attn_mask=mk),
                    (2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6), mask)  # fmt: skip
        assert np.isfinite(out[0].data).all()


def test_dropout_uses_the_library_generator():
    q, k, v = (cr.Tensor(rng.standard_normal(s), requires_grad=True) for s in
               [(2, 5, 4), (2, 6, 4), (2, 6, 3)])  # fmt: skip
    cr.manual_seed(7)
    out = sdpa(q, k, v, dropout_p=0.4)
    cr.manual_seed(7)
    keep = cr.random.get_generator().random((2, 5, 6), dtype=np.float32) >= 0.4
    s = q.data @ k.data.transpose(0, 2, 1) / 2.0
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(out.data, (p * keep / 0.6) @ v.data, rtol=1e-12)
    cr.manual_seed(7)
    again = sdpa(q, k, v, dropout_p=0.4)
    np.testing.assert_array_equal(out.data, again.data)

    def fixed(q, k, v):
        cr.manual_seed(3)  # the same dropout mask on every finite-difference evaluation
        return sdpa(q, k, v, dropout_p=0.3)

    assert cr.gradcheck(fixed, [q.data, k.data, v.data])


def test_attention_errors():
    q, k, v = (cr.randn(2, 5, 4), cr.randn(2, 7, 4), cr.randn(2, 7, 6))
    with pytest.raises(
        ValueError, match=r"scaled_dot_product_attention: .*\(2, 5, 4\).*\(2, 7, 3\)"
    ):
        sdpa(q, cr.randn(2, 7, 3), v)
    with pytest.raises(ValueError, match="differ in length"):
        sdpa(q, k, cr.randn(2, 6, 6))
    with pytest.raises(ValueError, match="attn_mask of shape"):
        sdpa(q, k, v, attn_mask=np.ones((5, 6), bool))
    with pytest.raises(ValueError, match="not both"):
        sdpa(q, k, v, attn_mask=np.ones((5, 7), bool), is_causal=True)
    with pytest.raises(TypeError, match="dtype float64"):
        sdpa(q, cr.Tensor(k.data.astype(np.float64)), v)
    with pytest.raises(ValueError, match="dropout_p"):
        sdpa(q, k, v, dropout_p=1.0)
    assert sdpa(q, k, v).dtype == np.float32


# ------------------------------------------------------------------------ embedding
IDX = np.array([[3, 0, 3, 9], [1, 3, 0, 0], [9, 9, 2, 3]])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
def test_embedding(padding_idx, dtype):
    check(lambda w, i: embedding(i, w, padding_idx=padding_idx),
          lambda w, i: F.embedding(i, w, padding_idx=padding_idx),
          (10, 6), IDX, dtype=dtype)  # fmt: skip


@pytest.mark.parametrize("idx", [np.arange(12)[::-1].reshape(3, 4), np.full((2, 5), 7),
                                 np.random.default_rng(1).integers(0, 3000, (8, 50))])  # fmt: skip
def test_embedding_index_patterns(idx):
    """Distinct rows, one row repeated, and a large table with many repeats."""
    check(lambda w, i: embedding(i, w), lambda w, i: F.embedding(i, w), (3000, 4), idx)


def test_embedding_accumulates_repeated_rows():
    w = cr.Tensor(np.zeros((4, 2)), requires_grad=True)
    embedding(np.array([1, 1, 1, 3]), w).sum().backward()
    np.testing.assert_array_equal(w.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])


def test_embedding_errors():
    w = cr.randn(5, 3)
    with pytest.raises(ValueError, match=r"embedding: index 5 is out of range .* 5 rows"):
        embedding(np.array([0, 5]), w)
    with pytest.raises(ValueError, match="index -1"):
        embedding(np.array([-1]), w)
    with pytest.raises(TypeError, match="integers"):
        embedding(np.array([0.0]), w)
    with pytest.raises(ValueError, match="padding_idx 5"):
        embedding(np.array([0]), w, padding_idx=5)
    with pytest.raises(ValueError, match="2-D"):
        embedding(np.array([0]), cr.randn(5))
    assert embedding(np.array([0]), w).dtype == np.float32
