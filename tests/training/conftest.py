import numpy as np
import pytest


@pytest.fixture
def blobs():
    """300 samples, 4 features, 3 well-separated classes (float32, int64)."""
    rng = np.random.default_rng(7)
    centers = np.array([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0]], dtype=np.float32)
    y = rng.integers(0, 3, 300)
    x = (centers[y] + 0.5 * rng.standard_normal((300, 4))).astype(np.float32)
    return x, y.astype(np.int64)
