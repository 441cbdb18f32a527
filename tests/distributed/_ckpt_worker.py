"""Run under mpiexec by test_distributed.py: a distributed fit that checkpoints and logs.

Rank 0 alone must write the checkpoint and the CSV log (each rank asks for its own file name, so
a file from another rank would show). The test then resumes the checkpoint in one process.
"""

import sys
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import distributed as dist
from chainrule.callbacks import CSVLogger
from chainrule.io.checkpoint import BackupAndRestore
from chainrule.layers import Dense


def data():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(150, 6)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def make():
    cr.manual_seed(11)
    model = cr.Sequential([Dense(8, activation="tanh"), Dense(2, activation="softmax")])
    model.compile(cr.optim.SGD(lr=0.1, momentum=0.9), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])  # fmt: skip
    return model


def main(folder):
    folder = Path(folder)
    x, y = data()
    model = make()
    cr.manual_seed(5)
    callbacks = [BackupAndRestore(folder / "ckpt.zip", save_freq=3),
                 CSVLogger(str(folder / f"log_rank{dist.rank()}.csv"))]  # fmt: skip
    model.fit(x, y, batch_size=32, epochs=2, verbose=0, callbacks=callbacks, distributed=True)


if __name__ == "__main__":
    main(sys.argv[1])
