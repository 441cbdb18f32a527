"""A functional model with two inputs and two outputs joined by `concatenate`, a custom layer
(build / add_weight / call / get_config), saved to .keras and reloaded with custom_objects."""

import os
import tempfile

import numpy as np

import chainrule as keras
from chainrule import layers, ops


class ScaledDense(layers.Layer):
    """Dense with a learned per-unit scale; a trainable and a non-trainable weight."""

    def __init__(self, units, scale_init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale_init = scale_init

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            trainable=True,
            name="kernel",
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.scale = self.add_weight(
            shape=(self.units,),
            initializer=keras.initializers.Constant(self.scale_init),
            trainable=False,
            name="scale",
        )

    def call(self, inputs):
        return ops.relu(ops.matmul(inputs, self.w) + self.b) * self.scale

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "scale_init": self.scale_init})
        return config


rng = np.random.default_rng(0)
n = 512
title = rng.normal(size=(n, 8)).astype("float32")
body = rng.normal(size=(n, 12)).astype("float32")
priority = (title[:, :1] + body[:, :1] > 0).astype("float32")
department = (np.abs(title[:, 1]) + np.abs(body[:, 2]) > 1.2).astype("int64")

title_input = keras.Input(shape=(8,), name="title")
body_input = keras.Input(shape=(12,), name="body")
t = layers.Dense(16, activation="relu")(title_input)
b = ScaledDense(16, scale_init=0.5)(body_input)
x = layers.concatenate([t, b])
x = layers.Dense(16, activation="relu")(x)
priority_pred = layers.Dense(1, activation="sigmoid", name="priority")(x)
department_pred = layers.Dense(2, name="department")(x)
model = keras.Model(inputs=[title_input, body_input], outputs=[priority_pred, department_pred])

model.compile(
    optimizer="adam",
    loss={
        "priority": keras.losses.BinaryCrossentropy(),
        "department": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    },
    loss_weights={"priority": 1.0, "department": 0.5},
    metrics={"priority": ["accuracy"], "department": ["accuracy"]},
)
history = model.fit(
    {"title": title, "body": body},
    {"priority": priority, "department": department},
    epochs=15,
    batch_size=32,
    verbose=0,
)
print("final loss", history.history["loss"][-1])

path = os.path.join(tempfile.mkdtemp(), "two_io.keras")
model.save(path)
reloaded = keras.models.load_model(path, custom_objects={"ScaledDense": ScaledDense})
a = model.predict([title, body], verbose=0)
b = reloaded.predict([title, body], verbose=0)
np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
np.testing.assert_allclose(a[1], b[1], rtol=1e-6)
print("reloaded predictions match")
