"""Held-out style: writing new layers (the Keras guide "Making new layers and models via
subclassing") and freezing layers for fine-tuning."""

import numpy as np

import chainrule as keras
from chainrule import layers, ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class ComputeSum(keras.layers.Layer):
    """A layer with a non-trainable weight updated in call."""

    def __init__(self, input_dim, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_weight(
            initializer="zeros", shape=(input_dim,), trainable=False, name="total"
        )

    def call(self, inputs):
        self.total.assign(self.total + ops.sum(inputs, axis=0))
        return inputs


class MLPBlock(keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = ops.relu(self.linear_2(x))
        return self.linear_3(x)


x = ops.ones((2, 2))
linear_layer = Linear(4)
print(linear_layer(x).shape, len(linear_layer.weights), len(linear_layer.trainable_weights))

my_sum = ComputeSum(2)
my_sum(x)
print("total after two calls:", ops.convert_to_numpy(my_sum(x)).shape, my_sum.total.numpy())
print(
    "non-trainable:", len(my_sum.non_trainable_weights), "trainable:", len(my_sum.trainable_weights)
)

mlp = MLPBlock()
y = mlp(ops.ones(shape=(3, 64)))
print("MLPBlock weights:", len(mlp.weights), "trainable:", len(mlp.trainable_weights))

# fine-tuning: freeze a base, train a head, then unfreeze
base = keras.Sequential([layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu")])
inputs = keras.Input(shape=(8,))
features = base(inputs)
outputs = layers.Dense(1)(features)
model = keras.Model(inputs, outputs)
rng = np.random.default_rng(0)
data = rng.normal(size=(128, 8)).astype("float32")
target = data.sum(axis=1, keepdims=True)

base.trainable = False
before = [w.copy() for w in base.get_weights()]
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
model.fit(data, target, epochs=3, verbose=0)
assert all(np.array_equal(a, b) for a, b in zip(before, base.get_weights())), "frozen base moved"
print("trainable weights while frozen:", len(model.trainable_weights))

base.trainable = True
model.compile(optimizer="adam", loss="mse")
model.fit(data, target, epochs=1, verbose=0)
assert not all(np.array_equal(a, b) for a, b in zip(before, base.get_weights()))
print("trainable weights after unfreezing:", len(model.trainable_weights))
