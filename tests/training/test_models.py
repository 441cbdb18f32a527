"""Functional API (several inputs/outputs, shared layers), subclassed models, config, resume."""

import json

import numpy as np
import pytest
from training_helpers import small_mlp, weights

import chainrule
from chainrule import Input, Model
from chainrule.callbacks import Callback
from chainrule.layers import Dense
from chainrule.losses import SparseCategoricalCrossentropy


def two_in_two_out():
    a, b = Input(shape=(4,), name="a"), Input(shape=(2,), name="b")
    shared = Dense(6, activation="tanh", name="shared")
    ha, hb = shared(a), shared(Dense(4, name="lift")(b))
    out_cls = Dense(3, name="cls")(ha)
    out_reg = Dense(1, name="reg")(hb)
    return Model([a, b], [out_cls, out_reg])


def test_functional_two_inputs_two_outputs_shared_layer(blobs):
    x, y = blobs
    xb = x[:, :2] * 2
    target = x[:, :1] - x[:, 1:2]
    model = two_in_two_out()
    assert model.output_names == ["cls", "reg"] and model.input_names == ["a", "b"]
    assert len(model.layers) == 4  # the shared Dense appears once
    assert model.count_params() == (4 * 6 + 6) + (2 * 4 + 4) + (6 * 3 + 3) + (6 + 1)
    model.compile(
        "adam",
        loss={"cls": SparseCategoricalCrossentropy(from_logits=True), "reg": "mse"},
        metrics={"cls": ["accuracy"], "reg": ["mae"]},
        loss_weights={"cls": 1.0, "reg": 0.5},
    )
    hist = model.fit({"a": x, "b": xb}, [y, target], epochs=2, batch_size=32, verbose=0)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"} == set(hist.history)
    logs = model.evaluate([x, xb], {"cls": y, "reg": target}, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + 0.5 * logs["reg_loss"], rel=1e-5)
    cls_out, reg_out = model.predict([x, xb])
    assert cls_out.shape == (300, 3) and reg_out.shape == (300, 1)
    text = model.summary(print_fn=lambda s: None)
    assert "shared (Dense)" in text and "(None, 6)" in text


def test_functional_config_round_trip(blobs):
    x, _ = blobs
    model = two_in_two_out()
    config = json.loads(json.dumps(model.get_config()))
    clone = Model.from_config(config)
    clone.load_state_dict(model.state_dict())
    for got, want in zip(clone.predict([x, x[:, :2]]), model.predict([x, x[:, :2]])):
        np.testing.assert_array_equal(got, want)
    assert len(clone.layers) == len(model.layers)


def test_functional_errors():
    a = Input(shape=(3,))
    with pytest.raises(ValueError, match="expects 3 input features|shape"):
        Dense(2)(Dense(4, input_dim=5)(a))
    stray = Input(shape=(3,), name="stray")
    with pytest.raises(ValueError, match="'stray'"):
        Model(a, Dense(1)(stray))
    with pytest.raises(ValueError, match="positive"):
        Input(shape=(0,))


class TwoTower(Model):
    def __init__(self):
        super().__init__(name="two_tower")
        self.hidden = Dense(8, activation="relu")
        self.out = Dense(3)
        self.calls_in_training = []

    def call(self, x, training=False):
        self.calls_in_training.append(training)
        return self.out(self.hidden(x))


def test_subclassed_model(blobs):
    x, y = blobs
    model = TwoTower()
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, epochs=1, batch_size=100, verbose=0)
    assert model.calls_in_training.count(True) == 3
    model.predict(x[:4])
    assert model.calls_in_training[-1] is False
    assert len(model.parameters()) == 4 and "hidden.kernel" in model.state_dict()
    with pytest.raises(NotImplementedError, match="subclassed Model"):
        model.get_config()
    # the hand-written loop on the same model
    loss = SparseCategoricalCrossentropy(from_logits=True)(y[:10], model(x[:10]))
    loss.backward()
    assert model.hidden.kernel.grad is not None


class StopAfter(Callback):
    """Simulates a crash: raises after batch ``k`` of epoch ``epoch``."""

    def __init__(self, epoch, k):
        super().__init__()
        self.epoch, self.k = epoch, k

    def on_train_batch_end(self, batch, logs=None):
        if self.model.train_state["epoch"] == self.epoch and batch == self.k:
            raise KeyboardInterrupt


class Resume(Callback):
    def __init__(self, state):
        super().__init__()
        self.state = state

    def on_train_begin(self, logs=None):
        self.model.resume_state = self.state


def test_interrupted_run_resumes_bit_identically(blobs):
    x, y = blobs
    kwargs = {"epochs": 3, "batch_size": 32, "verbose": 0}

    def fresh():
        chainrule.manual_seed(11)
        model = chainrule.Sequential(
            [Dense(8, activation="relu"), chainrule.layers.Dropout(0.3), Dense(3)]
        )
        model.compile("adam", SparseCategoricalCrossentropy(from_logits=True))
        model(x[:1])
        return model

    reference = fresh()
    reference.fit(x, y, **kwargs)

    crashed = fresh()
    with pytest.raises(KeyboardInterrupt):
        crashed.fit(x, y, callbacks=[StopAfter(1, 4)], **kwargs)
    state = dict(crashed.train_state)
    assert state["epoch"] == 1 and state["batch"] == 5 and len(state["order"]) == 300
    saved = (weights(crashed), crashed.optimizer.state_dict(), chainrule.random.get_state())

    chainrule.manual_seed(999)  # a new process: everything comes from the checkpoint
    resumed = fresh()
    resumed.load_state_dict(saved[0])
    resumed.optimizer.build(resumed.trainable_parameters())
    resumed.optimizer.load_state_dict(saved[1])
    chainrule.random.set_state(saved[2])
    resumed.fit(x, y, callbacks=[Resume(state)], **kwargs)
    assert resumed.resume_state is None
    for k, v in weights(reference).items():
        np.testing.assert_array_equal(weights(resumed)[k], v)


def test_stop_training_flag(blobs):
    x, y = blobs
    model = small_mlp()
    model.compile("sgd", SparseCategoricalCrossentropy(from_logits=True))

    class Stop(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    hist = model.fit(x, y, epochs=5, batch_size=10, verbose=0, callbacks=[Stop()])
    assert hist.epoch == [0] and model.optimizer.iterations == 3
    hist = model.fit(x, y, epochs=3, batch_size=100, verbose=0, initial_epoch=1)
    assert hist.epoch == [1, 2] and model.optimizer.iterations == 3 + 6


def test_data_loader_input(blobs):
    from chainrule.data import DataLoader

    x, y = blobs
    model = small_mlp()
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    loader = DataLoader((x, y), batch_size=50, shuffle=True)
    hist = model.fit(
        loader, epochs=2, verbose=0, validation_data=DataLoader((x, y), batch_size=100)
    )
    assert model.optimizer.iterations == 12 and "val_accuracy" in hist.history
    assert model.predict(DataLoader((x,), batch_size=64)).shape == (300, 3)
    with pytest.raises(ValueError, match="label 5"):
        bad = y.copy()
        bad[0] = 5
        model.fit(DataLoader((x, bad), batch_size=50), verbose=0)
