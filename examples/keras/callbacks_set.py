"""EarlyStopping, ModelCheckpoint, ReduceLROnPlateau and CSVLogger together, the Keras way."""

import os
import tempfile

import numpy as np

import chainrule as keras

rng = np.random.default_rng(1)
x = rng.normal(size=(600, 10)).astype("float32")
y = (x[:, 0] * x[:, 1] > 0).astype("int64")
x_val, y_val = x[500:], y[500:]
x, y = x[:500], y[:500]

workdir = tempfile.mkdtemp()
checkpoint_path = os.path.join(workdir, "best.keras")
log_path = os.path.join(workdir, "training.log")

model = keras.Sequential(
    [
        keras.layers.Dense(32, activation="relu", input_shape=(10,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint(checkpoint_path, monitor="val_loss", save_best_only=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5),
    keras.callbacks.CSVLogger(log_path),
]
history = model.fit(
    x,
    y,
    epochs=40,
    batch_size=32,
    validation_data=(x_val, y_val),
    callbacks=callbacks,
    verbose=0,
)
print("epochs run:", len(history.history["loss"]))
best = keras.models.load_model(checkpoint_path)
print("best val_loss:", min(history.history["val_loss"]))
print("checkpoint val_loss:", best.evaluate(x_val, y_val, verbose=0)[0])
with open(log_path) as f:
    print("csv header:", f.readline().strip())
