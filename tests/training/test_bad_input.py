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


# ------------------------------------------------------------------ issue 10, item 8
def test_values_beyond_the_model_dtype_are_caught_after_the_cast(trained, blobs):
    """float64 1e39 is finite, but inf in the float32 model: it would turn every weight into NaN."""
    x, y = blobs
    big = x.astype(np.float64)
    big[4, 1] = 1e39
    _unchanged(
        trained, lambda: trained.fit(big, y, verbose=0), r"x contains 1e\+39 at index \(4, 1\)"
    )
    _unchanged(trained, lambda: trained.train_on_batch(big, y), "overflows")
    _unchanged(trained, lambda: trained.evaluate(big, y, verbose=0), "overflows")
    with pytest.raises(ValueError, match="overflows"):
        trained.predict(big)
    _unchanged(trained, lambda: trained.fit(x, y, validation_data=(big, y), verbose=0), "overflows")
    model = small_mlp(out=2)
    model.compile("sgd", "mse")
    model.fit(x[:10], np.zeros((10, 2), np.float32), verbose=0)
    yb = np.zeros((300, 2))
    yb[9, 1] = -4e38
    _unchanged(model, lambda: model.fit(x, yb, verbose=0), r"y contains -4e\+38 at index \(9, 1\)")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, -1.0, 1e39, "2", None, True])
def test_class_weight_values_are_checked(trained, blobs, bad):
    x, y = blobs
    cw = {0: 1.0, 1: bad, 2: 1.0}
    _unchanged(trained, lambda: trained.fit(x, y, class_weight=cw, verbose=0), "class_weight")
    _unchanged(trained, lambda: trained.train_on_batch(x, y, class_weight=cw), "class_weight")


@pytest.mark.parametrize("key", [3, -1, "1", 1.5, True])
def test_class_weight_keys_are_valid_class_indices(trained, blobs, key):
    x, y = blobs
    cw = {key: 1.0, 0: 1.0, 1: 1.0, 2: 1.0}
    _unchanged(trained, lambda: trained.fit(x, y, class_weight=cw, verbose=0), "class_weight")


def test_class_weight_must_cover_every_class(trained, blobs):
    x, y = blobs
    _unchanged(
        trained, lambda: trained.fit(x, y, class_weight={0: 1.0}, verbose=0), "no entry for class"
    )


def test_sample_weight_shape_and_values(trained, blobs):
    x, y = blobs
    x, y = x[:64], y[:64]

    def fit(w):
        return lambda: trained.fit(x, y, sample_weight=w, verbose=0)

    _unchanged(trained, fit(np.ones((32, 2))), r"sample_weight has 32 entries for 64 samples")
    _unchanged(trained, fit(np.ones((64, 2))), r"sample_weight has shape \(64, 2\)")
    _unchanged(trained, fit(np.ones(128)), "128 entries")
    w = np.ones(64)
    w[5] = np.nan
    _unchanged(trained, fit(w), r"sample_weight contains nan at index \(5,\)")
    w[5] = 1e39
    _unchanged(trained, fit(w), "overflows")
    w[5] = -0.5
    _unchanged(trained, fit(w), r"sample_weight must be >= 0, got -0.5 at index \(5,\)")
    _unchanged(trained, lambda: trained.evaluate(x, y, sample_weight=np.ones((64, 3))), "shape")
    # the shapes Keras allows still work: (N,) and (N, 1)
    trained.fit(x, y, sample_weight=np.ones(64), verbose=0)
    trained.fit(x, y, sample_weight=np.ones((64, 1)), verbose=0)


def test_sample_weight_per_timestep():
    """A sequence output (N, T, C) with sparse labels (N, T) takes (N,) or (N, T) weights."""
    chainrule.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((16, 5, 4)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 3, (16, 5))
    model = chainrule.Sequential([chainrule.layers.Dense(3)])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, sample_weight=np.ones((16, 5)), verbose=0)
    model.fit(x, y, sample_weight=np.ones(16), verbose=0)
    _unchanged(model, lambda: model.fit(x, y, sample_weight=np.ones((16, 4)), verbose=0), "shape")


def test_bad_weights_leave_an_unbuilt_model_untouched(blobs):
    """The weight checks run before the probe that would build the model (and draw from the RNG)."""
    x, y = blobs
    model = small_mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    rng = cr_random.get_state()
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight={0: 1.0, 1: -1.0, 2: 1.0}, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        model.fit(x, y, sample_weight=np.full(300, np.inf), verbose=0)
    assert cr_random.get_state() == rng
    assert not model.parameters()
