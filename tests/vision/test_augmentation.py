"""Image augmentation layers: exact results for transforms with known answers, fill modes,
training-only behaviour, reproducibility through the one generator, configs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers
from chainrule.layers.affine_resample import affine_resample


def _imgs(n=3, h=6, w=6, c=2):
    return np.random.default_rng(0).standard_normal((n, h, w, c)).astype(np.float32)


def test_inference_is_identity_and_training_changes_images():
    x = _imgs()
    for layer in [layers.RandomFlip(), layers.RandomTranslation(0.3, 0.3),
                  layers.RandomRotation(0.2), layers.RandomZoom(0.3)]:  # fmt: skip
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
        keras.manual_seed(1)
        y = layer(x, training=True).numpy()
        assert y.shape == x.shape and y.dtype == np.float32
        assert not np.allclose(y, x)
        keras.manual_seed(1)
        np.testing.assert_array_equal(layer(x, training=True).numpy(), y)  # reproducible


def test_flip_modes_give_exact_flips():
    x = _imgs(n=64)
    y = layers.RandomFlip("horizontal")(x, training=True).numpy()
    flipped = np.all(y == x[:, :, ::-1], axis=(1, 2, 3))
    kept = np.all(y == x, axis=(1, 2, 3))
    assert np.all(flipped | kept) and 10 < flipped.sum() < 54
    y = layers.RandomFlip("vertical")(x, training=True).numpy()
    assert np.all(np.all(y == x[:, ::-1], axis=(1, 2, 3)) | np.all(y == x, axis=(1, 2, 3)))


def test_rotation_by_a_quarter_turn_is_rot90_counter_clockwise():
    x = _imgs(n=2, h=5, w=5)
    y = layers.RandomRotation((0.25, 0.25), interpolation="nearest")(x, training=True).numpy()
    np.testing.assert_allclose(y, np.rot90(x, 1, axes=(1, 2)), atol=1e-6)


def test_integer_translation_with_each_fill_mode():
    x = np.arange(5, dtype=np.float32).reshape(1, 1, 5, 1) * np.ones((1, 3, 1, 1), np.float32)
    t = layers.RandomTranslation(0, (0.4, 0.4), fill_mode="constant", fill_value=-1)
    np.testing.assert_array_equal(t(x, training=True).numpy()[0, 0, :, 0], [-1, -1, 0, 1, 2])
    expected = {"reflect": [1, 0, 0, 1, 2], "wrap": [3, 4, 0, 1, 2], "nearest": [0, 0, 0, 1, 2]}
    for mode, want in expected.items():
        t = layers.RandomTranslation(0, (0.4, 0.4), fill_mode=mode)
        np.testing.assert_array_equal(t(x, training=True).numpy()[0, 0, :, 0], want)


def test_zoom_identity_and_bilinear_halfway():
    x = _imgs()
    np.testing.assert_allclose(layers.RandomZoom((0, 0))(x, training=True).numpy(), x, atol=1e-6)
    m = np.array([[[1, 0, 0], [0, 1, 0.5]]])  # half a pixel to the right: mean of neighbours
    row = np.array([[[[0.0], [2.0], [4.0]]]], np.float32)
    out = affine_resample(row, m, "bilinear", "nearest")
    np.testing.assert_allclose(out[0, 0, :, 0], [1, 3, 4])


def test_channels_first_and_single_image():
    x = _imgs(n=1)
    cf = layers.RandomRotation((0.25, 0.25), interpolation="nearest", data_format="channels_first")
    y = cf(x.transpose(0, 3, 1, 2), training=True).numpy()
    np.testing.assert_allclose(y.transpose(0, 2, 3, 1), np.rot90(x, 1, axes=(1, 2)), atol=1e-6)
    single = layers.RandomFlip("horizontal")(x[0], training=True)
    assert single.shape == x[0].shape


def test_augmentation_inside_fit_and_config_round_trip(tmp_path):
    keras.manual_seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.RandomFlip("horizontal"),
        layers.RandomTranslation(0.1, 0.1, fill_mode="nearest"),
        layers.RandomRotation(0.05, fill_mode="constant"),
        layers.RandomZoom(0.1, (-0.1, 0.2)),
        layers.Conv2D(2, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(2, activation="softmax"),
    ])  # fmt: skip
    x = _imgs(n=16, h=8, w=8, c=1)
    y = (x.mean(axis=(1, 2, 3)) > 0).astype(np.int64)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    before = model.predict(x, verbose=0)  # inference: augmentation off, deterministic
    np.testing.assert_array_equal(model.predict(x, verbose=0), before)
    model.save(tmp_path / "aug.keras")
    loaded = keras.models.load_model(tmp_path / "aug.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6)
    for a, b in zip(model.layers, loaded.layers):
        assert a.get_config() == b.get_config()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.RandomFlip("diagonal"), "mode"),
        (lambda: layers.RandomTranslation(1.5, 0), "height_factor"),
        (lambda: layers.RandomRotation("a lot"), "factor"),
        (lambda: layers.RandomZoom((0.3, 0.1)), "lower <= upper"),
        (lambda: layers.RandomZoom(-1.0), "> -1"),
        (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "fill_mode"),
        (lambda: layers.RandomZoom(0.1, interpolation="bicubic"), "interpolation"),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_input_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"RandomFlip .* 4-D batch or a 3-D image.*\(4, 4\)"):
        layers.RandomFlip()(np.zeros((4, 4), np.float32), training=True)
