"""Every loader against the real files: shapes, dtypes, label ranges and per-class counts."""

import functools

import numpy as np
import pytest

from chainrule import datasets

# Decoded once per module (MNIST and Fashion-MNIST are the slow ones), shared by the tests below.
_load_mnist = functools.lru_cache(maxsize=1)(datasets.load_mnist)
_load_fashion = functools.lru_cache(maxsize=1)(datasets.load_fashion_mnist)


@pytest.fixture
def mnist(data_dir):
    return _load_mnist(data_dir)


@pytest.fixture
def fashion(data_dir):
    return _load_fashion(data_dir)


def _check_idx_set(splits, per_class_train=None):
    (x_train, y_train), (x_test, y_test) = splits
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert y_train.shape == (60_000,) and y_test.shape == (10_000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8
        assert a.flags.writeable
    assert y_train.min() == 0 and y_train.max() == 9
    assert x_train.max() == 255 and x_train.min() == 0
    if per_class_train is not None:
        assert np.bincount(y_train, minlength=10).tolist() == [per_class_train] * 10


def test_mnist_shapes_and_counts(mnist):
    _check_idx_set(mnist)
    (_, y_train), (_, y_test) = mnist
    # The published class counts of MNIST's training and test sets.
    assert np.bincount(y_train).tolist() == [
        5923,
        6742,
        5958,
        6131,
        5842,
        5421,
        5918,
        6265,
        5851,
        5949,
    ]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]


def test_mnist_pixels_are_plausible(mnist):
    (x_train, _), _ = mnist
    # Digits are drawn on a black border: the outermost rows and columns are almost all zero.
    assert x_train[:, 0, :].mean() < 1 and x_train[:, :, 0].mean() < 1
    assert 30 < x_train.mean() < 36


def test_fashion_mnist_per_class_counts(fashion):
    _check_idx_set(fashion, per_class_train=6_000)
    _, (_, y_test) = fashion
    assert np.bincount(y_test).tolist() == [1_000] * 10
    assert len(datasets.FASHION_MNIST_CLASSES) == 10
    assert datasets.FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_tiny_shakespeare(data_dir):
    text = datasets.load_tiny_shakespeare(data_dir=data_dir)
    assert isinstance(text, str) and len(text) == 1_115_394
    assert text.startswith("First Citizen:")
    assert text.count("\n") == 40_000


def test_sst2_row_and_class_counts(data_dir):
    (x_tr, y_tr), (x_val, y_val), (x_te, y_te) = datasets.load_sst2(data_dir=data_dir)
    assert [len(x_tr), len(x_val), len(x_te)] == [60_614, 6_735, 872]
    assert np.bincount(y_tr).tolist() == [26_786, 33_828]
    assert np.bincount(y_val).tolist() == [2_994, 3_741]
    assert np.bincount(y_te).tolist() == [428, 444]
    for x, y in ((x_tr, y_tr), (x_val, y_val), (x_te, y_te)):
        assert x.dtype == object and y.dtype == np.int64 and x.shape == y.shape
        assert all(isinstance(s, str) and s and s == s.strip() for s in x[:100])


def test_rt_polarity_counts_and_encoding(data_dir):
    x, y = datasets.load_rt_polarity(test_size=None, data_dir=data_dir)
    assert len(x) == 10_662 and np.bincount(y).tolist() == [5_331, 5_331]
    # cp1252 punctuation decodes to real characters, not mojibake or replacement characters.
    joined = "\n".join(x)
    assert "\ufffd" not in joined and "\x92" not in joined and "\x85" not in joined
    (x_tr, y_tr), (x_te, y_te) = datasets.load_rt_polarity(test_size=0.1, data_dir=data_dir)
    assert len(x_tr) + len(x_te) == 10_662
    assert np.bincount(y_te).tolist() == [533, 533]
    assert np.bincount(y_tr).tolist() == [4_798, 4_798]
    assert sorted(np.concatenate([x_tr, x_te]).tolist()) == sorted(x.tolist())


def test_rt_polarity_split_is_seeded(data_dir):
    a = datasets.load_rt_polarity(seed=3, data_dir=data_dir)
    b = datasets.load_rt_polarity(seed=3, data_dir=data_dir)
    c = datasets.load_rt_polarity(seed=4, data_dir=data_dir)
    assert a[1][0].tolist() == b[1][0].tolist()
    assert a[1][0].tolist() != c[1][0].tolist()


def test_eng_fra_pairs(data_dir):
    english, french = datasets.load_eng_fra(data_dir=data_dir)
    assert english.shape == french.shape == (142_787,)
    assert english[0] == "Go." and french[0] == "Va !"
    assert all("\t" not in s for s in english[:1000])


def test_iris_stratified_split():
    (x_tr, y_tr), (x_te, y_te) = datasets.load_iris(test_size=0.2, seed=0)
    assert x_tr.shape == (120, 4) and x_te.shape == (30, 4)
    assert x_tr.dtype == np.float32 and y_tr.dtype == np.int64
    assert np.bincount(y_te).tolist() == [10, 10, 10]
    assert np.bincount(y_tr).tolist() == [40, 40, 40]
    again = datasets.load_iris(test_size=0.2, seed=0)
    np.testing.assert_array_equal(again[1][0], x_te)


def test_digits_split():
    (x_tr, y_tr), (x_te, y_te) = datasets.load_digits(test_size=0.25, seed=1)
    assert x_tr.shape[1:] == (8, 8) and x_tr.dtype == np.uint8
    assert len(x_tr) + len(x_te) == 1_797
    assert x_tr.max() == 16 and set(np.unique(y_te)) == set(range(10))
    full = np.bincount(np.concatenate([y_tr, y_te]))
    # Stratified: every class's test share is within one sample of 25 %.
    assert np.all(np.abs(np.bincount(y_te) - full * 0.25) <= 1)


def test_small_sets_need_sklearn(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match=r"chainrule\[datasets\]"):
        datasets.load_iris()
