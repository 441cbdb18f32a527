"""GroupNormalization, UnitNormalization, PReLU, Permute and RepeatVector (Keras door): values
against torch or the formulas Keras 3 documents, gradients, saving, and error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as keras
from chainrule.gradcheck import gradcheck

layers = keras.layers
RNG = np.random.default_rng(3)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("shape, groups", [((2, 5, 6), 3), ((2, 4, 3, 8), 4), ((3, 8), 2)])
def test_group_normalization_equals_torch_group_norm_on_channels_last(shape, groups):
    layer = layers.GroupNormalization(groups=groups, epsilon=1e-5)
    x = rand(*shape)
    y = layer(x)
    c = shape[-1]
    layer.gamma.data[...] = rand(c)
    layer.beta.data[...] = rand(c)
    xt = torch.tensor(np.moveaxis(x, -1, 1).copy(), requires_grad=True)
    yt = torch.nn.functional.group_norm(xt, groups, torch.tensor(layer.gamma.data),
                                        torch.tensor(layer.beta.data), eps=1e-5)  # fmt: skip
    xc = keras.Tensor(x, requires_grad=True)
    y = layer(xc)
    np.testing.assert_allclose(y.numpy(), np.moveaxis(yt.detach().numpy(), 1, -1), atol=2e-5)
    w = rand(*shape)
    (y * keras.Tensor(w)).sum().backward()
    (yt * torch.tensor(np.moveaxis(w, -1, 1).copy())).sum().backward()
    np.testing.assert_allclose(xc.grad, np.moveaxis(xt.grad.numpy(), 1, -1), atol=2e-5)


def test_group_normalization_errors_and_round_trip(tmp_path):
    with pytest.raises(ValueError, match=r"GroupNormalization '.*': 6 channels .* not divisible "
                                         r"into 4 groups"):  # fmt: skip
        layers.GroupNormalization(groups=4)(rand(2, 6))
    model = keras.Sequential([keras.Input(shape=(4, 6)), layers.GroupNormalization(groups=2),
                              layers.PReLU(alpha_initializer="ones"), layers.Permute((2, 1)),
                              layers.Flatten(), layers.RepeatVector(3), layers.UnitNormalization()])  # fmt: skip
    x = rand(5, 4, 6)
    y = model(x).numpy()
    model.save(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(back(x).numpy(), y, rtol=1e-6)
    assert y.shape == (5, 3, 24)
    np.testing.assert_allclose(np.linalg.norm(y, axis=-1), 1.0, rtol=1e-5)


def test_unit_normalization_matches_keras_formula_and_has_finite_gradient_at_zero():
    x = np.concatenate([rand(3, 4), np.zeros((1, 4), np.float32)])
    xc = keras.Tensor(x, requires_grad=True)
    y = layers.UnitNormalization()(xc)
    ss = (x**2).sum(-1, keepdims=True)
    with np.errstate(divide="ignore"):  # keras.ops.normalize(order=2, epsilon=1e-12)
        expected = x * np.minimum(1 / np.sqrt(ss), 1e12)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    y.sum().backward()
    assert np.isfinite(xc.grad).all()
    x64 = keras.Tensor(rand(2, 3, 4, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a: layers.UnitNormalization(axis=[1, 2], dtype="float64")(a), [x64])


def test_prelu_slopes_follow_shared_axes_and_match_torch():
    layer = layers.PReLU(shared_axes=[1, 2])
    x = rand(2, 3, 4, 5)
    assert np.all(layer(x).numpy() == np.maximum(x, 0))  # alpha starts at zeros, as Keras
    assert layer.alpha.shape == (1, 1, 5)
    layer.alpha.data[...] = rand(1, 1, 5)
    xc = keras.Tensor(x, requires_grad=True)
    y = layer(xc)
    xt = torch.tensor(np.moveaxis(x, -1, 1).copy(), requires_grad=True)
    yt = torch.nn.functional.prelu(xt, torch.tensor(layer.alpha.data.ravel()))
    np.testing.assert_allclose(y.numpy(), np.moveaxis(yt.detach().numpy(), 1, -1), rtol=1e-6)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xc.grad, np.moveaxis(xt.grad.numpy(), 1, -1), rtol=1e-6)
    full = layers.PReLU()
    full(x)
    assert full.alpha.shape == (3, 4, 5)
    with pytest.raises(ValueError, match="shared_axes must be non-batch axes"):
        layers.PReLU(shared_axes=[0])


def test_permute_and_repeat_vector_shapes_gradients_and_errors():
    x = keras.Tensor(rand(2, 3, 4, dtype=np.float64), requires_grad=True)
    assert layers.Permute((2, 1))(x).shape == (2, 4, 3)
    assert gradcheck(lambda a: layers.Permute((2, 1))(a), [x])
    v = keras.Tensor(rand(2, 4, dtype=np.float64), requires_grad=True)
    out = layers.RepeatVector(3)(v)
    np.testing.assert_array_equal(out.numpy()[:, 1], v.numpy())
    assert gradcheck(lambda a: layers.RepeatVector(3)(a), [v])
    with pytest.raises(ValueError, match=r"dims must be a permutation of 1..2, got \(0, 1\)"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match=r"RepeatVector '.*': expects input \(N, F\)"):
        layers.RepeatVector(2)(rand(2, 3, 4))
