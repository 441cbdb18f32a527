"""Keras's "Simple MNIST convnet" (keras.io/examples/vision/mnist_convnet) on chainrule.

Written as the keras.io recipe: pixels scaled to [0, 1] with a channel axis, one-hot labels,
Conv2D(32, 3, relu) → MaxPooling2D(2) → Conv2D(64, 3, relu) → MaxPooling2D(2) → Flatten →
Dropout(0.5) → Dense(10, softmax), categorical cross-entropy, Adam, batch 128, 15 epochs,
validation_split 0.1. Only the import changed (``import chainrule as keras``).

    python examples/keras/mnist_convnet.py                  # the recipe: 15 epochs, all data
    python examples/keras/mnist_convnet.py --epochs 1 --subset 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as keras
from chainrule import layers


def build_model() -> keras.Sequential:
    """The recipe's model: 34,826 parameters."""
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    )


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--subset", type=int, default=None, help="the first N training images")
    parser.add_argument("--test-subset", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--verbose", type=int, default=2)
    parser.add_argument(
        "--test-each-epoch",
        action="store_true",
        help="also print the test accuracy after every epoch (long runs)",
    )
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train = x_train[: args.subset], y_train[: args.subset]
    x_test, y_test = x_test[: args.test_subset], y_test[: args.test_subset]
    x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
    x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

    model = build_model()
    if args.verbose:
        model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    callbacks = []
    if args.test_each_epoch:
        report = lambda epoch, logs: print(
            f"epoch {epoch + 1}: test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}"
            f" ({time.perf_counter() - start:.0f} s)",
            flush=True,
        )
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=report))
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
              validation_split=0.1, verbose=args.verbose, callbacks=callbacks)  # fmt: skip
    score = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    print(f"Training wall time: {time.perf_counter() - start:.0f} s for {args.epochs} epochs")
    return float(score[1])


if __name__ == "__main__":
    main()
