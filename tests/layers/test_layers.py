"""Dense, Activation, Flatten, Reshape, Residual, Sequential and the Module machinery around them."""

import json

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import constraints, layers, regularizers


@pytest.fixture(autouse=True)
def _fresh_names():
    layers.reset_names()


TORCH_ACT = {None: lambda t: t, "tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}


@pytest.mark.parametrize("activation", list(TORCH_ACT))
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_matches_torch_linear_forward_and_backward(activation, use_bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4))
    dense = layers.Dense(3, activation=activation, use_bias=use_bias, input_dim=4, dtype="float64")
    lin = torch.nn.Linear(4, 3, bias=use_bias).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor(dense.kernel.data.T))  # torch stores (out, in)
        if use_bias:
            lin.bias.copy_(torch.tensor(rng.standard_normal(3)))
            dense.bias.data[...] = lin.bias.numpy()
    xt = cr.Tensor(x, requires_grad=True)
    y = dense(xt)
    xtt = torch.tensor(x, requires_grad=True)
    ty = TORCH_ACT[activation](lin(xtt))
    w = rng.standard_normal((5, 3))
    (y * cr.Tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(xt.grad, xtt.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(dense.kernel.grad, lin.weight.grad.numpy().T, atol=1e-12)
    if use_bias:
        np.testing.assert_allclose(dense.bias.grad, lin.bias.grad.numpy(), atol=1e-12)
    else:
        assert dense.bias is None and [k for k, _ in dense.named_parameters()] == ["kernel"]


def test_dense_builds_lazily_with_keras_defaults_and_names():
    d = layers.Dense(7)
    assert not d.built and d.kernel is None and d.name == "dense"
    assert layers.Dense(2).name == "dense_1" and layers.Dense(2, name="head").name == "head"
    y = d(np.ones((3, 5), dtype=np.float32))
    assert d.kernel.shape == (5, 7) and d.bias.shape == (7,) and y.shape == (3, 7)
    np.testing.assert_array_equal(d.bias.data, 0)
    limit = np.sqrt(6 / (5 + 7))  # Glorot uniform
    assert np.abs(d.kernel.data).max() <= limit and d.kernel.data.std() > limit / 4
    assert d.output_shape == (3, 7) and d.compute_output_shape((None, 5)) == (None, 7)
    eager = layers.Dense(4, input_dim=3)
    assert eager.built and eager.kernel.shape == (3, 4) and isinstance(eager, layers.Dense)


def test_dense_input_errors_name_the_layer_and_sizes():
    d = layers.Dense(10, input_dim=784, name="dense_1")
    with pytest.raises(ValueError, match="Dense 'dense_1' expects 784 input features, got 28"):
        d(np.zeros((2, 28), dtype=np.float32))
    with pytest.raises(ValueError, match="units must be a positive int"):
        layers.Dense(0)
    with pytest.raises(ValueError, match="unknown activation"):
        layers.Dense(3, activation="nope")
    with pytest.raises(ValueError, match="unknown initializer"):
        layers.Dense(3, kernel_initializer="glorot")


def test_float32_layers_stay_float32_for_float64_and_integer_inputs():
    model = cr.Sequential([layers.Dense(4, activation="relu"), layers.LayerNormalization(), layers.Dropout(0.3),
                           layers.BatchNormalization(), layers.Residual(layers.Dense(4)), layers.Dense(2)])  # fmt: skip
    for x in (np.random.default_rng(0).standard_normal((6, 3)), np.arange(18).reshape(6, 3)):
        y = model(x)
        assert y.dtype == np.float32
        y.sum().backward()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in model.parameters())
    assert all(v.dtype == np.float32 for v in model.state_dict().values())
    model64 = layers.Dense(2, dtype="float64")
    assert model64(np.ones((1, 3), dtype=np.float32)).dtype == np.float64


def test_flatten_reshape_and_their_shapes():
    x = cr.Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4), requires_grad=True)
    f = layers.Flatten()
    y = f(x)
    assert y.shape == (2, 12) and f.compute_output_shape((None, 3, 4)) == (None, 12)
    r = layers.Reshape((4, -1))
    z = r(y)
    assert z.shape == (2, 4, 3) and r.compute_output_shape((None, 12)) == (None, 4, 3)
    z.sum().backward()
    np.testing.assert_array_equal(x.grad, 1)
    with pytest.raises(ValueError, match=r"Reshape 'reshape_1': cannot reshape \(12,\)"):
        layers.Reshape((5, -1))(y)
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))
    ints = layers.Flatten()(np.zeros((2, 2, 2), dtype=np.int64))  # shape layers keep the dtype
    assert ints.dtype == np.int64


def test_residual_adds_the_skip_connection_and_checks_shapes():
    inner = layers.Dense(3, input_dim=3)
    res = layers.Residual(inner)
    x = cr.Tensor(np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32))
    np.testing.assert_allclose(res(x).numpy(), x.numpy() + inner(x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"maps \(4, 3\) to \(4, 2\)"):
        layers.Residual(layers.Dense(2))(x)
    block = layers.Residual([layers.Dense(3, activation="relu"), layers.Dense(3)])
    assert isinstance(block.layer, layers.Sequential) and block(x).shape == (4, 3)


def test_sequential_config_round_trip_through_json_rebuilds_the_same_function():
    model = cr.Sequential([
        layers.Dense(8, activation={"class_name": "leaky_relu", "config": {"negative_slope": 0.1}},
                 kernel_initializer="he_normal", kernel_regularizer=regularizers.L2(1e-3),
                 kernel_constraint=constraints.MaxNorm(2.0)),
        layers.BatchNormalization(), layers.Dropout(0.25), layers.Residual(layers.Dense(8, activation="gelu")),
        layers.Activation("selu"), layers.Reshape((2, 4)), layers.LayerNormalization(), layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])  # fmt: skip
    x = np.random.default_rng(2).standard_normal((5, 6)).astype(np.float32)
    model(x)
    text = json.dumps(layers.serialize(model))  # nothing but JSON
    clone = layers.deserialize(json.loads(text))
    assert [type(m).__name__ for m in clone] == [type(m).__name__ for m in model]
    assert [m.name for m in clone] == [m.name for m in model]
    clone.load_state_dict(model.state_dict())  # no forward needed: configs carry input sizes
    model.eval()
    clone.eval()
    np.testing.assert_array_equal(clone(x).numpy(), model(x).numpy())
    assert clone[0]._regularizers["kernel"].l2 == 1e-3
    assert clone[0]._constraints["kernel"].max_value == 2.0
    assert layers.get("Dense") is layers.Dense
    assert layers.get("BatchNorm") is layers.get("BatchNormalization") is layers.BatchNormalization
    with pytest.raises(ValueError, match="unknown layer class 'Conv9D'"):
        layers.get("Conv9D")


def test_module_state_dict_errors_name_the_entry_and_change_nothing():
    model = cr.Sequential([layers.Dense(3, input_dim=2), layers.BatchNormalization(num_features=3)])
    state = {k: v.copy() for k, v in model.state_dict().items()}
    assert list(state) == ["layers.0.kernel", "layers.0.bias", "layers.1.gamma", "layers.1.beta",
                           "layers.1.running_mean", "layers.1.running_var"]  # fmt: skip
    before = model.layers[0].kernel.data.copy()
    bad = dict(state, **{"layers.0.kernel": np.ones((2, 3))})
    del bad["layers.1.beta"]
    bad["extra.w"] = np.ones(1)
    with pytest.raises(ValueError) as err:
        bad["layers.0.bias"] = np.ones(4)
        model.load_state_dict(bad)
    msg = str(err.value)
    assert (
        "'layers.1.beta'" in msg and "'extra.w'" in msg and "'layers.0.bias' has shape (4,)" in msg
    )
    np.testing.assert_array_equal(model.layers[0].kernel.data, before)


def test_module_walks_lists_dicts_modes_and_repr():
    class Net(cr.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(4, input_dim=4), layers.Dropout(0.5)]
            self.heads = {"a": layers.Dense(1, input_dim=4), "b": layers.Dense(2, input_dim=4)}

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            return self.heads["a"](x) + self.heads["b"](x).sum(axis=-1, keepdims=True)

    net = Net()
    names = [k for k, _ in net.named_parameters()]
    assert names == ["blocks.0.kernel", "blocks.0.bias", "heads.a.kernel", "heads.a.bias",
                     "heads.b.kernel", "heads.b.bias"]  # fmt: skip
    net.eval()
    assert not net.blocks[1].training
    x = np.ones((2, 4), dtype=np.float32)
    np.testing.assert_array_equal(net(x).numpy(), net(x).numpy())  # dropout is off in eval
    net.train()
    assert net.blocks[1].training
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    assert net.compute_output_shape((None, 4)) == (None, 1)
    text = repr(net)
    assert "(blocks.0): Dense('dense', in=4, units=4" in text and "(heads.b): Dense(" in text
    assert "Dropout('dropout', rate=0.5)" in text
