"""ops/_blas.py: GEMM with β through NumPy's own BLAS, checked against np.matmul; anything not of
the supported form is refused (returns False, the output untouched)."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.ops import _blas

pytestmark = pytest.mark.skipif(not _blas.available(), reason="NumPy's BLAS is not scipy-openblas")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 1), (32, 784, 512), (7, 3, 5), (130, 17, 1)])
def test_matches_numpy(dtype, shape):
    k, m, n = shape
    rng = np.random.default_rng(k * m + n)
    a = rng.standard_normal((k, m)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    c = rng.standard_normal((m, n)).astype(dtype)
    want = -0.3 * (a.T.astype(np.float64) @ b) + 0.9 * c
    assert _blas.gemm_at_b(a, b, c, -0.3, 0.9)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c, want, rtol=tol, atol=tol * np.sqrt(k))


def test_refuses_what_it_cannot_take():
    a = np.ones((4, 3), np.float32)
    b = np.ones((4, 2), np.float32)
    c = np.zeros((3, 2), np.float32)
    bad = [
        (a.astype(np.float64), b, c),  # mixed dtypes
        (np.ones((4, 6), np.float32)[:, ::2], b, c),  # not contiguous
        (a, b, np.zeros((2, 3), np.float32)),  # wrong output shape
        (a, np.ones((5, 2), np.float32), c),  # inner sizes differ
        (a.astype(np.int32), b.astype(np.int32), c.astype(np.int32)),  # not a float dtype
        (np.ones((0, 3), np.float32), np.ones((0, 2), np.float32), c),  # empty
    ]
    for args in bad:
        before = args[2].copy()
        assert not _blas.gemm_at_b(*args, 1.0, 0.0)
        np.testing.assert_array_equal(args[2], before)
    square = np.ones((4, 4), np.float32)
    assert not _blas.gemm_at_b(square, square, square, 1.0, 0.0)  # output overlaps an input
    ro = c.copy()
    ro.flags.writeable = False
    assert not _blas.gemm_at_b(a, b, ro, 1.0, 0.0)


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("CHAINRULE_BLAS", "0")
    monkeypatch.setattr(_blas, "_state", {})
    assert not _blas.available()
    c = np.zeros((3, 2), np.float32)
    assert not _blas.gemm_at_b(np.ones((4, 3), np.float32), np.ones((4, 2), np.float32), c, 1, 0)
