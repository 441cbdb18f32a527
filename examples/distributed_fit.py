"""Data-parallel Model.fit over MPI: the same script on every rank, ``distributed=True``.

    mpiexec -n 2 python examples/distributed_fit.py --epochs 2 --subset 10000
    python examples/distributed_fit.py                  # one process: the same result

``batch_size`` is the global batch: each of the N ranks computes on 1/N of it and the gradients
are averaged, so the weights follow the one-process run (up to float32 rounding). Rank 0 alone
prints progress and writes the model file.
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule
from chainrule import distributed as dist
from chainrule.datasets import load_mnist
from chainrule.layers import Dense


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128, help="the global batch")
    parser.add_argument("--subset", type=int, default=None, help="the first N training samples")
    parser.add_argument("--out", default="distributed_mlp.zip")
    args = parser.parse_args(argv)

    chainrule.manual_seed(0)  # the same initial weights everywhere (rank 0's are broadcast too)
    (x, y), (x_test, y_test) = load_mnist()
    prep = lambda a: a.reshape(len(a), 784).astype(np.float32) / np.float32(255)
    x, y = prep(x[: args.subset]), y[: args.subset].astype(np.int64)
    model = chainrule.Sequential([
        Dense(256, activation="relu"), Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1,
              verbose=2, distributed=True)  # fmt: skip
    _, acc = model.evaluate(prep(x_test), y_test.astype(np.int64), batch_size=1000)
    if dist.is_main_process():
        model.save(args.out)
        print(f"{dist.world_size()} rank(s): test accuracy {acc:.4f}; wrote {args.out}")


if __name__ == "__main__":
    main()
