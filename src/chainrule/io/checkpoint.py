"""Checkpoints that resume training exactly, and the callback that writes and restores them.

A checkpoint is the model-file container (docs/model-format.md) plus two members::

    training.json          {"train_state": {"epoch", "batch", "order"}, "rng": generator state,
                            "history": {name: [per-epoch values]}, "epochs": [...]} (arrays → keys)
    training.safetensors   the arrays of training.json (the epoch's sample order)

with the optimiser state included (once it has taken a step). :class:`BackupAndRestore` writes one every ``save_freq``
batches and at each epoch end, atomically (temporary file, fsync, rename: a kill during the write
leaves the previous checkpoint intact). When ``fit`` starts and a checkpoint exists, it restores the
weights, the optimiser, the library generator's state and the history, and sets
``model.resume_state`` so ``fit`` continues at the saved epoch and batch with the saved order. A run
killed at any point and resumed this way ends with weights bit-identical to an uninterrupted run
with the same seed (array inputs; a DataLoader cannot skip batches).

What resumes approximately: the running training metrics of the interrupted epoch only cover the
batches run after the restart (the weights do not depend on them).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .. import random as crandom
from ..callbacks.base import Callback
from .container import (
    ModelFileError,
    decode_json,
    decode_tensors,
    encode_json,
    encode_tensors,
    join_arrays,
    read_archive,
    split_arrays,
    write_archive,
)
from .model_file import (
    MODEL_MEMBERS,
    TRAINING_MEMBERS,
    check_weights,
    model_members,
    parse_config,
)

CHECKPOINT_MEMBERS = MODEL_MEMBERS + TRAINING_MEMBERS


def save_checkpoint(model, path: str | os.PathLike, training: dict) -> Path:
    """Write model, optimiser and ``training`` (train_state, rng, history) to ``path`` atomically."""
    members = model_members(model, include_optimizer=True)
    skeleton, arrays = split_arrays(training)
    members["training.json"] = encode_json(skeleton)
    members["training.safetensors"] = encode_tensors(arrays)
    return write_archive(path, members)


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Parse a checkpoint: ``{"config", "weights", "optimizer", "training"}`` (nothing applied)."""
    path = Path(path)
    members = read_archive(
        path,
        CHECKPOINT_MEMBERS,
        required=("config.json", "model.safetensors", "training.json", "training.safetensors"),
    )
    config = parse_config(members["config.json"], path)
    weights = decode_tensors(members["model.safetensors"], f"{path}: model.safetensors")
    opt_state = None  # absent when the checkpoint was written before the first optimizer step
    if "optimizer.json" in members and "optimizer.safetensors" in members:
        opt_state = join_arrays(
            decode_json(members["optimizer.json"], f"{path}: optimizer.json"),
            decode_tensors(members["optimizer.safetensors"], f"{path}: optimizer.safetensors"),
            f"{path}: optimizer.json",
        )
    tr_arrays = decode_tensors(members["training.safetensors"], f"{path}: training.safetensors")
    training = join_arrays(
        decode_json(members["training.json"], f"{path}: training.json"),
        tr_arrays,
        f"{path}: training.json",
    )
    state = training.get("train_state") if isinstance(training, dict) else None
    if not isinstance(state, dict) or not {"epoch", "batch"} <= set(state):
        raise ModelFileError(f"{path}: training.json has no train_state with epoch and batch")
    return {"config": config, "weights": weights, "optimizer": opt_state, "training": training}


def _next_order(order: np.ndarray | None, rng_state: dict) -> tuple[np.ndarray | None, dict]:
    """The permutation fit will draw at the next epoch start, and the generator state after it,
    computed on a copy of the generator (the library generator is not touched)."""
    if order is None:
        return None, rng_state
    bit_gen = type(crandom.get_generator().bit_generator)()
    bit_gen.state = rng_state
    gen = np.random.Generator(bit_gen)
    return gen.permutation(len(order)), gen.bit_generator.state


class BackupAndRestore(Callback):
    """Save a checkpoint to ``path`` every ``save_freq`` batches and at every epoch end; when fit
    starts and ``path`` exists, restore it and resume exactly where it was written.

    ``path``: the checkpoint file (a zip, e.g. ``runs/x/checkpoint.zip``).
    ``save_freq``: batches between saves (an int >= 1), or ``"epoch"`` for epoch ends only.
    ``delete_on_end``: remove the checkpoint when fit finishes normally.
    """

    def __init__(self, path: str | os.PathLike, save_freq: int | str = "epoch",
                 delete_on_end: bool = False):  # fmt: skip
        super().__init__()
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                f"BackupAndRestore: save_freq must be an int >= 1 or 'epoch', got {save_freq!r}"
            )
        self.path = Path(path)
        self.save_freq = save_freq
        self.delete_on_end = delete_on_end
        self._since_save = 0
        self.restored_from: dict | None = None

    # ------------------------------------------------------------------ restore
    def on_train_begin(self, logs=None):
        self._since_save = 0
        self.restored_from = None
        if not self.path.exists():
            return
        ckpt = read_checkpoint(self.path)
        model = self.model
        shape = ckpt["config"].get("input_shape")
        if not model.state_dict() and shape is not None:
            _build(model, shape)
        check_weights(model, ckpt["weights"], f"{self.path}: model.safetensors")
        opt = getattr(model, "optimizer", None)
        if ckpt["optimizer"] is not None:
            if opt is None:
                raise ValueError(f"BackupAndRestore: {self.path} holds an optimizer state but "
                                 "the model has no optimizer; compile it first")  # fmt: skip
            if not opt.built:
                opt.build(model.trainable_parameters())
            opt.load_state_dict(ckpt["optimizer"])  # checks everything before changing anything
        training = ckpt["training"]
        model.load_state_dict(ckpt["weights"])
        crandom.set_state(training["rng"])
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "history"):
            history.history = {k: list(v) for k, v in training.get("history", {}).items()}
            history.epoch = list(training.get("epochs", []))
        state = training["train_state"]
        model.resume_state = {
            "epoch": int(state["epoch"]),
            "batch": int(state["batch"]),
            "order": state.get("order"),
        }
        self.restored_from = dict(model.resume_state)

    # ------------------------------------------------------------------ save
    def _history(self, extra_epoch: int | None = None, logs: dict | None = None):
        history = getattr(self.model, "history", None)
        values = {k: list(v) for k, v in getattr(history, "history", {}).items()}
        epochs = list(getattr(history, "epoch", []))
        if extra_epoch is not None:  # History runs after this callback: add the epoch ourselves
            epochs.append(extra_epoch)
            for k, v in (logs or {}).items():
                values.setdefault(k, []).append(float(v))
        return values, epochs

    def save(self, train_state: dict, history: dict, epochs: list) -> Path:
        """Write the checkpoint now for ``train_state`` (``{"epoch", "batch", "order"}``)."""
        training = {
            "train_state": train_state,
            "rng": crandom.get_state(),
            "history": history,
            "epochs": epochs,
        }
        self._since_save = 0
        return save_checkpoint(self.model, self.path, training)

    def on_train_batch_end(self, batch: int, logs=None):
        if self.save_freq == "epoch":
            return
        self._since_save += 1
        if self._since_save >= self.save_freq:
            history, epochs = self._history()
            self.save(dict(self.model.train_state), history, epochs)

    def on_epoch_end(self, epoch: int, logs=None):
        state = self.model.train_state or {}
        order = state.get("order")
        next_order, rng_state = _next_order(order, crandom.get_state())
        history, epochs = self._history(epoch, logs)
        training = {
            "train_state": {"epoch": epoch + 1, "batch": 0, "order": next_order},
            "rng": rng_state,
            "history": history,
            "epochs": epochs,
        }
        self._since_save = 0
        save_checkpoint(self.model, self.path, training)

    def on_train_end(self, logs=None):
        if self.delete_on_end and not getattr(self.model, "stop_training", False):
            self.path.unlink(missing_ok=True)


def _build(model, shape: list) -> None:
    """Build a lazy model for samples of ``shape`` (batch axis first) with one dry forward pass."""
    from ..function import no_grad

    was = model.training
    model.eval()
    try:
        with no_grad():
            model(np.zeros((1, *shape[1:]), dtype=np.float32))
    finally:
        model.train(was)
