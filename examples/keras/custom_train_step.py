"""A subclassed model with a custom train_step, as Keras 3's guide "Customizing what happens in
fit() with PyTorch" writes it (`import torch` becomes chainrule too)."""

import numpy as np

import chainrule as keras
import chainrule as torch
from chainrule import layers


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
x = np.random.random((1000, 32))
y = np.random.random((1000, 1))
history = model.fit(x, y, epochs=3, verbose=0)
print("losses", history.history["loss"])
print("mae", history.history["mae"])


class MyModel(keras.Model):
    """The guide's lower-level variant: own metrics, a plain loss function, no compiled loss."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.dense1 = layers.Dense(16, activation="relu")
        self.dense2 = layers.Dense(1)

    def call(self, inputs):
        return self.dense2(self.dense1(inputs))

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = keras.losses.mean_squared_error(y, y_pred).mean()
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


model2 = MyModel()
model2.compile(optimizer="adam")
history2 = model2.fit(x, y, epochs=5, verbose=0)
print("subclassed losses", history2.history["loss"])
