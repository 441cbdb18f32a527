"""Run under mpiexec by test_distributed.py: one rank fails in the middle of Model.fit.

``raise``: rank 1 raises from a callback at its third batch (an ordinary Python error).
``vanish``: rank 1 is killed (SIGKILL): the launcher sees the process go and ends the job.
``hang``: rank 1 stops responding: the others' collective deadline ($CHAINRULE_DIST_TIMEOUT) ends it.
In both cases the job must end promptly, non-zero, with a message naming the rank.
"""

import os
import signal
import sys
import time

import numpy as np

import chainrule as cr
from chainrule import distributed as dist
from chainrule.callbacks.base import Callback
from chainrule.layers import Dense


class FailOnRank1(Callback):
    def __init__(self, how):
        super().__init__()
        self.how = how

    def on_train_batch_begin(self, batch, logs=None):
        if dist.rank() == 1 and batch == 2:
            if self.how == "raise":
                raise ValueError("injected failure in the data pipeline")
            if self.how == "hang":
                time.sleep(3600)
            os.kill(os.getpid(), signal.SIGKILL)


def main(how):
    cr.manual_seed(0)
    x = np.random.default_rng(0).normal(size=(256, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = cr.Sequential([Dense(8, activation="relu"), Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=32, epochs=50, verbose=0, callbacks=[FailOnRank1(how)],
              distributed=True)  # fmt: skip
    print("training finished on rank", dist.rank(), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
