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

import contextlib
import os
from pathlib import Path

import numpy as np

from .. import custom_objects as _custom
from .. import random as crandom
from ..callbacks.base import Callback
from .container import (
    ModelFileError,
    decode_json,
    decode_tensors,
    encode_json,
    encode_tensors,
    float_from_json,
    float_to_json,
    join_arrays,
    read_archive,
    split_arrays,
    tensor_header,
    write_archive,
)
from .model_file import (
    BUDGET_SLACK,
    MODEL_MEMBERS,
    TRAINING_MEMBERS,
    _weights_budget,
    check_weights,
    file_errors,
    model_members,
    parse_config,
    parse_optimizer,
)

CHECKPOINT_MEMBERS = MODEL_MEMBERS + TRAINING_MEMBERS


MAX_EPOCHS = 2**31
"""Largest epoch / batch / history length a checkpoint may record."""


def save_checkpoint(model, path: str | os.PathLike, training: dict) -> Path:
    """Write model, optimiser and ``training`` (train_state, rng, history) to ``path`` atomically.

    History values that are not finite are stored as ``"nan"``/``"inf"``/``"-inf"``."""
    members = model_members(model, include_optimizer=True)
    training = dict(training)
    training.setdefault("rng", crandom.get_state())
    training.setdefault("history", {})
    training.setdefault("epochs", [])
    training["history"] = {
        k: [float_to_json(x) for x in v] for k, v in (training.get("history") or {}).items()
    }
    skeleton, arrays = split_arrays(training)
    members["training.json"] = encode_json(skeleton)
    members["training.safetensors"] = encode_tensors(arrays)
    return write_archive(path, members)


def _check_rng(state, where: str) -> dict:
    """The generator state must be one the library's bit generator accepts (tried on a copy)."""
    if not isinstance(state, dict):
        raise ModelFileError(f"{where}: rng must be an object")
    bit_gen = type(crandom.get_generator().bit_generator)()
    try:
        bit_gen.state = state
    except Exception as exc:  # noqa: BLE001 - whatever numpy rejects, the file is at fault
        raise ModelFileError(
            f"{where}: rng is not a valid {type(bit_gen).__name__} state ({exc})"
        ) from None
    return state


def _check_training(training, where: str) -> dict:
    """Validate training.json (after its arrays are joined in): types and ranges of every field.
    Returns a normalised copy (history values as floats)."""
    if not isinstance(training, dict):
        raise ModelFileError(f"{where} must hold an object")
    extra = set(training) - {"train_state", "rng", "history", "epochs"}
    if extra:
        raise ModelFileError(f"{where}: unexpected keys {sorted(extra)!r:.200}")
    state = training.get("train_state")
    if not isinstance(state, dict) or not {"epoch", "batch"} <= set(state):
        raise ModelFileError(f"{where} has no train_state with epoch and batch")
    if set(state) - {"epoch", "batch", "order"}:
        raise ModelFileError(f"{where}: train_state has unexpected keys {sorted(state)!r:.200}")
    for key in ("epoch", "batch"):
        v = state[key]
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_EPOCHS:
            raise ModelFileError(
                f"{where}: train_state.{key} must be an int in [0, {MAX_EPOCHS}], got {v!r:.40}"
            )
    order = state.get("order")
    if order is not None:
        if (
            not isinstance(order, np.ndarray)
            or order.ndim != 1
            or order.dtype.kind not in "iu"
            or not np.array_equal(np.sort(order), np.arange(len(order)))
        ):
            raise ModelFileError(
                f"{where}: train_state.order must be a permutation of 0..n-1 (int array)"
            )
        order = order.astype(np.int64)
    rng = _check_rng(training.get("rng"), where)
    history = training.get("history", {})
    if not isinstance(history, dict):
        raise ModelFileError(f"{where}: history must be an object")
    hist = {}
    for k, values in history.items():
        if not isinstance(values, list) or len(values) > MAX_EPOCHS:
            raise ModelFileError(f"{where}: history[{k[:100]!r}] must be a list of numbers")
        hist[k] = [float_from_json(v, f"{where}: history[{k[:100]!r}]") for v in values]
    epochs = training.get("epochs", [])
    if not isinstance(epochs, list) or not all(
        isinstance(e, int) and not isinstance(e, bool) and 0 <= e <= MAX_EPOCHS for e in epochs
    ):
        raise ModelFileError(f"{where}: epochs must be a list of epoch numbers")
    return {
        "train_state": {"epoch": state["epoch"], "batch": state["batch"], "order": order},
        "rng": rng,
        "history": hist,
        "epochs": list(epochs),
    }


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Parse and validate a checkpoint: ``{"config", "weights", "optimizer", "training"}`` (nothing
    applied). Every member is checked here, so a restore can apply all of it or nothing."""
    path = Path(path)
    members = read_archive(
        path,
        CHECKPOINT_MEMBERS,
        required=("config.json", "model.safetensors", "training.json", "training.safetensors"),
    )
    header = tensor_header(members["model.safetensors"], f"{path}: model.safetensors")
    with file_errors(path, "config.json"):
        config = parse_config(members["config.json"], path, cap=_weights_budget(header)[1])
    weights = decode_tensors(members["model.safetensors"], f"{path}: model.safetensors")
    opt_state = parse_optimizer(members, path)  # None when saved before the first step
    tr_arrays = decode_tensors(members["training.safetensors"], f"{path}: training.safetensors")
    with file_errors(path, "training.json"):
        training = _check_training(
            join_arrays(
                decode_json(members["training.json"], f"{path}: training.json"),
                tr_arrays,
                f"{path}: training.json",
            ),
            f"{path}: training.json",
        )
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
    ``custom_objects``: name → class/function for names in the checkpoint that are not built in
    (a LambdaSchedule's function, say); nothing is ever imported by a name the file gives.
    """

    rank_zero_only = True  # writes files or prints: rank 0 alone under chainrule.distributed

    def __init__(self, path: str | os.PathLike, save_freq: int | str = "epoch",
                 delete_on_end: bool = False, custom_objects: dict | None = None):  # fmt: skip
        super().__init__()
        self.custom_objects = _custom.check_custom_objects(
            custom_objects, "BackupAndRestore: custom_objects"
        )
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
    def _check_against_run(self, training: dict) -> None:
        """The saved position must exist in this run: epoch <= epochs, batch <= batches per
        epoch, the order a permutation of exactly this many samples."""
        params = getattr(self, "params", None) or {}
        where = f"{self.path}: training.json"
        state = training["train_state"]
        epochs, steps = params.get("epochs"), params.get("steps")
        samples = params.get("samples")
        if isinstance(epochs, int) and state["epoch"] > epochs:
            raise ModelFileError(
                f"{where}: train_state.epoch is {state['epoch']}, beyond the {epochs} epochs "
                "of this run"
            )
        if isinstance(steps, int) and state["batch"] > steps:
            raise ModelFileError(
                f"{where}: train_state.batch is {state['batch']}, but an epoch of this run has "
                f"{steps} batches"
            )
        order = state["order"]
        if order is not None and isinstance(samples, int) and len(order) != samples:
            raise ModelFileError(
                f"{where}: train_state.order covers {len(order)} samples, the training data "
                f"has {samples}"
            )

    def on_train_begin(self, logs=None):
        self._since_save = 0
        self.restored_from = None
        if not self.path.exists():
            return
        with _custom.custom_object_scope(self.custom_objects):
            self._restore()

    def _restore(self) -> None:
        """Validate the whole checkpoint, then restore all of it (weights, optimizer, generator,
        history, position) or — on any error — nothing."""
        ckpt = read_checkpoint(self.path)
        model = self.model
        training = ckpt["training"]
        shape = ckpt["config"].get("input_shape")
        if not model.state_dict() and shape is not None:
            _build(model, shape, budget=_weights_budget_of(ckpt["weights"]))
        check_weights(model, ckpt["weights"], f"{self.path}: model.safetensors")
        self._check_against_run(training)
        opt = getattr(model, "optimizer", None)
        if ckpt["optimizer"] is not None and opt is None:
            raise ValueError(f"BackupAndRestore: {self.path} holds an optimizer state but "
                             "the model has no optimizer; compile it first")  # fmt: skip
        before = model.state_dict()
        before = {k: np.array(v, copy=True) for k, v in before.items()}
        opt_snapshot = None
        built_here = False
        try:
            if ckpt["optimizer"] is not None:
                if not opt.built:
                    opt.build(model.trainable_parameters())
                    built_here = True
                else:
                    opt_snapshot = opt.state_dict()
                # load_state_dict checks everything before changing anything
                with file_errors(self.path, "optimizer.json:", "optimizer state does not fit"):
                    opt.load_state_dict(ckpt["optimizer"])
            with file_errors(self.path, "model.safetensors"):
                model.load_state_dict(ckpt["weights"])
        except BaseException:
            model.load_state_dict(before)
            if built_here:
                opt.param_groups, opt._params, opt._state = [], [], []
                opt.iterations = 0
            elif opt_snapshot is not None:
                opt.load_state_dict(opt_snapshot)
            raise
        # nothing below can fail: every value was validated by read_checkpoint
        crandom.set_state(training["rng"])
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "history"):
            history.history = {k: list(v) for k, v in training["history"].items()}
            history.epoch = list(training["epochs"])
        state = training["train_state"]
        model.resume_state = {
            "epoch": int(state["epoch"]),
            "batch": int(state["batch"]),
            "order": state["order"],
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


def _weights_budget_of(weights: dict[str, np.ndarray]) -> int:
    return sum(int(v.size) for v in weights.values()) + BUDGET_SLACK


def _build(model, shape: list, budget: int | None = None) -> None:
    """Build a lazy model for samples of ``shape`` (batch axis first) with one dry forward pass;
    with ``budget``, its layers may allocate at most that many values."""
    from ..function import no_grad
    from ..initializers import allocation_budget

    was = model.training
    model.eval()
    limit = contextlib.nullcontext() if budget is None else allocation_budget(budget)
    try:
        with limit, no_grad():
            model(np.zeros((1, *(1 if d is None else d for d in shape[1:])), dtype=np.float32))
    except ModelFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - the checkpoint's shape does not fit this model
        raise ModelFileError(
            f"the checkpoint's input shape {tuple(shape)} does not fit this model: "
            f"{type(exc).__name__}: {str(exc)[:300]}"
        ) from None
    finally:
        model.train(was)
