"""Dropout: mask statistics, inverted scaling, evaluation identity, seeding through manual_seed."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_mask_statistics_and_scaling(rate):
    n = 200_000
    x = cr.Tensor(np.ones((n // 100, 100), dtype=np.float32), requires_grad=True)
    y = nn.layers.Dropout(rate)(x)
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
    layer = nn.layers.Dropout(0.5).eval()
    assert layer(x) is x
    assert nn.layers.Dropout(0.0)(x) is x


def test_masks_follow_the_library_seed():
    x = np.ones((50, 40), dtype=np.float32)
    layer = nn.layers.Dropout(0.5)
    cr.manual_seed(123)
    a = layer(x).numpy()
    b = layer(x).numpy()
    cr.manual_seed(123)
    c = layer(x).numpy()
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)  # a fresh mask per call


def test_noise_shape_shares_the_mask_and_bad_rates_are_rejected():
    x = np.ones((4, 6, 3), dtype=np.float32)
    y = nn.layers.Dropout(0.5, noise_shape=(1, 3))(x).numpy()
    assert np.all(y == y[:, :1, :])  # one decision per (sample, channel), shared over axis 1
    with pytest.raises(ValueError, match="does not broadcast"):
        nn.layers.Dropout(0.5, noise_shape=(2, 3))(x)
    for bad in (1.0, -0.1, "0.5"):
        with pytest.raises(ValueError, match=r"Dropout 'dropout(_\d+)?': rate must be in \[0, 1\)"):
            nn.layers.Dropout(bad)
