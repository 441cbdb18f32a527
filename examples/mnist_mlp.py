"""The Keras MNIST MLP recipe with chainrule's training API.

784-512-512-10, ReLU, dropout 0.2, softmax; RMSprop (Keras defaults), batch 128, 20 epochs,
validation on the test set — as in Keras's ``mnist_mlp.py`` example (reported 98.40% test accuracy).

Written exactly as in Keras: a softmax output layer and ``"sparse_categorical_crossentropy"``. Like
Keras's TensorFlow backend, chainrule then computes the cross-entropy from the softmax's input (the
logits), not from clipped probabilities (see docs/results.md). ``--from-logits`` builds the same
model with a linear last layer and ``from_logits=True`` instead.

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
from chainrule.layers import Dense, Dropout
from chainrule.losses import SparseCategoricalCrossentropy


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


def build_model(logits: bool = False) -> chainrule.Sequential:
    """The Keras recipe; ``logits`` ends in a linear layer (for a from-logits loss), not a softmax."""
    return chainrule.Sequential([
        chainrule.Input(shape=(784,)),
        Dense(512, activation="relu"),
        Dropout(0.2),
        Dense(512, activation="relu"),
        Dropout(0.2),
        Dense(10, activation=None if logits else "softmax"),
    ])  # fmt: skip


def torch_reference(args, data) -> dict:
    """The same recipe in PyTorch (an oracle for the accuracy): Glorot-uniform weights, zero
    biases, dropout 0.2, RMSprop(lr=1e-3, alpha=0.9, eps=1e-7), cross-entropy, batch 128."""
    import torch

    torch.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = (tuple(map(torch.from_numpy, pair)) for pair in data)
    layers = [torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
              torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
              torch.nn.Linear(512, 10)]  # fmt: skip
    net = torch.nn.Sequential(*layers)
    for layer in net:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    start = time.perf_counter()
    for _ in range(args.epochs):
        net.train()
        order = torch.randperm(len(x_train))
        for s in range(0, len(x_train), args.batch_size):
            idx = order[s : s + args.batch_size]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x_train[idx]), y_train[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        acc = (net(x_test).argmax(1) == y_test).float().mean().item()
    return {"framework": "pytorch", "epochs": args.epochs, "test_accuracy": round(acc, 4),
            "fit_seconds": round(seconds, 1), "seed": args.seed}  # fmt: skip


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
    parser.add_argument("--torch", action="store_true", help="run the same recipe in PyTorch")
    parser.add_argument(
        "--from-logits",
        action="store_true",
        help="linear last layer and a from-logits loss instead of the softmax output",
    )
    args = parser.parse_args(argv)

    chainrule.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load(args.subset, args.data_dir, args.test_subset)
    if args.torch:
        result = torch_reference(args, ((x_train, y_train), (x_test, y_test)))
        print(json.dumps(result))
        return result
    from_logits = args.from_logits
    model = build_model(from_logits)
    model.summary()
    loss = SparseCategoricalCrossentropy(from_logits=True) if from_logits else (
        "sparse_categorical_crossentropy")  # fmt: skip
    model.compile(optimizer="rmsprop", loss=loss, metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
        verbose=args.verbose, validation_data=(x_test, y_test),
    )  # fmt: skip
    seconds = time.perf_counter() - start
    loss, acc = model.evaluate(x_test, y_test, batch_size=1000)
    result = {
        "epochs": args.epochs, "train_samples": len(x_train), "test_loss": round(loss, 4),
        "test_accuracy": round(acc, 4), "test_samples": len(x_test), "from_logits": from_logits,
        "fit_seconds": round(seconds, 1), "seed": args.seed,
    }  # fmt: skip
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
