"""Keras-door vision layers against torch.nn.functional (weights copied across layouts), config
round trips through the safe model file, output shapes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import chainrule as keras
from chainrule import layers

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _run(layer, x):
    """Forward + backward of Σ w·y; returns (y, dL/dx, layer)."""
    xt = keras.Tensor(x.copy(), requires_grad=True)
    y = layer(xt)
    w = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    (y * keras.Tensor(w)).sum().backward()
    return y.numpy(), xt.grad, w


def _torch(fn, x, w, params):
    xt = torch.tensor(x, requires_grad=True)
    ps = [torch.tensor(p, requires_grad=True) for p in params]
    y = fn(xt, *ps)
    (y * torch.tensor(w)).sum().backward()
    return y.detach().numpy(), xt.grad.numpy(), [p.grad.numpy() for p in ps]


def _close(a, b, tol=2e-5):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 4, "kernel_size": 3},
        {"filters": 6, "kernel_size": (3, 2), "strides": 2, "padding": "same"},
        {"filters": 4, "kernel_size": 3, "dilation_rate": 2, "padding": "same"},
        {"filters": 6, "kernel_size": 3, "groups": 3, "use_bias": False},
        {"filters": 5, "kernel_size": 2, "strides": (1, 2), "activation": "relu"},
    ],
)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_matches_torch(kwargs, data_format):
    layer = layers.Conv2D(**kwargs, data_format=data_format, bias_initializer="glorot_uniform")
    x = _x(2, 7, 8, 3) if data_format == "channels_last" else _x(2, 3, 7, 8)
    y, gx, w = _run(layer, x)
    k = layer.kernel.numpy()
    s, d, g = layer.strides, layer.dilation_rate, layer.groups
    assert layer.kernel.shape == (*layer.kernel_size, 3 // g, layer.filters)

    def fn(xt, kt, *b):
        xc = xt.permute(0, 3, 1, 2) if data_format == "channels_last" else xt
        wt = kt.permute(3, 2, 0, 1)
        if layer.padding == "same":  # TensorFlow's rule: total pad, odd one after
            pads = []
            for n, kk, ss, dd in zip(xc.shape[2:], layer.kernel_size, s, d):
                total = max((-(-n // ss) - 1) * ss + (kk - 1) * dd + 1 - n, 0)
                pads.append((total // 2, total - total // 2))
            xc = TF.pad(xc, (*pads[1], *pads[0]))
        yc = TF.conv2d(xc, wt, b[0] if b else None, s, 0, d, g)
        if kwargs.get("activation") == "relu":
            yc = torch.relu(yc)
        return yc.permute(0, 2, 3, 1) if data_format == "channels_last" else yc

    params = [k] + ([layer.bias.numpy()] if layer.use_bias else [])
    ty, tgx, tgrads = _torch(fn, x, w, params)
    assert y.shape == ty.shape == layer.compute_output_shape(x.shape)
    _close(y, ty)
    _close(gx, tgx)
    _close(layer.kernel.grad, tgrads[0])
    if layer.use_bias:
        _close(layer.bias.grad, tgrads[1])


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
def test_conv1d_matches_torch(padding):
    layer = layers.Conv1D(4, 3, padding=padding, dilation_rate=2)
    x = _x(2, 11, 3)
    y, gx, w = _run(layer, x)

    def fn(xt, kt, b):
        xc = xt.permute(0, 2, 1)
        total = 4  # dilation·(k − 1)
        pad = {"valid": (0, 0), "same": (2, 2), "causal": (total, 0)}[padding]
        return TF.conv1d(TF.pad(xc, pad), kt.permute(2, 1, 0), b, 1, 0, 2).permute(0, 2, 1)

    ty, tgx, tg = _torch(fn, x, w, [layer.kernel.numpy(), layer.bias.numpy()])
    assert y.shape == layer.compute_output_shape(x.shape)
    _close(y, ty)
    _close(gx, tgx)
    _close(layer.kernel.grad, tg[0])


def test_depthwise_conv2d_matches_torch_groups():
    layer = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same",
                                   bias_initializer="glorot_uniform")  # fmt: skip
    x = _x(2, 6, 6, 3)
    y, gx, w = _run(layer, x)
    assert layer.kernel.shape == (3, 3, 3, 2) and y.shape == (2, 6, 6, 6)

    def fn(xt, kt, b):  # Keras (kh, kw, C, m) → torch (C·m, 1, kh, kw), channel c·m + j
        wt = kt.reshape(3, 3, 1, 6).permute(3, 2, 0, 1)
        return TF.conv2d(xt.permute(0, 3, 1, 2), wt, b, 1, 1, 1, 3).permute(0, 2, 3, 1)

    ty, tgx, tg = _torch(fn, x, w, [layer.kernel.numpy(), layer.bias.numpy()])
    _close(y, ty)
    _close(gx, tgx)
    _close(layer.kernel.grad, tg[0])


def test_conv2d_transpose_matches_torch():
    layer = layers.Conv2DTranspose(4, 3, strides=2, padding="valid")
    x = _x(2, 5, 4, 3)
    y, gx, w = _run(layer, x)
    assert layer.kernel.shape == (3, 3, 4, 3)
    assert y.shape == layer.compute_output_shape(x.shape) == (2, 11, 9, 4)

    def fn(xt, kt, b):  # Keras (kh, kw, out, in) → torch (in, out, kh, kw)
        wt = kt.permute(3, 2, 0, 1)
        return TF.conv_transpose2d(xt.permute(0, 3, 1, 2), wt, b, 2).permute(0, 2, 3, 1)

    ty, tgx, tg = _torch(fn, x, w, [layer.kernel.numpy(), layer.bias.numpy()])
    _close(y, ty)
    _close(gx, tgx)
    _close(layer.kernel.grad, tg[0])
    same = layers.Conv2DTranspose(4, 3, strides=2, padding="same")
    assert same(x).shape == same.compute_output_shape(x.shape) == (2, 10, 8, 4)


@pytest.mark.parametrize(
    "layer, fn",
    [
        (layers.MaxPooling2D(), lambda x: TF.max_pool2d(x, 2)),
        (layers.MaxPooling2D(3, 2), lambda x: TF.max_pool2d(x, 3, 2)),
        (layers.AveragePooling2D((2, 3)), lambda x: TF.avg_pool2d(x, (2, 3))),
        (layers.GlobalAveragePooling2D(), lambda x: x.mean((2, 3))),
        (layers.GlobalMaxPooling2D(keepdims=True), lambda x: x.amax((2, 3), keepdim=True)),
        (layers.UpSampling2D((2, 3)), lambda x: TF.interpolate(x, scale_factor=(2, 3))),
        (layers.ZeroPadding2D(((1, 2), (0, 3))), lambda x: TF.pad(x, (0, 3, 1, 2))),
        (layers.Cropping2D(((1, 0), (2, 1))), lambda x: x[:, :, 1:, 2:-1]),
        (layers.Resizing(5, 4), lambda x: TF.interpolate(x, (5, 4), mode="bilinear")),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, layers.Layer) else "",
)
def test_spatial_layers_match_torch(layer, fn):
    x = _x(2, 7, 9, 3)
    y, gx, w = _run(layer, x)

    def tfn(xt):
        out = fn(xt.permute(0, 3, 1, 2))
        return out.permute(0, 2, 3, 1) if out.ndim == 4 else out

    ty, tgx, _ = _torch(tfn, x, w, [])
    assert y.shape == ty.shape == layer.compute_output_shape(x.shape)
    _close(y, ty)
    _close(gx, tgx)


def test_pooling_1d_and_channels_first():
    x = _x(2, 4, 9)  # channels_first (N, C, L)
    for layer, fn in [
        (layers.MaxPooling1D(2, data_format="channels_first"), lambda t: TF.max_pool1d(t, 2)),
        (layers.AveragePooling1D(3, 1, data_format="channels_first"),
         lambda t: TF.avg_pool1d(t, 3, 1)),
        (layers.GlobalAveragePooling1D(data_format="channels_first"), lambda t: t.mean(2)),
        (layers.GlobalMaxPooling1D(data_format="channels_first"), lambda t: t.amax(2)),
    ]:  # fmt: skip
        y, gx, w = _run(layer, x)
        ty, tgx, _ = _torch(fn, x, w, [])
        assert y.shape == layer.compute_output_shape(x.shape)
        _close(y, ty)
        _close(gx, tgx)


def test_spatial_dropout_drops_whole_maps_in_training_only():
    layer = layers.SpatialDropout2D(0.5)
    x = np.ones((4, 5, 5, 8), np.float32)
    keras.manual_seed(3)
    y = layer(x, training=True).numpy()
    per_map = y.reshape(4, 25, 8)
    assert np.all(per_map.min(axis=1) == per_map.max(axis=1))  # one value per (sample, channel)
    assert set(np.unique(y)) <= {0.0, 2.0} and 0 < (y == 0).mean() < 1
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)  # inference: identity


def test_convnet_config_round_trip_through_model_file(tmp_path):
    keras.manual_seed(0)
    model = keras.Sequential([
        keras.Input((12, 12, 2)),
        layers.ZeroPadding2D(1),
        layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                      kernel_regularizer="l2"),
        layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"),
        layers.Conv2DTranspose(3, 2, strides=2),
        layers.Cropping2D(((1, 1), (0, 2))),
        layers.SpatialDropout2D(0.2),
        layers.AveragePooling2D(2, padding="same"),
        layers.MaxPooling2D(2),
        layers.UpSampling2D(2, interpolation="bilinear"),
        layers.Resizing(6, 6),
        layers.Conv1D(2, 2) if False else layers.GlobalAveragePooling2D(),
        layers.Dense(3),
    ])  # fmt: skip
    x = _x(3, 12, 12, 2)
    before = model.predict(x, verbose=0)
    path = tmp_path / "cnn.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-6, atol=1e-6)
    for a, b in zip(model.layers, loaded.layers):
        assert type(a) is type(b) and a.get_config() == b.get_config()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: layers.Conv2D(0, 3), "filters"),
        (lambda: layers.Conv2D(4, (3, 3, 3)), "kernel_size"),
        (lambda: layers.Conv2D(4, 3, padding="full"), "padding"),
        (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "dilation_rate"),
        (lambda: layers.Conv2D(5, 3, groups=2), "divisible by groups"),
        (lambda: layers.MaxPooling2D(data_format="nhwc"), "data_format"),
        (lambda: layers.UpSampling2D(interpolation="cubic"), "interpolation"),
        (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2), "output_padding"),
    ],
)
def test_bad_arguments_name_the_layer(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_layer_and_shapes():
    conv = layers.Conv2D(4, 3, name="c")
    with pytest.raises(ValueError, match=r"Conv2D 'c'.*4-D.*\(2, 8, 3\)"):
        conv(_x(2, 8, 3))
    conv(_x(1, 8, 8, 3))
    with pytest.raises(ValueError, match=r"built for 3 input channels, got 5"):
        conv(_x(1, 8, 8, 5))
    with pytest.raises(ValueError, match="MaxPooling2D"):
        layers.MaxPooling2D()(_x(2, 8, 3))
    with pytest.raises(ValueError, match="Cropping2D.*leaves nothing"):
        layers.Cropping2D(4)(_x(1, 8, 8, 1))


def test_float64_layer_stays_float64_and_float32_default():
    x = _x(2, 6, 6, 1)
    assert layers.Conv2D(2, 3)(x.astype(np.float64)).dtype == np.float32
    assert layers.Conv2D(2, 3, dtype="float64")(x).dtype == np.float64


def test_batchnorm_on_4d_channels_last_matches_torch():
    bn = layers.BatchNormalization().train()  # batch statistics, as in fit
    x = _x(4, 5, 5, 3) * 3 + 1
    y, gx, w = _run(bn, x)

    def fn(xt):
        return TF.batch_norm(xt.permute(0, 3, 1, 2), None, None, training=True,
                             eps=1e-3).permute(0, 2, 3, 1)  # fmt: skip

    ty, tgx, _ = _torch(fn, x, w, [])
    _close(y, ty, 1e-4)
    _close(gx, tgx, 1e-4)
