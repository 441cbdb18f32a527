"""Held-out style: the Keras "basic classification" recipe on Fashion-MNIST (Flatten, Dense,
from_logits loss, a Softmax layer appended for probabilities), on a subset."""

import numpy as np

import chainrule as keras

fashion_mnist = keras.datasets.fashion_mnist
(train_images, train_labels), (test_images, test_labels) = fashion_mnist.load_data()
train_images, train_labels = train_images[:4000], train_labels[:4000]
test_images, test_labels = test_images[:1000], test_labels[:1000]
train_images = train_images / 255.0
test_images = test_images / 255.0

model = keras.Sequential(
    [
        keras.layers.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ]
)
model.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(train_images, train_labels, epochs=3, verbose=0)
test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
print("\nTest accuracy:", test_acc)

probability_model = keras.Sequential([model, keras.layers.Softmax()])
predictions = probability_model.predict(test_images)
print(predictions.shape, int(np.argmax(predictions[0])), int(test_labels[0]))
