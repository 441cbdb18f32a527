"""train_on_batch / test_on_batch keep their prepared Step between calls, and drop it whenever
the model changes in a way that Step had bound (frozen weights, recompiling, new constraints,
dtype), while a new input shape is still checked."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers


def _model():
    keras.manual_seed(0)
    m = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
    m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _data(n=16, features=4):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, features)).astype(np.float32), rng.integers(0, 3, n)


def test_reused_step_sees_structural_changes():
    m = _model()
    x, y = _data()
    m.train_on_batch(x, y)
    first = m.__dict__["_batch_step"][1]
    m.train_on_batch(x, y)
    assert m.__dict__["_batch_step"][1] is first  # nothing changed: the same Step
    frozen = m.layers[0].kernel.numpy().copy()
    m.layers[0].trainable = False
    m.train_on_batch(x, y)
    np.testing.assert_array_equal(m.layers[0].kernel.numpy(), frozen)
    assert m.__dict__["_batch_step"][1] is not first
    m.layers[0].trainable = True
    m.compile(keras.optimizers.SGD(learning_rate=0.0),
              keras.losses.SparseCategoricalCrossentropy(from_logits=True))  # fmt: skip
    before = [w.copy() for w in m.get_weights()]
    m.train_on_batch(x, y)  # the new optimizer (lr 0) is the one stepping
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    m.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.layers[1]._constraints["kernel"] = keras.constraints.NonNeg()
    m.train_on_batch(x, y)
    assert (m.layers[1].kernel.numpy() >= 0).all()


def test_reused_step_checks_new_inputs_and_matches_a_fresh_one():
    m, fresh = _model(), _model()
    x, y = _data()
    for _ in range(3):
        a = m.train_on_batch(x, y)
        fresh.__dict__.pop("_batch_step", None)  # a fresh Step every call, as before
        b = fresh.train_on_batch(x, y)
        assert a == pytest.approx(b, rel=1e-6)
    with pytest.raises(ValueError, match="train_on_batch"):
        m.train_on_batch(*_data(features=5))
    with pytest.raises(ValueError):
        m.train_on_batch(x, np.full(16, 7))  # a label out of range is still caught
    assert m.test_on_batch(x, y) == pytest.approx(fresh.test_on_batch(x, y), rel=1e-6)
