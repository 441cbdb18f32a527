"""Scaling, standardisation, one-hot encoding and train/validation splits."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import StandardScaler

import chainrule
from chainrule.data import Standardizer, one_hot, scale_to_unit, split_indices, train_val_split


def test_scale_to_unit_uint8():
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    out = scale_to_unit(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out, [[0.0, 0.2, 1.0]], rtol=1e-6)
    assert scale_to_unit(x, dtype=np.float64).dtype == np.float64
    digits = np.array([0, 8, 16], dtype=np.int64)
    np.testing.assert_allclose(scale_to_unit(digits, max_value=16), [0, 0.5, 1])
    with pytest.raises(ValueError, match="max_value is required for dtype float32"):
        scale_to_unit(out)


def test_standardizer_matches_sklearn_and_fits_on_train_only():
    rng = np.random.default_rng(0)
    train = (rng.normal(3.0, 2.0, size=(200, 5))).astype(np.float32)
    test = (rng.normal(3.0, 2.0, size=(50, 5))).astype(np.float32)
    scaler = Standardizer().fit(train)
    ref = StandardScaler().fit(train.astype(np.float64))
    z_test = scaler.transform(test)
    assert z_test.dtype == np.float32  # no float64 leaks into a float32 pipeline
    np.testing.assert_allclose(z_test, ref.transform(test.astype(np.float64)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scaler.transform(train).mean(0), 0, atol=1e-5)
    assert np.abs(z_test.mean(0)).max() > 1e-3  # test is not re-centred on itself
    np.testing.assert_allclose(scaler.inverse_transform(z_test), test, rtol=1e-5, atol=1e-5)
    assert Standardizer().fit_transform(train.astype(np.float64)).dtype == np.float64


def test_standardizer_per_channel_and_constant_features():
    x = np.random.default_rng(1).integers(0, 256, size=(8, 4, 4, 3)).astype(np.uint8)
    s = Standardizer(axis=(0, 1, 2)).fit(x)
    assert s.mean.shape == (1, 1, 1, 3)
    z = s.transform(x)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.reshape(-1, 3).std(0), 1, rtol=1e-4)
    const = np.ones((5, 2), dtype=np.float32)
    np.testing.assert_array_equal(Standardizer().fit_transform(const), 0)
    with pytest.raises(ValueError, match=r"fitted on feature shape \(1, 1, 1, 3\).*\(2, 5\)"):
        s.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="call fit"):
        Standardizer().transform(x)


def test_one_hot_matches_torch():
    labels = np.array([[3, 0], [1, 2]], dtype=np.int64)
    out = one_hot(labels, 5)
    assert out.shape == (2, 2, 5) and out.dtype == np.float32
    expected = torch.nn.functional.one_hot(torch.from_numpy(labels), 5).numpy()
    np.testing.assert_array_equal(out, expected)
    assert one_hot(np.array([0, 2], dtype=np.uint8)).shape == (2, 3)
    with pytest.raises(ValueError, match=r"\[0, 3\).*\[0, 3\]"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(TypeError, match="integers"):
        one_hot(np.array([0.0, 1.0]))


def test_train_val_split_partitions_and_is_seeded():
    x = np.arange(100).reshape(50, 2)
    y = np.arange(50)
    (_x_tr, y_tr), (x_val, y_val) = train_val_split(x, y, val_fraction=0.2, seed=0)
    assert len(y_val) == 10 and len(y_tr) == 40
    assert sorted(np.concatenate([y_tr, y_val]).tolist()) == list(range(50))
    np.testing.assert_array_equal(x_val[:, 0], y_val * 2)  # arrays stay aligned
    again = train_val_split(x, y, val_fraction=0.2, seed=0)
    np.testing.assert_array_equal(again[1][1], y_val)
    chainrule.manual_seed(5)
    a = split_indices(50, 0.2)
    chainrule.manual_seed(5)
    np.testing.assert_array_equal(split_indices(50, 0.2)[1], a[1])
    _, (tail,) = train_val_split(y, val_fraction=0.2, shuffle=False)
    assert tail.tolist() == list(range(40, 50))


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    (_, y_tr), (_, y_val) = train_val_split(y, y, val_fraction=0.2, stratify=y, seed=2)
    assert np.bincount(y_val).tolist() == [12, 6, 2]
    assert np.bincount(y_tr).tolist() == [48, 24, 8]
    odd = np.repeat([0, 1, 2], [7, 7, 7])  # 21 * 0.3 = 6.3 → 6 samples, spread over classes
    _, (v,) = train_val_split(odd, val_fraction=0.3, stratify=odd, seed=0)
    assert len(v) == 6 and np.bincount(v, minlength=3).tolist() == [2, 2, 2]


def test_split_errors():
    with pytest.raises(ValueError, match="same first dimension"):
        train_val_split(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match=r"val_fraction must be in \(0, 1\)"):
        train_val_split(np.zeros(5), val_fraction=1.0)
    with pytest.raises(ValueError, match="leaves an empty split"):
        train_val_split(np.zeros(3), val_fraction=0.1)
    with pytest.raises(ValueError, match=r"stratify must have shape \(5,\)"):
        train_val_split(np.zeros(5), stratify=np.zeros(4))


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 30), min_size=1, max_size=6),
    fraction=st.floats(0.05, 0.95),
    seed=st.integers(0, 10),
)
def test_stratified_split_properties(counts, fraction, seed):
    labels = np.repeat(np.arange(len(counts)), counts)
    n = len(labels)
    n_val = round(fraction * n)
    if not 0 < n_val < n:
        with pytest.raises(ValueError, match="empty split"):
            split_indices(n, fraction, stratify=labels, seed=seed)
        return
    train, val = split_indices(n, fraction, stratify=labels, seed=seed)
    assert len(val) == n_val and len(np.intersect1d(train, val)) == 0
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(n))
    per_class = np.bincount(labels[val], minlength=len(counts))
    assert np.all(np.abs(per_class - fraction * np.array(counts)) < 1 + 1e-9)
