"""The captured dense step (training/dense_replay.py) trains exactly as the general graph path,
is used only inside its envelope, and steps aside whenever the model changes mid-fit."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers, optim
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

    def counting(self, x, y, optimizer=None):
        count["n"] += 1
        out = real(self, x, y, optimizer)
        count["fused"] = count.get("fused", 0) + out[2]
        return out

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


# ----------------------------------------------------------------------------- fused SGD update
def _fit_pair(opt_factory, runs, epochs=3, **fit):
    """The same model and data trained with the replay (``fast``) and the graph (``slow``)."""
    x, y = _data()
    fast = _model()
    fast.compile(opt_factory(), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    fast.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0, **fit)
    replayed = runs["n"]
    runs["general"]()
    slow = _model()
    slow.compile(opt_factory(), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    slow.fit(x, y, batch_size=16, epochs=epochs, shuffle=False, verbose=0, **fit)
    assert runs["n"] == replayed
    return fast, slow, replayed


@pytest.mark.parametrize(
    "factory",
    [
        lambda: keras.optimizers.SGD(0.05, momentum=0.9),  # Keras's form v = μv − lr·g
        lambda: keras.optimizers.SGD(
            keras.optimizers.schedules.ExponentialDecay(0.05, 4, 0.5), momentum=0.9
        ),
        lambda: optim.SGD(None, lr=0.05, momentum=0.9),  # PyTorch's form v = μv + g
        lambda: optim.SGD(None, lr=0.05, momentum=0.8, dampening=0.3),
    ],
)
def test_sgd_momentum_update_is_fused_and_matches_the_optimizer(runs, factory):
    from chainrule.ops import _blas

    fast, slow, replayed = _fit_pair(factory, runs)
    assert replayed == 15
    assert runs["fused"] == (15 if _blas.available() else 0)
    assert fast.optimizer.iterations == slow.optimizer.iterations == 15
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    fs, ss = fast.optimizer.state_dict()["state"], slow.optimizer.state_dict()["state"]
    assert fs.keys() == ss.keys() and len(fs) == 8
    for k in fs:
        np.testing.assert_allclose(fs[k]["momentum_buffer"], ss[k]["momentum_buffer"],
                                   rtol=1e-5, atol=1e-6)  # fmt: skip
    assert all(p.grad is None for p in fast.trainable_parameters())


@pytest.mark.parametrize(
    "factory",
    [
        lambda: keras.optimizers.SGD(0.05),  # no momentum: nothing to fuse
        lambda: keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
        lambda: keras.optimizers.SGD(0.05, momentum=0.9, clipnorm=0.1),
        lambda: keras.optimizers.SGD(0.05, momentum=0.9, weight_decay=0.01),
        lambda: keras.optimizers.Adam(0.01),
        lambda: optim.SGD(None, lr=0.05, momentum=0.9, maximize=True),
        lambda: optim.SGD(None, lr=0.05, momentum=0.9, weight_decay=0.01),
    ],
)
def test_other_optimizers_keep_their_own_step(runs, factory):
    fast, slow, replayed = _fit_pair(factory, runs, epochs=2)
    assert replayed == 10 and runs.get("fused", 0) == 0
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_gradient_observers_get_gradients_not_a_fused_step(runs):
    x, y = _data(32)
    m = _model()
    seen = []
    m._gradient_observers = [lambda params: seen.append(all(p.grad is not None for p in params))]
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert seen == [True, True] and runs["n"] == 2 and runs.get("fused", 0) == 0


def test_fused_step_without_blas_falls_back(runs, monkeypatch):
    from chainrule.ops import _blas

    monkeypatch.setattr(_blas, "gemm_at_b", lambda *a: False)
    fast, slow, _ = _fit_pair(lambda: keras.optimizers.SGD(0.05, momentum=0.9), runs)
    for a, b in zip(fast.get_weights(), slow.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
