"""BatchNorm and LayerNorm against torch.nn.BatchNorm1d/2d and torch.nn.LayerNorm."""

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule import layers
from chainrule.ops import batch_norm, layer_norm


def _run(layer, x, w):
    """Forward, then backward of Σ w·y; returns (y, x.grad)."""
    xt = cr.Tensor(x.copy(), requires_grad=True)
    y = layer(xt)
    (y * cr.Tensor(w)).sum().backward()
    return y.numpy(), xt.grad


def _torch_run(layer, x, w):
    xt = torch.tensor(x.copy(), requires_grad=True)
    y = layer(xt)
    (y * torch.tensor(w)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batchnorm_train_and_eval_match_torch_batchnorm1d(dtype):
    tol = {"rtol": 2e-5, "atol": 2e-5} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-10}
    rng = np.random.default_rng(1)
    c, momentum, eps = 5, 0.9, 1e-3
    ours = layers.BatchNormalization(
        momentum=momentum, epsilon=eps, num_features=c, dtype=dtype
    ).train()
    theirs = torch.nn.BatchNorm1d(c, eps=eps, momentum=1 - momentum).to(getattr(torch, dtype))
    gamma, beta = rng.random(c) + 0.5, rng.standard_normal(c)
    ours.gamma.data[...] = gamma
    ours.beta.data[...] = beta
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))
    keras_var = np.ones(c)  # Keras 3's moving variance: the biased batch variance averaged
    for _ in range(3):  # several steps: the running statistics accumulate
        x = (rng.standard_normal((8, c)) * 3 + 2).astype(dtype)
        w = rng.standard_normal((8, c)).astype(dtype)
        y, gx = _run(ours, x, w)
        ty, tgx = _torch_run(theirs, x, w)
        np.testing.assert_allclose(y, ty, **tol)
        np.testing.assert_allclose(gx, tgx, **tol)
        np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), **tol)
        np.testing.assert_allclose(ours.beta.grad, theirs.bias.grad.numpy(), **tol)
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), **tol)
        keras_var = momentum * keras_var + (1 - momentum) * x.astype(np.float64).var(axis=0)
        np.testing.assert_allclose(ours.running_var, keras_var, **tol)
        ours.zero_grad()
        theirs.zero_grad()
        assert y.dtype == np.dtype(dtype) and ours.running_mean.dtype == np.dtype(dtype)
    ours.eval()
    theirs.eval()
    with torch.no_grad():  # evaluation compared with the same (Keras) moving variance
        theirs.running_var.copy_(torch.tensor(ours.running_var))
    x = rng.standard_normal((4, c)).astype(dtype)
    w = rng.standard_normal((4, c)).astype(dtype)
    before = ours.running_mean.copy()
    y, gx = _run(ours, x, w)
    ty, tgx = _torch_run(theirs, x, w)
    np.testing.assert_allclose(y, ty, **tol)
    np.testing.assert_allclose(gx, tgx, **tol)
    np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), **tol)
    np.testing.assert_array_equal(ours.running_mean, before)  # evaluation leaves them alone


def test_batchnorm_channels_first_and_channels_last_images():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3, 5)) * 2  # (N, C, L) as BatchNorm1d expects
    w = rng.standard_normal((4, 3, 5))
    ours = layers.BatchNormalization(axis=1, momentum=0.99, epsilon=1e-5, dtype="float64").train()
    theirs = torch.nn.BatchNorm1d(3, eps=1e-5, momentum=0.01).double()
    y, gx = _run(ours, x, w)
    ty, tgx = _torch_run(theirs, x, w)
    np.testing.assert_allclose(y, ty, atol=1e-10)
    np.testing.assert_allclose(gx, tgx, atol=1e-10)
    np.testing.assert_allclose(ours.running_var, 0.99 + 0.01 * x.var(axis=(0, 2)), atol=1e-12)
    img = rng.standard_normal((2, 4, 4, 3))  # (N, H, W, C): channels last, the default axis
    wimg = rng.standard_normal(img.shape)
    ours = layers.BatchNormalization(epsilon=1e-5, dtype="float64").train()
    theirs = torch.nn.BatchNorm2d(3, eps=1e-5).double()
    y, gx = _run(ours, img, wimg)
    perm = (0, 3, 1, 2)
    ty, tgx = _torch_run(theirs, img.transpose(perm), wimg.transpose(perm))
    np.testing.assert_allclose(y.transpose(perm), ty, atol=1e-10)
    np.testing.assert_allclose(gx.transpose(perm), tgx, atol=1e-10)


def test_keras_and_torch_batchnorm_on_images_over_many_steps_train_and_eval():
    """Keras's definition (momentum 0.99, epsilon 1e-3, biased moving variance) and PyTorch's
    (momentum 0.1, eps 1e-5, unbiased running variance), each against torch in both modes."""
    rng = np.random.default_rng(5)
    c, steps = 4, 30
    keras_bn = layers.BatchNormalization()  # the defaults under test
    assert (keras_bn.momentum, keras_bn.epsilon) == (0.99, 1e-3)
    keras_bn.train()
    ours_2d = cr.nn.BatchNorm2d(c).train()
    theirs = torch.nn.BatchNorm2d(c).train()
    mean, var = np.zeros(c), np.ones(c)  # Keras's moving statistics, by its formula
    for _ in range(steps):
        x = rng.standard_normal((6, c, 5, 5)) * [[[[3.0]], [[0.5]], [[1.0]], [[2.0]]]] + 1.5
        x = x.astype(np.float32)
        y_keras = keras_bn(cr.Tensor(x.transpose(0, 2, 3, 1))).numpy().transpose(0, 3, 1, 2)
        y_ours = ours_2d(cr.Tensor(x)).numpy()
        with torch.no_grad():
            y_theirs = theirs(torch.tensor(x)).numpy()
            y_keras_ref = torch.nn.functional.batch_norm(
                torch.tensor(x), None, None, training=True, eps=1e-3
            ).numpy()
        np.testing.assert_allclose(y_ours, y_theirs, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(y_keras, y_keras_ref, rtol=1e-5, atol=1e-5)
        x64 = x.astype(np.float64)
        mean = 0.99 * mean + 0.01 * x64.mean(axis=(0, 2, 3))
        var = 0.99 * var + 0.01 * x64.var(axis=(0, 2, 3))
    np.testing.assert_allclose(keras_bn.running_mean, mean, rtol=1e-5)
    np.testing.assert_allclose(keras_bn.running_var, var, rtol=1e-5)
    np.testing.assert_allclose(ours_2d.running_mean.numpy(), theirs.running_mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours_2d.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)
    assert int(ours_2d.num_batches_tracked.numpy()) == steps
    keras_bn.eval()
    ours_2d.eval()
    theirs.eval()
    x = rng.standard_normal((3, c, 5, 5)).astype(np.float32) * 2 + 1
    with torch.no_grad():
        y_theirs = theirs(torch.tensor(x)).numpy()
        y_keras_ref = torch.nn.functional.batch_norm(
            torch.tensor(x), torch.tensor(mean, dtype=torch.float32),
            torch.tensor(var, dtype=torch.float32), training=False, eps=1e-3,
        ).numpy()  # fmt: skip
    np.testing.assert_allclose(ours_2d(cr.Tensor(x)).numpy(), y_theirs, rtol=1e-5, atol=1e-5)
    y_keras = keras_bn(cr.Tensor(x.transpose(0, 2, 3, 1))).numpy().transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y_keras, y_keras_ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,norm", [((6, 7), (7,)), ((2, 3, 4, 5), (4, 5))])
def test_layernorm_matches_torch(shape, norm):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape) * 3 + 1
    w = rng.standard_normal(shape)
    ours = layers.LayerNormalization(normalized_shape=norm, epsilon=1e-5, dtype="float64")
    theirs = torch.nn.LayerNorm(norm, eps=1e-5).double()
    gamma, beta = rng.random(norm) + 0.5, rng.standard_normal(norm)
    ours.gamma.data[...] = gamma
    ours.beta.data[...] = beta
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))
    y, gx = _run(ours, x, w)
    ty, tgx = _torch_run(theirs, x, w)
    np.testing.assert_allclose(y, ty, atol=1e-10)
    np.testing.assert_allclose(gx, tgx, atol=1e-10)
    np.testing.assert_allclose(ours.gamma.grad, theirs.weight.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.beta.grad, theirs.bias.grad.numpy(), atol=1e-10)


def test_layernorm_axis_as_keras():
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    both = layers.LayerNormalization(axis=[-2, -1])
    y = both(x).numpy()
    assert both.gamma.shape == (3, 4) and both.epsilon == 1e-3
    np.testing.assert_allclose(y.reshape(2, -1).mean(-1), 0, atol=1e-5)
    with pytest.raises(ValueError, match="trailing"):
        layers.LayerNormalization(axis=1)(x)
    with pytest.raises(ValueError, match="out of range"):
        layers.LayerNormalization(axis=5)(x)


def test_layernorm_builds_lazily_on_last_axis_and_keeps_float32():
    ln = layers.LayerNormalization()
    y = ln(np.random.default_rng(0).standard_normal((3, 6)))  # float64 data, float32 layer
    assert ln.normalized_shape == (6,) and y.dtype == np.float32 and ln.gamma.dtype == np.float32
    np.testing.assert_allclose(y.numpy().mean(-1), 0, atol=1e-6)


def test_fused_normalisation_ops_pass_gradcheck():
    rng = np.random.default_rng(4)
    x, g, b = rng.standard_normal((5, 3)), rng.random(3) + 0.5, rng.standard_normal(3)
    assert cr.gradcheck(lambda x, g, b: batch_norm(x, g, b, training=True), [x, g, b])
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    assert cr.gradcheck(lambda x, g, b: batch_norm(x, g, b, rm, rv, training=False), [x, g, b])
    x4 = rng.standard_normal((2, 3, 2, 2))
    assert cr.gradcheck(lambda x: batch_norm(x, None, None, axis=1), [x4])
    assert cr.gradcheck(lambda x, g, b: layer_norm(x, 3, g, b), [x, g, b])
    assert cr.gradcheck(lambda x: layer_norm(x, (2, 2)), [x4])


def test_batchnorm_errors_and_config():
    bn = layers.BatchNormalization(name="bn").train()
    bn(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"BatchNormalization 'bn' expects 3 features on axis -1"):
        bn(np.zeros((4, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="more than one value per feature"):
        bn(np.zeros((1, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="momentum must be in"):
        layers.BatchNormalization(momentum=1.5)
    cfg = json.loads(json.dumps(layers.serialize(bn)))
    clone = layers.deserialize(cfg)
    assert isinstance(clone, layers.BatchNormalization) and clone.num_features == 3
    clone.load_state_dict(bn.state_dict())
    assert set(bn.state_dict()) == {"gamma", "beta", "running_mean", "running_var"}


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
    k=st.integers(1, 2),
    seed=st.integers(0, 2**16),
)
def test_layer_and_batch_norm_match_torch_on_random_shapes(shape, k, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 2
    k = min(k, len(shape) - 1)
    norm = shape[-k:]
    g, b = rng.random(norm) + 0.5, rng.standard_normal(norm)
    ours = layer_norm(cr.Tensor(x), norm, cr.Tensor(g), cr.Tensor(b), eps=1e-5).numpy()
    ref = torch.nn.functional.layer_norm(
        torch.tensor(x), norm, torch.tensor(g), torch.tensor(b), eps=1e-5
    )
    np.testing.assert_allclose(ours, ref.numpy(), atol=1e-9)
    if x.size // shape[1] > 1:  # batch norm over every axis but 1, as torch's (N, C, ...) layout
        c = shape[1]
        rm, rv = np.zeros(c), np.ones(c)
        trm, trv = torch.zeros(c, dtype=torch.float64), torch.ones(c, dtype=torch.float64)
        ours = batch_norm(cr.Tensor(x), None, None, rm, rv, momentum=0.8, eps=1e-5, axis=1)
        ref = torch.nn.functional.batch_norm(
            torch.tensor(x), trm, trv, training=True, momentum=0.2, eps=1e-5
        )
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=1e-9)
        np.testing.assert_allclose(rm, trm.numpy(), atol=1e-12)
        np.testing.assert_allclose(rv, trv.numpy(), atol=1e-12)
