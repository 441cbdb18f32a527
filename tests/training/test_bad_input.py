"""Bad input raises a ValueError naming the problem, and nothing changes: weights, optimiser, RNG."""

import numpy as np
import pytest
from training_helpers import small_mlp, weights

import chainrule
from chainrule import random as cr_random


@pytest.fixture
def trained(blobs):
    x, y = blobs
    model = small_mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:64], y[:64], epochs=1, verbose=0)
    return model


def _unchanged(model, call, match):
    before = weights(model)
    steps = model.optimizer.iterations
    rng = cr_random.get_state()
    with pytest.raises(ValueError, match=match):
        call()
    after = weights(model)
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert model.optimizer.iterations == steps
    assert cr_random.get_state() == rng


def test_length_mismatch(trained, blobs):
    x, y = blobs
    _unchanged(trained, lambda: trained.fit(x[:50], y[:49], verbose=0), r"x has 50, y has 49")
    _unchanged(trained, lambda: trained.evaluate(x[:5], y[:4]), r"same number of samples")


def test_feature_count_mismatch(trained, blobs):
    x, y = blobs
    _unchanged(
        trained,
        lambda: trained.fit(x[:, :3], y, verbose=0),
        r"cannot take input of shape \(300, 3\)",
    )
    _unchanged(trained, lambda: trained.predict(np.ones((2, 5), np.float32)), "Dense")


def test_labels_out_of_range(trained, blobs):
    x, y = blobs
    bad = y.copy()
    bad[17] = 3
    _unchanged(trained, lambda: trained.fit(x, bad, verbose=0), r"label 3 is outside \[0, 3\)")
    bad[17] = -1
    _unchanged(trained, lambda: trained.fit(x, bad, verbose=0), r"label -1 is outside")
    _unchanged(trained, lambda: trained.fit(x, y + 0.5, verbose=0), "integer class labels")


def test_nan_and_inf(trained, blobs):
    x, y = blobs
    xn = x.copy()
    xn[3, 2] = np.nan
    _unchanged(trained, lambda: trained.fit(xn, y, verbose=0), r"x contains nan at index \(3, 2\)")
    model = small_mlp(out=1)
    model.compile("sgd", "mse")
    model.fit(x[:10], np.zeros(10, np.float32), verbose=0)
    yi = np.zeros(300, np.float32)
    yi[5] = np.inf
    _unchanged(model, lambda: model.fit(x, yi, verbose=0), r"y contains inf at index \(5,\)")


def test_non_numeric(trained, blobs):
    x, y = blobs
    strings = np.array([["a", "b", "c", "d"]] * 300)
    _unchanged(trained, lambda: trained.fit(strings, y, verbose=0), "expected numeric data")
    _unchanged(trained, lambda: trained.fit(x, np.array(["cat"] * 300), verbose=0), "numeric")


def test_target_shape_mismatch(trained, blobs):
    x, y = blobs
    model = small_mlp()
    model.compile("sgd", "mse")
    model.fit(x[:10], np.zeros((10, 3), np.float32), verbose=0)
    _unchanged(model, lambda: model.fit(x, y, verbose=0), "sparse_categorical_crossentropy")


def test_sparse_labels_that_do_not_fit_the_output_shape(blobs):
    """A model that forgot to flatten gives (N, 2, classes) outputs: caught before any update."""
    x, y = blobs
    model = chainrule.Sequential([chainrule.layers.Dense(3)])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:8].reshape(8, 2, 2), np.zeros((8, 2), np.int64), verbose=0)
    _unchanged(
        model,
        lambda: model.fit(x.reshape(-1, 2, 2), y, verbose=0),
        r"sparse labels of shape \(300,\) do not fit outputs \(None, 2, 3\)",
    )


def test_fit_before_compile(blobs):
    x, y = blobs
    model = small_mlp()
    with pytest.raises(ValueError, match="compile"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="compile"):
        model.evaluate(x, y)
    model.compile("sgd")  # no loss: allowed (Keras 3), for models with their own train_step
    with pytest.raises(ValueError, match="no loss was given to compile"):
        model.fit(x, y, verbose=0)


def test_bad_arguments(trained, blobs):
    x, y = blobs
    _unchanged(trained, lambda: trained.fit(x, y, batch_size=0, verbose=0), "batch_size")
    _unchanged(
        trained, lambda: trained.fit(x, y, validation_split=1.5, verbose=0), "validation_split"
    )
    _unchanged(
        trained,
        lambda: trained.fit(x, y, sample_weight=np.ones(3), verbose=0),
        "sample_weight has 3",
    )
    assert isinstance(trained, chainrule.Model)
