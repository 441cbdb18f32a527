"""The captured dense step (training/dense_replay.py) trains exactly as the general graph path,
is used only inside its envelope, and steps aside whenever the model changes mid-fit."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers
from chainrule.training import dense_replay
from chainrule.training.dense_replay import DenseReplay


def _model(dtype="float32", use_bias=True):
    keras.manual_seed(0)
    m = keras.Sequential([
        keras.Input((6,)),
        layers.Dense(16, activation="relu", dtype=dtype),
        layers.Dense(8, use_bias=use_bias, dtype=dtype),  # linear between: no mask below it
        layers.Dense(12, activation="relu", dtype=dtype),
        layers.Dense(4, dtype=dtype),
    ])  # fmt: skip
    m.compile(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
              keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])  # fmt: skip
    return m


def _data(n=70):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 6)).astype(np.float32), rng.integers(0, 4, n)


@pytest.fixture
def runs(monkeypatch):
    """Counts replayed steps; ``general()`` switches the replay off for the rest of the test."""
    count = {"n": 0}
    real = DenseReplay.run

    def counting(self, x, y):
        count["n"] += 1
        return real(self, x, y)

    monkeypatch.setattr(DenseReplay, "run", counting)
    count["general"] = lambda: monkeypatch.setattr(DenseReplay, "capture",
                                                   classmethod(lambda cls, step: None))  # fmt: skip
    return count


@pytest.mark.parametrize("dtype,use_bias", [("float32", True), ("float32", False),
                                            ("float64", True)])  # fmt: skip
def test_replay_trains_as_the_graph(runs, dtype, use_bias):
    x, y = _data()
    x = x.astype(dtype)
    fast = _model(dtype, use_bias)
    h_fast = fast.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert runs["n"] == 3 * 5  # every step (the last batch of 6 too)
    runs["general"]()
    slow = _model(dtype, use_bias)
    h_slow = slow.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    assert runs["n"] == 15
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(h_fast["loss"], h_slow["loss"], rtol=rtol)
    np.testing.assert_allclose(h_fast["accuracy"], h_slow["accuracy"])
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    assert fast.layers[-1].output_shape == slow.layers[-1].output_shape


def test_gradients_accumulate_onto_existing_ones(runs):
    x, y = _data(16)
    fast, slow = _model(), _model()
    for m in (fast, slow):
        for p in m.trainable_parameters():
            p.grad = np.full_like(p.data, 0.5)
    fast.train_on_batch(x, y)
    assert runs["n"] == 1
    runs["general"]()
    slow.__dict__.pop("_batch_step", None)
    slow.train_on_batch(x, y)
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_outside_the_envelope_takes_the_graph(runs):
    x, y = _data(32)
    m = _model()
    m.fit(x, y, batch_size=16, epochs=1, verbose=0, sample_weight=np.ones(32))
    assert runs["n"] == 0
    drop = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                             layers.Dropout(0.5), layers.Dense(4)])  # fmt: skip
    drop.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    drop.fit(x, y, epochs=1, verbose=0)
    probs = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="softmax")])
    probs.compile("sgd", "sparse_categorical_crossentropy")
    probs.fit(x, y, epochs=1, verbose=0)
    assert runs["n"] == 0
    with pytest.raises(ValueError, match="label 9"):
        m.fit(x, np.full(32, 9), epochs=1, verbose=0)


def test_a_change_mid_fit_leaves_the_replay(runs):
    x, y = _data(64)
    m = _model()
    frozen = {}

    class Freeze(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                m.layers[0].trainable = False
                frozen["kernel"] = m.layers[0].kernel.numpy().copy()

    m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, callbacks=[Freeze()])
    assert runs["n"] == 2  # batches 0 and 1; then the structure changed
    np.testing.assert_array_equal(m.layers[0].kernel.numpy(), frozen["kernel"])


def test_capture_refuses_other_setups():
    m = _model()
    m.fit(*_data(16), verbose=0)  # binds the Step
    step = m.__dict__.get("_batch_step")
    assert step is None  # fit keeps no Step; build one as train_on_batch does
    m.train_on_batch(*_data(16))
    step = m.__dict__["_batch_step"][1]
    assert isinstance(DenseReplay.capture(step), DenseReplay)
    m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    m.train_on_batch(*_data(16))
    assert DenseReplay.capture(m.__dict__["_batch_step"][1]) is None
    assert dense_replay._NAME == "sparse_categorical_crossentropy"
