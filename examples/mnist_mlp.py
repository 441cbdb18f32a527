"""The Keras MNIST MLP recipe with chainrule's training API.

784-512-512-10, ReLU, dropout 0.2, softmax; RMSprop (Keras defaults), batch 128, 20 epochs,
validation on the test set — as in Keras's ``mnist_mlp.py`` example (reported 98.40% test accuracy).

    python examples/mnist_mlp.py                      # the full recipe
    python examples/mnist_mlp.py --epochs 2 --subset 5000   # a quick check
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import chainrule
from chainrule.datasets import load_mnist
from chainrule.nn import Dense, Dropout


def load(subset: int | None, data_dir: str | None, test_subset: int | None = None):
    """MNIST as float32 (N, 784) in [0, 1] and int64 labels; the first ``subset`` training samples
    and the first ``test_subset`` test samples (all when None)."""
    (x_train, y_train), (x_test, y_test) = load_mnist(data_dir)
    if subset:
        x_train, y_train = x_train[:subset], y_train[:subset]
    if test_subset:
        x_test, y_test = x_test[:test_subset], y_test[:test_subset]
    prep = lambda x: x.reshape(len(x), 784).astype(np.float32) / np.float32(255)
    return (prep(x_train), y_train.astype(np.int64)), (prep(x_test), y_test.astype(np.int64))


def build_model() -> chainrule.Sequential:
    return chainrule.Sequential([
        chainrule.Input(shape=(784,)),
        Dense(512, activation="relu"),
        Dropout(0.2),
        Dense(512, activation="relu"),
        Dropout(0.2),
        Dense(10, activation="softmax"),
    ])  # fmt: skip


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--subset", type=int, default=None, help="use the first N training samples")
    parser.add_argument(
        "--test-subset", type=int, default=None, help="use the first N test samples"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--data-dir", default=None, help="folder holding mnist/ (else $CHAINRULE_DATA)"
    )
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args(argv)

    chainrule.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load(args.subset, args.data_dir, args.test_subset)
    model = build_model()
    model.summary()
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
        verbose=args.verbose, validation_data=(x_test, y_test),
    )  # fmt: skip
    seconds = time.perf_counter() - start
    loss, acc = model.evaluate(x_test, y_test, batch_size=1000)
    result = {
        "epochs": args.epochs, "train_samples": len(x_train), "test_loss": round(loss, 4),
        "test_accuracy": round(acc, 4), "test_samples": len(x_test), "fit_seconds": round(seconds, 1), "seed": args.seed,
    }  # fmt: skip
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
