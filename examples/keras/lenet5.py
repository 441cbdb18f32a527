"""LeNet-5 (LeCun et al. 1998) on MNIST through the Keras door.

The classic layout on 28×28 digits: Conv2D(6, 5, "same") → pool → Conv2D(16, 5) → pool →
Dense(120) → Dense(84) → Dense(10, softmax), with ReLU and max pooling as modern reimplementations
use (the paper: scaled tanh, trainable subsampling, RBF output). Adam (lr 1e-3), batch 128; the
learning rate is multiplied by ``--lr-decay`` after every epoch (the paper also lowered its step
size over the epochs; ``--lr-decay 1`` keeps it constant).

Training images are distorted at random, as LeCun et al. did for their best LeNet-5 result (0.8 %
error with distortions, 0.95 % without): a shift of up to ±10 % of the height and width and a
rotation of up to ±0.03 turn (±10.8°), by the Keras augmentation layers in front of the network
(active in training only; ``--no-augment`` removes them).

    python examples/keras/lenet5.py                         # 20 epochs, all data, distortions
    python examples/keras/lenet5.py --no-augment --epochs 12 --lr-decay 0.8   # the undistorted run
    python examples/keras/lenet5.py --epochs 1 --subset 2000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as keras
from chainrule import layers


def build_lenet5(augment: bool = False) -> keras.Sequential:
    """LeNet-5 for (28, 28, 1) inputs: 61,706 parameters. ``augment``: random shifts (±10 %) and
    rotations (±0.03 turn) of the training images in front (no parameters; identity in inference).
    """
    distort = [
        layers.RandomTranslation(0.1, 0.1, fill_mode="constant"),
        layers.RandomRotation(0.03, fill_mode="constant"),
    ]
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            *(distort if augment else []),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr-decay", type=float, default=0.85, help="per-epoch lr factor")
    parser.add_argument("--no-augment", action="store_true", help="train on the images as they are")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--subset", type=int, default=None, help="the first N training images")
    parser.add_argument("--test-subset", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    prep = lambda x: np.expand_dims(x.astype("float32") / 255, -1)
    x_train, y_train = prep(x_train[: args.subset]), y_train[: args.subset]
    x_test, y_test = prep(x_test[: args.test_subset]), y_test[: args.test_subset]

    model = build_lenet5(augment=not args.no_augment)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    report = lambda epoch, logs: print(
        f"epoch {epoch + 1}: test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.4f} "
        f"({time.perf_counter() - start:.0f} s)",
        flush=True,
    )
    model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=args.verbose,
              callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=report),
                         keras.callbacks.LearningRateScheduler(
                             lambda epoch, lr: lr * args.lr_decay if epoch else lr)])  # fmt: skip
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {acc:.4f} after {args.epochs} epochs, "
          f"{time.perf_counter() - start:.0f} s")  # fmt: skip
    return float(acc)


if __name__ == "__main__":
    main()
