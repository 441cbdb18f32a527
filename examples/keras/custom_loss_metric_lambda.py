"""Held-out style: a custom loss function, a custom Metric subclass, a Lambda layer, keras.ops
inside them, LambdaCallback and LearningRateScheduler, then save/load with custom_objects."""

import math
import os
import tempfile

import numpy as np

import chainrule as keras
from chainrule import layers, ops


def scaled_mse(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1) * 0.5


class MaxAbsError(keras.metrics.Metric):
    def __init__(self, name="max_abs_error", **kwargs):
        super().__init__(name=name, **kwargs)
        self.worst = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        err = ops.convert_to_numpy(ops.abs(ops.convert_to_tensor(y_pred) - y_true))
        self.worst = max(self.worst, float(err.max()))

    def result(self):
        return self.worst

    def reset_state(self):
        self.worst = 0.0


def double(x):
    return x * 2.0


rng = np.random.default_rng(5)
x = rng.uniform(-1, 1, size=(400, 3)).astype("float32")
y = (np.sin(x[:, :1] * 2) + x[:, 1:2] ** 2).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(3,)),
        layers.Dense(32, activation="tanh"),
        layers.Lambda(double),
        layers.Dense(32, activation="gelu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer="adam", loss=scaled_mse, metrics=[MaxAbsError(), "mae"])

seen = []
callbacks = [
    keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["loss"])),
    keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * math.exp(-0.05)),
]
history = model.fit(x, y, epochs=20, batch_size=32, callbacks=callbacks, verbose=0)
assert seen == history.history["loss"]
print("first/last loss:", history.history["loss"][0], history.history["loss"][-1])
print("max abs error:", history.history["max_abs_error"][-1])

path = os.path.join(tempfile.mkdtemp(), "lambda_model.keras")
model.save(path)
restored = keras.saving.load_model(path, custom_objects={"double": double}, compile=False)
np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
print("restored model matches")
