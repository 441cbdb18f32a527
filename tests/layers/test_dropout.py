"""Dropout: mask statistics, inverted scaling, evaluation identity, seeding through manual_seed."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import layers


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_mask_statistics_and_scaling(rate):
    n = 200_000
    x = cr.Tensor(np.ones((n // 100, 100), dtype=np.float32), requires_grad=True)
    y = layers.Dropout(rate).train()(x)
    values = y.numpy()
    dropped = np.mean(values == 0)
    sigma = np.sqrt(rate * (1 - rate) / n)
    assert abs(dropped - rate) < 5 * sigma  # a Bernoulli(rate) mask per element
    kept = values[values != 0]
    np.testing.assert_allclose(kept, 1 / (1 - rate), rtol=1e-6)  # inverted: survivors scaled up
    assert abs(values.mean() - 1) < 5 * sigma / (1 - rate)  # so the expectation is unchanged
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, values)  # gradient flows through the same mask
    assert y.dtype == np.float32


def test_identity_in_eval_and_at_rate_zero():
    x = cr.Tensor(np.random.default_rng(0).standard_normal((8, 5)).astype(np.float32))
    layer = layers.Dropout(0.5).eval()
    assert layer(x) is x
    assert layers.Dropout(0.0).train()(x) is x


def test_masks_follow_the_library_seed():
    x = np.ones((50, 40), dtype=np.float32)
    layer = layers.Dropout(0.5).train()
    cr.manual_seed(123)
    a = layer(x).numpy()
    b = layer(x).numpy()
    cr.manual_seed(123)
    c = layer(x).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # a fresh mask per call


def test_noise_shape_shares_the_mask_and_bad_rates_are_rejected():
    x = np.ones((4, 6, 3), dtype=np.float32)
    y = layers.Dropout(0.5, noise_shape=(None, 1, 3)).train()(x).numpy()
    assert np.all(y == y[:, :1, :])  # one decision per (sample, channel), shared over axis 1
    with pytest.raises(ValueError, match="does not broadcast"):
        layers.Dropout(0.5, noise_shape=(None, 2, 3)).train()(x)
    for bad in (1.0, -0.1, "0.5"):
        with pytest.raises(ValueError, match=r"Dropout 'dropout(_\d+)?': rate must be in \[0, 1\)"):
            layers.Dropout(bad)


def test_noise_shape_includes_the_batch_axis_as_in_keras():
    """Keras: noise_shape has one entry per input axis, batch included; None takes the input's size
    (issue 10, item 13: ``(4, 1, 6)`` on a (4, 5, 6) input gave a (4, 4, 5, 6) result)."""
    cr.manual_seed(0)
    x = np.ones((4, 5, 6), dtype=np.float32)
    for noise in [(None, 1, 6), (4, 1, 6), (None, 1, None), (4, 1, 1)]:
        y = layers.Dropout(0.5, noise_shape=noise).train()(x).numpy()
        assert y.shape == x.shape
        assert np.all(y == y[:, :1, :])
    y = (
        layers.Dropout(0.5, noise_shape=(1, None, None))
        .train()(np.ones((50, 5, 6), np.float32))
        .numpy()
    )
    assert np.all(y == y[:1])  # shared over the batch
    y = (
        layers.Dropout(0.5, noise_shape=(None, None, None))
        .train()(np.ones((50, 5, 6), np.float32))
        .numpy()
    )
    assert not np.all(y == y[:1])  # None everywhere: elementwise
    y = layers.Dropout(0.5, noise_shape=[None, 1, 6]).train()(
        x
    )  # a list (as read from a config) works too
    assert y.shape == x.shape


@pytest.mark.parametrize(
    "noise, match",
    [
        ((1, 6), r"has 2 entries but the input \(4, 5, 6\) has 3 axes"),
        ((None, None, 1, 6), "has 4 entries"),
        ((None, 2, 6), "does not broadcast"),
        ((3, 1, 6), "does not broadcast"),
        ((None, 1, 7), "does not broadcast"),
    ],
)
def test_noise_shape_of_the_wrong_rank_or_size_names_the_layer(noise, match):
    layer = layers.Dropout(0.5, noise_shape=noise, name="drop").train()
    with pytest.raises(ValueError, match=r"Dropout 'drop': noise_shape .*" + match):
        layer(np.ones((4, 5, 6), np.float32))


@pytest.mark.parametrize("noise", [(0, 1), (None, -1), (None, 1.5), (None, "1"), 3, (True, 1)])
def test_noise_shape_entries_are_checked_at_construction(noise):
    with pytest.raises(ValueError, match="noise_shape"):
        layers.Dropout(0.5, noise_shape=noise).train()


def test_noise_shape_round_trips_through_the_config():
    layer = layers.Dropout(0.3, noise_shape=(None, 1, 6)).train()
    again = layers.Dropout(**{k: v for k, v in layer.get_config().items() if k != "name"}).train()
    assert again.noise_shape == (None, 1, 6)


def test_a_layer_called_directly_is_in_inference_mode_as_in_keras():
    """Keras: ``layer(x)`` and ``model(x)`` run in inference mode unless ``training=True`` (or
    inside fit); the PyTorch door's modules start in training mode as torch's do."""
    x = np.ones((64, 32), np.float32)
    assert layers.Dropout(0.5)(x).numpy().min() == 1.0
    assert (layers.Dropout(0.5)(x, training=True).numpy() == 0).any()
    model = cr.Sequential([layers.Dense(8), layers.Dropout(0.9)])
    a, b = model(x).numpy(), model(x).numpy()
    np.testing.assert_array_equal(a, b)
    assert cr.nn.Dropout(0.5).training
