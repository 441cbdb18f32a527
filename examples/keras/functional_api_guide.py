"""Held-out style: the Keras functional API guide's patterns — a shared layer, a residual
connection with `add`, multiple outputs, `model.get_layer`, `summary`, weights round trip."""

import numpy as np

import chainrule as keras
from chainrule import layers

inputs = keras.Input(shape=(20,), name="features")
x = layers.Dense(32, activation="relu", name="dense_in")(inputs)
block = layers.Dense(32, activation="relu", name="block")
y = block(x)
y = layers.add([x, y])  # residual
y = layers.LayerNormalization()(y)
z = block(y)  # the same layer again: one set of weights
z = layers.Dropout(0.1)(z)
merged = layers.Average()([y, z])
score = layers.Dense(1, name="score")(merged)
label = layers.Dense(3, activation="softmax", name="label")(merged)
model = keras.Model(inputs=inputs, outputs=[score, label], name="multi_head")
model.summary()

rng = np.random.default_rng(3)
data = rng.normal(size=(256, 20)).astype("float32")
score_target = data[:, :3].sum(axis=1, keepdims=True)
label_target = rng.integers(0, 3, size=(256,))

model.compile(
    optimizer="adam",
    loss=["mse", "sparse_categorical_crossentropy"],
    loss_weights=[1.0, 0.2],
    metrics=[["mae"], ["accuracy"]],
)
history = model.fit(data, [score_target, label_target], epochs=10, batch_size=32, verbose=0)
print(sorted(history.history))
print("shared block kernel:", model.get_layer("block").kernel.shape)

weights = model.get_weights()
clone = keras.models.clone_model(model)
clone.set_weights(weights)
np.testing.assert_allclose(
    clone.predict(data, verbose=0)[0], model.predict(data, verbose=0)[0], rtol=1e-6
)
print("clone matches")
