"""fit puts the model in training mode at every epoch start, also when the walk is skipped."""

import numpy as np

import chainrule as cr
from chainrule.callbacks import Callback
from chainrule.layers import Dense, Layer


class ModeProbe(Layer):
    """Identity that records the training flag of every forward call."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen: list[bool] = []

    def call(self, inputs):
        self.seen.append(self.training)
        return inputs


class EvalAtEpochEnd(Callback):
    """Puts one sub-layer (not the model) in evaluation mode after every epoch."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def on_epoch_end(self, epoch, logs=None):
        self.layer.eval()


def _data():
    rng = np.random.default_rng(0)
    return rng.random((8, 3), dtype=np.float32), rng.integers(0, 2, 8)


def test_submodule_put_in_eval_by_a_callback_trains_again_next_epoch():
    probe = ModeProbe()
    model = cr.Sequential([Dense(4, input_dim=3), probe, Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, callbacks=[EvalAtEpochEnd(probe)])
    train_calls = probe.seen[-3:]  # the probe call of fit's input check runs in eval mode
    assert train_calls == [True, True, True]
    assert not model.training  # fit leaves the model in evaluation mode


def test_every_epoch_starts_in_training_mode_after_validation():
    probe = ModeProbe()
    model = cr.Sequential([Dense(4, input_dim=3), probe, Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(x, y))
    # per epoch: one training batch (True), one validation batch (False)
    assert probe.seen[-6:] == [True, False, True, False, True, False]


def test_a_model_overriding_train_is_called_every_epoch():
    calls = []

    class Tracked(cr.Sequential):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(mode)

    model = Tracked([Dense(4, input_dim=3), Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x, y = _data()
    calls.clear()
    model.fit(x, y, epochs=4, batch_size=8, verbose=0)
    assert calls.count(True) >= 4
