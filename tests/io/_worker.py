"""Subprocess body for the kill tests (run as a script, not collected by pytest).

``train CKPT OUT MARKER [EPOCH,BATCH]``: train a small digits MLP (with Dropout, so the RNG matters)
with a checkpoint every 3 batches; after each batch write the progress to MARKER, and stall at
EPOCH,BATCH (waiting to be killed); at the end write the final weights (safetensors) to OUT.

``hammer CKPT MARKER``: rewrite a multi-megabyte checkpoint forever, checkpoint i holding weights
all equal to i and train_state batch = i; MARKER is touched after the first.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import chainrule
from chainrule import layers as L
from chainrule.callbacks import Callback
from chainrule.io import BackupAndRestore, atomic_write_text
from chainrule.io.checkpoint import save_checkpoint


class Progress(Callback):
    """Writes ``epoch batch`` to the marker after each batch; at ``pause_at`` it stops for a long
    time, so the test's SIGKILL lands at a known point of training."""

    def __init__(self, marker: Path, pause_at: tuple[int, int] | None):
        super().__init__()
        self.marker, self.pause_at = marker, pause_at

    def on_train_batch_end(self, batch, logs=None):
        state = self.model.train_state
        atomic_write_text(self.marker, f"{state['epoch']} {state['batch']}")
        if (state["epoch"], state["batch"]) == self.pause_at:
            time.sleep(120)


def make_model():
    model = chainrule.Sequential(
        [
            L.Flatten(),
            L.Dense(32, activation="relu"),
            L.Dropout(0.2),
            L.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def train(ckpt: str, out: str, marker: str, pause_at: str = "") -> None:
    from chainrule.datasets import load_digits

    chainrule.manual_seed(1234)
    (x, y), _ = load_digits()
    x = x[:320].astype(np.float32) / 16.0
    y = y[:320].astype(np.int64)
    model = make_model()
    stop = tuple(int(v) for v in pause_at.split(",")) if pause_at else None
    callbacks = [BackupAndRestore(ckpt, save_freq=3), Progress(Path(marker), stop)]
    model.fit(x, y, batch_size=32, epochs=3, validation_split=0.1, verbose=0, callbacks=callbacks)
    import safetensors.numpy as st

    st.save_file({k: np.ascontiguousarray(v) for k, v in model.state_dict().items()}, out)


def hammer(ckpt: str, marker: str) -> None:
    model = chainrule.Sequential([L.Dense(700), L.Dense(700)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((4, 700), np.float32)
    model.fit(x, x, epochs=1, batch_size=4, verbose=0)  # builds the model and the Adam moments
    i = 0
    while True:
        for p in model.parameters():
            p.data[...] = i
        save_checkpoint(model, ckpt, {"train_state": {"epoch": 0, "batch": i, "order": None}})
        if i == 0:
            Path(marker).write_text("ok")
        i += 1


if __name__ == "__main__":
    {"train": train, "hammer": hammer}[sys.argv[1]](*sys.argv[2:])
