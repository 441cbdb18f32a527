"""Judge-classifier measures of generated images: the Fréchet distance (checked against SciPy's
matrix square root and closed forms), confidence, class histogram, label agreement."""

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers as L
from chainrule.generative.metrics import (
    frechet_distance,
    frechet_distance_from_stats,
    gaussian_stats,
    judge_outputs,
    real_floor,
    sample_quality,
    trace_sqrt_product,
)


def _scipy_fd(a, b):
    linalg = pytest.importorskip("scipy.linalg")
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = linalg.sqrtm(s1 @ s2)
    root = root.real if np.iscomplexobj(root) else root
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * root))


@pytest.mark.parametrize(("n1", "n2", "f"), [(200, 150, 6), (300, 300, 20), (12, 15, 30)])
def test_frechet_distance_matches_scipy_sqrtm(n1, n2, f):
    rng = np.random.default_rng(f)
    mix = rng.normal(size=(f, f))
    a = rng.normal(size=(n1, f)) @ mix
    b = rng.normal(size=(n2, f)) @ (mix + 0.3 * rng.normal(size=(f, f))) + 0.5
    ours = frechet_distance(a, b)
    assert ours == pytest.approx(_scipy_fd(a, b), rel=1e-6, abs=1e-6)
    assert ours == pytest.approx(frechet_distance(b, a), rel=1e-7)


def test_frechet_distance_closed_forms():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2; diagonal covariances: the sum over axes
    assert frechet_distance_from_stats([1.0], [[4.0]], [-2.0], [[9.0]]) == pytest.approx(9 + 1)
    fd = frechet_distance_from_stats(np.zeros(3), np.diag([1.0, 4.0, 9.0]), np.ones(3),
                                     np.diag([4.0, 4.0, 1.0]))  # fmt: skip
    assert fd == pytest.approx(3 + (1 - 2) ** 2 + 0 + (3 - 1) ** 2)
    x = np.random.default_rng(0).normal(size=(50, 4))
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    # trace of the square root of a product of commuting PSD matrices
    assert trace_sqrt_product(np.diag([4.0, 1.0]), np.diag([9.0, 16.0])) == pytest.approx(6 + 4)


def test_frechet_distance_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\(N1, F\) and \(N2, F\), got \(5, 3\) and \(5, 4\)"):
        frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="N >= 2"):
        gaussian_stats(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        gaussian_stats(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="do not match"):
        frechet_distance_from_stats(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))


def _judge(softmax: bool):
    """A fixed 'classifier' on 2x2 images: class = the brightest pixel (features: the 4 pixels)."""
    model = keras.Sequential([L.Reshape((4,)), L.Dense(4, activation="softmax" if softmax
                                                       else None)])  # fmt: skip
    model(np.zeros((1, 2, 2), np.float32))
    model.layers[1].kernel.data[...] = 40 * np.eye(4, dtype=np.float32)
    model.layers[1].bias.data[...] = 0
    return model


@pytest.mark.parametrize("softmax", [True, False])
def test_sample_quality_counts_confidence_classes_and_agreement(softmax):
    judge = _judge(softmax)
    images = np.zeros((8, 2, 2, 1), np.float32)
    flat = images.reshape(8, 4)
    flat[np.arange(8), [0, 0, 0, 1, 1, 2, 2, 2]] = 1.0  # classes 0 0 0 1 1 2 2 2
    flat[7] = [0.0, 0.0, 0.5, 0.49]  # class 2, but not confident
    probs, feats = judge_outputs(judge, images)
    assert probs.shape == (8, 4) and feats.shape == (8, 4) and feats.dtype == np.float32
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    q = sample_quality(judge, images, labels=np.array([0, 0, 1, 1, 1, 2, 2, 3]))
    assert q["confident_share"] == pytest.approx(7 / 8)
    assert q["class_shares"] == pytest.approx([3 / 8, 2 / 8, 3 / 8, 0.0])
    assert q["classes_present"] == 3 and q["max_class_share"] == pytest.approx(3 / 8)
    assert q["min_class_share"] == 0.0
    assert q["label_agreement"] == pytest.approx(6 / 8)
    assert "fd" not in q
    stats = gaussian_stats(feats)
    assert sample_quality(judge, images, real_stats=stats)["fd"] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="labels"):
        sample_quality(judge, images, labels=np.zeros(3))
    with pytest.raises(ValueError, match="confidence"):
        sample_quality(judge, images, confidence=1.0)


def test_real_floor_compares_even_and_odd_halves():
    judge = _judge(True)
    rng = np.random.default_rng(1)
    x = rng.random((40, 2, 2)).astype(np.float32)
    _, feats = judge_outputs(judge, x)
    assert real_floor(judge, x) == pytest.approx(frechet_distance(feats[0::2], feats[1::2]))


def test_judge_must_be_sequential():
    with pytest.raises(TypeError, match="Sequential"):
        judge_outputs(L.Dense(3), np.zeros((2, 4), np.float32))
