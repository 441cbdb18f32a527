"""keras.ops wrappers (gradients by finite differences), utils, losses and metrics of the Keras
door against reference numbers (Keras 3.15.1 / scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import r2_score

import chainrule as keras
from chainrule import gradcheck, ops

RNG = np.random.default_rng(7)
X = RNG.uniform(0.5, 2.0, size=(3, 4))

GRAD_CASES = {
    "square": lambda x: ops.square(x),
    "log1p": lambda x: ops.log1p(x),
    "expm1": lambda x: ops.expm1(x),
    "cumsum0": lambda x: ops.cumsum(x, axis=0),
    "cumsum_flat": lambda x: ops.cumsum(x),
    "tile": lambda x: ops.tile(x, (2, 3)),
    "repeat": lambda x: ops.repeat(x, 2, axis=1),
    "take": lambda x: ops.take(x, [3, 0, 0], axis=1),
    "take_flat": lambda x: ops.take(x, [5, 1]),
    "norm": lambda x: ops.norm(x, axis=1),
    "norm1": lambda x: ops.norm(x, ord=1),
    "prod": lambda x: ops.prod(x, axis=1),
    "sort": lambda x: ops.sort(x, axis=0),
    "top_k": lambda x: ops.top_k(x, 2)[0],
    "dot": lambda x: ops.dot(x, ops.transpose(x)),
    "divide": lambda x: ops.divide(x, ops.expand_dims(ops.sum(x, axis=1), -1)),
    "power": lambda x: ops.power(x, 3.0),
    "cast": lambda x: ops.cast(x, "float64") * 2,
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_keras_ops_gradients_match_finite_differences(name):
    x = keras.tensor(X.copy(), requires_grad=True, dtype="float64")
    assert gradcheck(GRAD_CASES[name], (x,))


def test_keras_ops_values():
    x = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]], np.float32)
    assert ops.argmax(x, axis=1).numpy().tolist() == [0, 1]
    assert ops.argsort(x, axis=-1).numpy().tolist() == [[1, 2, 0], [0, 2, 1]]
    vals, idx = ops.top_k(x, 2)
    assert vals.numpy().tolist() == [[3, 2], [5, 4]] and idx.numpy().tolist() == [[0, 2], [1, 2]]
    np.testing.assert_array_equal(ops.one_hot(np.array([2, 0]), 3).numpy(), np.eye(3)[[2, 0]])
    assert ops.shape(x) == (2, 3) and ops.size(x) == 6
    assert ops.convert_to_tensor([1.5]).dtype == np.float32
    assert ops.arange(3).numpy().dtype.kind == "i" and ops.arange(0.0, 1.0, 0.5).dtype == np.float32
    assert ops.equal(x, 3.0).numpy().tolist() == [[True, False, False], [False, False, False]]
    np.testing.assert_allclose(ops.cumsum(x, axis=1).numpy(), np.cumsum(x, axis=1))
    np.testing.assert_allclose(ops.norm(x).numpy(), np.linalg.norm(x), rtol=1e-6)
    with pytest.raises(ValueError, match="one_hot: labels must lie in"):
        ops.one_hot(np.array([3]), 3)


def test_to_categorical_normalize_and_seed():
    y = keras.utils.to_categorical(np.array([[1], [0], [2]]))
    assert y.dtype == np.float32 and y.tolist() == np.eye(3)[[1, 0, 2]].tolist()
    assert keras.utils.to_categorical([1, 0], num_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match="out of range"):
        keras.utils.to_categorical([5], num_classes=3)
    n = keras.utils.normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(n, [[0.6, 0.8], [0.0, 0.0]])
    keras.utils.set_random_seed(3)
    a = keras.layers.Dense(3)
    a.build((None, 2))
    keras.utils.set_random_seed(3)
    b = keras.layers.Dense(3)
    b.build((None, 2))
    np.testing.assert_array_equal(a.kernel.numpy(), b.kernel.numpy())


def test_py_dataset_feeds_fit():
    class Batches(keras.utils.PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.epochs_seen = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            rng = np.random.default_rng(i)
            x = rng.normal(size=(8, 3)).astype(np.float32)
            return x, x.sum(axis=1, keepdims=True)

        def on_epoch_end(self):
            self.epochs_seen += 1

    data = Batches()
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    hist = model.fit(data, epochs=3, verbose=0)
    assert len(hist.history["loss"]) == 3 and data.epochs_seen == 3


def test_label_smoothing_and_ignore_class_match_keras():
    # reference values computed with keras==3.15.1 (jax backend)
    cce = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    y = np.eye(3)[[0, 1]]
    p = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]], np.float32)
    assert float(cce(y, p).data) == pytest.approx(0.6020075678825378, rel=1e-5)
    bce = keras.losses.BinaryCrossentropy(label_smoothing=0.2)
    assert float(bce(np.array([[1.0], [0.0]]), np.array([[0.8], [0.3]], np.float32)).data) == (
        pytest.approx(0.4015888571739197, rel=1e-5)
    )
    scce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    probs = np.array(
        [[0.7, 0.2, 0.1], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8]], np.float32
    )
    logits = keras.tensor(np.log(probs), requires_grad=True)
    loss = scce(np.array([0, 2, 1, 2]), logits)
    assert float(loss.data) == pytest.approx(0.5249110460281372, rel=1e-5)
    loss.backward()
    np.testing.assert_array_equal(logits.grad[[1, 3]], 0)  # ignored rows get no gradient
    with pytest.raises(ValueError, match="label_smoothing"):
        keras.losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match="axis=-1"):
        keras.losses.CategoricalCrossentropy(axis=0)
    assert keras.losses.get("mse").get_config() == {
        "reduction": "sum_over_batch_size", "name": "mean_squared_error",
    }  # fmt: skip


def test_rmse_and_r2_match_references():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(50, 2))
    p = y + rng.normal(scale=0.5, size=(50, 2))
    rmse, r2 = keras.metrics.RootMeanSquaredError(), keras.metrics.R2Score()
    adj = keras.metrics.R2Score(num_regressors=3)
    per = keras.metrics.R2Score(class_aggregation=None)
    for lo in range(0, 50, 16):  # streamed over batches
        for m in (rmse, r2, adj, per):
            m.update_state(y[lo : lo + 16], p[lo : lo + 16])
    assert rmse.result() == pytest.approx(np.sqrt(((y - p) ** 2).mean()))
    assert r2.result() == pytest.approx(r2_score(y, p))
    np.testing.assert_allclose(per.result(), r2_score(y, p, multioutput="raw_values"))
    assert adj.result() == pytest.approx(1 - (1 - r2_score(y, p)) * 49 / 46)
    assert keras.metrics.get("RootMeanSquaredError").name == "root_mean_squared_error"
    assert keras.metrics.get("mae").name == "mae"


def test_datasets_load_data_returns_keras_arrays(data_dir, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(data_dir))
    (xt, yt), (xs, _) = keras.datasets.mnist.load_data()
    assert xt.shape == (60000, 28, 28) and xt.dtype == np.uint8
    assert yt.shape == (60000,) and yt.dtype == np.uint8 and xs.shape == (10000, 28, 28)
    (ft, fy), _ = keras.datasets.fashion_mnist.load_data()
    assert ft.shape == (60000, 28, 28) and ft.dtype == np.uint8 and fy.max() == 9


def test_seeded_initializers_repeat_and_unseeded_follow_manual_seed():
    for init in (keras.initializers.GlorotUniform(seed=3), keras.initializers.RandomNormal(seed=3),
                 keras.initializers.TruncatedNormal(stddev=1.0, seed=3),
                 keras.initializers.Orthogonal(seed=3)):  # fmt: skip
        np.testing.assert_array_equal(init((4, 3)), init((4, 3)))
        assert init.get_config()["seed"] == 3
    t = keras.initializers.TruncatedNormal(mean=1.0, stddev=0.5, seed=0)((10000,))
    assert np.abs(t - 1.0).max() <= 1.0 and abs(t.mean() - 1.0) < 0.02
    keras.utils.set_random_seed(1)
    a = keras.initializers.HeNormal()((3, 3))
    keras.utils.set_random_seed(1)
    np.testing.assert_array_equal(a, keras.initializers.HeNormal()((3, 3)))
    with pytest.raises(TypeError, match="seed must be an int"):
        keras.initializers.RandomNormal(seed="x")((2,))
    dense = keras.layers.Dense(2, kernel_initializer=keras.initializers.GlorotUniform(seed=7))
    dense.build((None, 3))
    np.testing.assert_array_equal(dense.kernel.numpy(),
                                  keras.initializers.GlorotUniform(seed=7)((3, 2)))  # fmt: skip
