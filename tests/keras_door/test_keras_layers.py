"""Keras-door layer mechanics: the multi-input fix, merge layers, Layer API, Lambda, saving."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers, ops


def _two_branch_model(merge):
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(3,))
    left, right = layers.Dense(4, name="left"), layers.Dense(4, name="right")
    out = layers.Dense(1, name="head")(merge([left(a), right(b)]))
    return keras.Model([a, b], out), left, right


@pytest.mark.parametrize(
    "merge",
    [layers.Concatenate(), layers.Add(), layers.Subtract(), layers.Multiply(), layers.Average(),
     layers.Maximum(), layers.Minimum(), layers.Dot(axes=1)],
    ids=lambda m: type(m).__name__,
)  # fmt: skip
def test_both_branches_of_a_two_input_model_get_gradients(merge):
    model, left, right = _two_branch_model(merge)
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    loss = ops.sum(ops.square(model([xa, xb])))
    loss.backward()
    for layer in (left, right):
        assert layer.kernel.grad is not None and np.abs(layer.kernel.grad).sum() > 0


def test_user_layer_receives_the_list_of_tensors_with_their_graph():
    seen = {}

    class Merge(layers.Layer):
        def call(self, inputs):
            seen["types"] = [type(t).__name__ for t in inputs]
            seen["grad"] = [t.requires_grad for t in inputs]
            return inputs[0] * inputs[1]

    dense_a, dense_b = layers.Dense(2), layers.Dense(2)
    x = np.ones((3, 2), dtype=np.float32)
    out = Merge()([dense_a(x), dense_b(x)])
    ops.sum(out).backward()
    assert seen == {"types": ["Tensor", "Tensor"], "grad": [True, True]}
    assert dense_a.kernel.grad is not None and dense_b.kernel.grad is not None


def test_fit_trains_both_branches():
    model, left, right = _two_branch_model(layers.Concatenate())
    before = [left.kernel.numpy().copy(), right.kernel.numpy().copy()]
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(64, 3)), rng.normal(size=(64, 3))
    y = xa[:, :1] - xb[:, 1:2]
    model.compile(optimizer="adam", loss="mse")
    model.fit([xa, xb], y, epochs=2, verbose=0)
    assert not np.array_equal(before[0], left.kernel.numpy())
    assert not np.array_equal(before[1], right.kernel.numpy())


def test_merge_values_match_numpy():
    rng = np.random.default_rng(2)
    a, b, c = (rng.normal(size=(4, 3)).astype(np.float32) for _ in range(3))
    np.testing.assert_allclose(layers.add([a, b, c]).numpy(), a + b + c, rtol=1e-6)
    np.testing.assert_allclose(layers.subtract([a, b]).numpy(), a - b)
    np.testing.assert_allclose(layers.multiply([a, b]).numpy(), a * b)
    np.testing.assert_allclose(layers.average([a, b, c]).numpy(), (a + b + c) / 3, rtol=1e-6)
    np.testing.assert_allclose(layers.maximum([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(layers.minimum([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(layers.concatenate([a, b]).numpy(), np.concatenate([a, b], -1))
    np.testing.assert_allclose(layers.dot([a, b], axes=1).numpy(), (a * b).sum(1, keepdims=True),
                               rtol=1e-6)  # fmt: skip
    cos = layers.Dot(axes=-1, normalize=True)([a, b]).numpy()[:, 0]
    want = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos, want, rtol=1e-5)


def test_merge_errors_name_the_layer_and_shapes():
    a, b = np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match=r"Add 'add.*': inputs must have the same shape"):
        layers.Add()([a, b])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([a, a, a])
    with pytest.raises(TypeError, match="list of tensors"):
        layers.Concatenate()(a)
    with pytest.raises(ValueError, match="all axes but the concatenation axis"):
        layers.Concatenate(axis=1)([np.zeros((2, 3, 1)), np.zeros((2, 4, 2))])
    sym = keras.Input(shape=(3,))
    with pytest.raises(ValueError, match="same shape"):
        layers.Add()([sym, keras.Input(shape=(4,))])


def test_layer_api_add_weight_trainable_and_weights():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.k = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="k")
            self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, inputs, training=None):
            self.last_training = training
            return inputs * self.k

    layer = Scale(name="s")
    y = layer(np.ones((2, 3), np.float32))
    assert y.shape == (2, 3) and layer.built
    assert [w.shape for w in layer.trainable_weights] == [(3,)]
    assert [w.shape for w in layer.non_trainable_weights] == [()]
    assert len(layer.weights) == 2 and layer.last_training is True
    assert list(layer.state_dict()) == ["k", "variable"]
    layer.set_weights([np.full(3, 2.0), np.array(5.0)])
    np.testing.assert_array_equal(layer.get_weights()[0], [2, 2, 2])
    with pytest.raises(ValueError, match="got 1 arrays, expected 2"):
        layer.set_weights([np.ones(3)])
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2
    layer.eval()
    layer(np.ones((1, 3), np.float32))
    assert layer.last_training is False
    assert layer.get_config() == {"name": "s", "dtype": "float32", "trainable": False}


def test_add_weight_regularizer_and_constraint_are_used():
    class W(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2,), initializer="ones", regularizer="l2",
                                     constraint=keras.constraints.NonNeg())  # fmt: skip

        def call(self, inputs):
            return inputs * self.w

    layer = W()
    layer(np.ones((1, 2), np.float32))
    assert float(layer.regularization_loss().data) == pytest.approx(0.01 * 2)
    layer.w.data[...] = -1
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.w.numpy(), [0, 0])


def test_input_shape_kwarg_builds_sequential_and_unknown_kwargs_raise():
    model = keras.Sequential([layers.Dense(4, input_shape=(7,)), layers.Dense(2)])
    assert model.layers[0].kernel.shape == (7, 4)
    model2 = keras.Sequential([layers.InputLayer(shape=(5,)), layers.Dense(2)])
    assert model2.layers[0].kernel.shape == (5, 2)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['unitz'\]"):
        layers.Dense(3, unitz=4)


def test_activation_layers():
    x = np.array([[-2.0, -0.5, 0.5, 3.0]], np.float32)
    np.testing.assert_allclose(layers.ReLU()(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(layers.ReLU(max_value=1.0)(x).numpy(), np.clip(x, 0, 1))
    np.testing.assert_allclose(layers.ReLU(negative_slope=0.1, threshold=1.0)(x).numpy(),
                               np.where(x >= 1, x, 0.1 * (x - 1)), rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose(layers.LeakyReLU()(x).numpy(), np.where(x > 0, x, 0.3 * x))
    np.testing.assert_allclose(layers.ELU()(x).numpy(), np.where(x > 0, x, np.expm1(x)), rtol=1e-6)
    s = layers.Softmax()(x).numpy()
    np.testing.assert_allclose(s, np.exp(x) / np.exp(x).sum(), rtol=1e-6)
    assert layers.Identity()(x) is not None
    noise = layers.GaussianNoise(0.5)
    assert np.array_equal(noise.eval()(x).numpy(), x)
    assert not np.array_equal(noise.train()(x).numpy(), x)


def test_lambda_layer_and_its_saving_rules(tmp_path):
    model = keras.Sequential([keras.Input(shape=(2,)), layers.Lambda(lambda t: t * 3)])
    np.testing.assert_allclose(model.predict(np.ones((1, 2))), [[3, 3]])
    with pytest.raises(ValueError, match="anonymous function"):
        model.save(tmp_path / "m.keras")

    def triple(t):
        return t * 3

    named = keras.Sequential([keras.Input(shape=(2,)), layers.Lambda(triple)])
    named.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match="custom_objects"):
        keras.models.load_model(tmp_path / "m.keras")
    back = keras.models.load_model(tmp_path / "m.keras", custom_objects={"triple": triple})
    np.testing.assert_allclose(back.predict(np.ones((1, 2))), [[3, 3]])


def test_custom_layer_needs_custom_objects(tmp_path):
    class Twice(layers.Layer):
        def call(self, inputs):
            return inputs * 2

    inp = keras.Input(shape=(3,))
    model = keras.Model(inp, layers.Dense(2)(Twice()(inp)))
    model.save(tmp_path / "t.keras")
    with pytest.raises(ValueError, match="Twice"):
        keras.models.load_model(tmp_path / "t.keras")
    back = keras.models.load_model(tmp_path / "t.keras", custom_objects={"Twice": Twice})
    x = np.ones((2, 3), np.float32)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    back.set_weights([np.zeros_like(w) for w in back.get_weights()])
    back.load_weights(path)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


def test_nn_module_trains_inside_keras_sequential():
    class Affine(keras.nn.Module):
        """A torch-style module: explicit sizes, forward, a Parameter."""

        def __init__(self):
            super().__init__()
            self.weight = keras.nn.Parameter(np.full((3, 1), 0.1, dtype=np.float32))

        def forward(self, x):
            return x @ self.weight

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = keras.Sequential([Affine()])
    model.compile(optimizer=keras.optim.get("adam", lr=0.05), loss="mse")
    hist = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]


def test_optimizer_apply():
    from chainrule import optim

    w = keras.nn.Parameter(np.ones(3, np.float32))
    opt = optim.get("sgd")
    opt.apply([np.full(3, 2.0, np.float32)], [w])
    np.testing.assert_allclose(w.numpy(), 1 - 0.01 * 2)
    with pytest.raises(ValueError, match="1 gradients for 2 variables"):
        opt.apply([np.ones(3)], [w, w])


def test_backup_and_restore_takes_a_directory(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)

    class Stop(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")

    def fresh():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(1)])
        m.compile(optimizer="sgd", loss="mse")
        return m

    backup = keras.callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="interrupted"):
        fresh().fit(x, y, epochs=4, callbacks=[backup, Stop()], verbose=0)
    assert (tmp_path / "backup" / "latest.checkpoint.zip").exists()
    again = keras.callbacks.BackupAndRestore(tmp_path / "backup")
    fresh().fit(x, y, epochs=4, callbacks=[again], verbose=0)
    assert again.restored_from is not None  # resumed from the backup
    assert not (tmp_path / "backup" / "latest.checkpoint.zip").exists()  # delete_checkpoint


def test_training_argument_sets_the_mode_for_one_call():
    x = np.ones((4, 200), np.float32)
    drop = layers.Dropout(0.5)
    drop.eval()
    assert (drop(x, training=True).numpy() == 0).any() and not drop.training
    drop.train()
    np.testing.assert_array_equal(drop(x, training=False).numpy(), x)
    model = keras.Sequential([keras.Input(shape=(200,)), layers.Dropout(0.5)])
    model.train()
    np.testing.assert_array_equal(model(x, training=False).numpy(), x)

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.5)
            self.calls = 0

        def call(self, inputs):  # no training argument: the mode comes from the outer call
            self.calls += 1
            return self.drop(inputs)

    net = Net()
    net.eval()
    assert (net(x, training=True).numpy() == 0).any() and net.calls == 1  # no extra build pass
    net.build((None, 200))
    assert net.calls == 2 and net.built


def test_sequential_add_with_input():
    model = keras.Sequential(name="stack")
    model.add(keras.Input(shape=(4,)))
    model.add(layers.Dense(3))
    assert model.layers[0].kernel.shape == (4, 3)
    model2 = keras.Sequential()
    model2.add(layers.Dense(2, input_shape=(6,)))
    assert model2.layers[0].kernel.shape == (6, 2)
    with pytest.raises(ValueError, match="first entry"):
        model.add(keras.Input(shape=(3,)))


def test_normalization_adapt_and_rescaling(tmp_path):
    data = np.array([[1.0, 2.0], [3.0, 6.0]], np.float32)
    norm = layers.Normalization()
    norm.adapt(data)
    np.testing.assert_allclose(norm(data[:1]).numpy(), [[-1.0, -1.0]])  # Keras 3.15.1 gives this
    inv = layers.Normalization(mean=norm.mean, variance=norm.variance, invert=True)
    np.testing.assert_allclose(inv(norm(data)).numpy(), data, rtol=1e-6)
    np.testing.assert_allclose(layers.Rescaling(0.5, offset=1.0)(data).numpy(), data * 0.5 + 1)
    model = keras.Sequential([keras.Input(shape=(2,)), norm, layers.Dense(1)])
    model.save(tmp_path / "n.keras")
    back = keras.models.load_model(tmp_path / "n.keras")
    np.testing.assert_array_equal(back.predict(data), model.predict(data))
    with pytest.raises(ValueError, match="mean has 3 values for 2 features"):
        layers.Normalization(mean=[0, 0, 0], variance=[1, 1, 1])(data)


def test_flatten_channels_first_and_dropout_seed():
    x = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    out = layers.Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(out, x.transpose(0, 2, 3, 1).reshape(2, -1))
    np.testing.assert_array_equal(layers.Flatten()(x).numpy(), x.reshape(2, -1))
    with pytest.raises(ValueError, match="data_format"):
        layers.Flatten(data_format="nchw")
    drop = layers.Dropout(0.5, seed=3)
    assert drop.get_config()["seed"] == 3
