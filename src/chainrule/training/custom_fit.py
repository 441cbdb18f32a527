"""``fit`` / ``evaluate`` for models that override ``train_step`` / ``test_step``.

The batches are cut as in the built-in loop (shuffled each epoch with the library generator;
``validation_split`` takes the last fraction) and handed to the model's step as Tensors; what the
step returns is the batch's logs. Callbacks run at the same points as in the built-in loop.
"""

from __future__ import annotations

import math

import numpy as np

from ..callbacks.base import CallbackList
from ..callbacks.progbar import ProgbarLogger
from ..random import get_generator
from ..tensor import Tensor
from . import data_adapter as da
from .custom_step import flatten_logs
from .history import History


def overrides(model, method: str) -> bool:
    from .model import Model

    return getattr(type(model), method) is not getattr(Model, method)


def _arrays(data, what: str) -> tuple[list[np.ndarray], str]:
    """(arrays, structure) with structure "one", "list" or "dict:<k1>,<k2>"."""
    if isinstance(data, dict):
        return [_array(v, what) for v in data.values()], "dict:" + ",".join(map(str, data))
    if isinstance(data, (list, tuple)):
        return [_array(v, what) for v in data], "list"
    return [_array(data, what)], "one"


def _array(a, what: str) -> np.ndarray:
    arr = da.numeric_array(a.data if isinstance(a, Tensor) else a, what)
    return arr.astype(np.float32) if arr.dtype == np.float64 else arr


def _pack(arrays: list, structure: str):
    tensors = [Tensor._wrap(a) for a in arrays]
    if structure == "one":
        return tensors[0]
    if structure == "list":
        return tensors
    return dict(zip(structure[5:].split(","), tensors))


class _Data:
    """x, y, sample_weight as arrays with their structure; ``batch(idx)`` gives the step's data."""

    def __init__(self, x, y, sample_weight, what: str):
        self.xs, self.xstruct = _arrays(x, f"{what}: x")
        self.ys, self.ystruct = ([], None) if y is None else _arrays(y, f"{what}: y")
        self.w = None if sample_weight is None else _array(sample_weight, f"{what}: sample_weight")
        lengths = {len(a) for a in self.xs + self.ys + ([self.w] if self.w is not None else [])}
        if len(lengths) != 1:
            raise ValueError(f"{what}: x, y and sample_weight have different numbers of samples")
        self.n = lengths.pop()

    def split(self, fraction: float) -> tuple[_Data, _Data]:
        cut = int(self.n * (1.0 - fraction))
        if not 0.0 < fraction < 1.0 or cut in (0, self.n):
            raise ValueError(f"validation_split={fraction} leaves an empty split of {self.n}")
        return self._take(slice(0, cut)), self._take(slice(cut, None))

    def _take(self, idx) -> _Data:
        new = object.__new__(_Data)
        new.xs = [a[idx] for a in self.xs]
        new.xstruct, new.ystruct = self.xstruct, self.ystruct
        new.ys = [a[idx] for a in self.ys]
        new.w = None if self.w is None else self.w[idx]
        new.n = len(new.xs[0])
        return new

    def batch(self, idx):
        x = _pack([a[idx] for a in self.xs], self.xstruct)
        if self.ystruct is None:
            return (x,)
        y = _pack([a[idx] for a in self.ys], self.ystruct)
        return (x, y) if self.w is None else (x, y, Tensor._wrap(self.w[idx]))


def _loader_batches(loader):
    for batch in loader:
        if isinstance(batch, (list, tuple)):
            yield tuple(
                b if isinstance(b, (Tensor, list, dict)) else Tensor._wrap(np.asarray(b))
                for b in batch
            )
        else:
            yield (batch if isinstance(batch, Tensor) else Tensor._wrap(np.asarray(batch)),)


def _batches(data, batch_size: int, order=None, limit: int | None = None):
    if da.is_loader(data):
        for b, batch in enumerate(_loader_batches(data)):
            if limit is not None and b >= limit:
                return
            yield batch
        return
    steps = math.ceil(data.n / batch_size)
    for b in range(steps if limit is None else min(steps, limit)):
        sl = slice(b * batch_size, (b + 1) * batch_size)
        yield data.batch(sl if order is None else order[sl])


def _run_eval(model, data, batch_size: int, cb: CallbackList | None) -> dict:
    was = model.training
    model.eval()
    model.reset_metrics()
    logs: dict = {}
    try:
        for b, batch in enumerate(_batches(data, batch_size)):
            if cb is not None:
                cb.on_test_batch_begin(b)
            logs = flatten_logs(model.test_step(batch))
            if cb is not None:
                cb.on_test_batch_end(b, logs)
    finally:
        model.train(was)
    return logs


def fit_custom(model, x, y, *, batch_size, epochs, verbose, callbacks, validation_split,
               validation_data, shuffle, sample_weight, initial_epoch, steps_per_epoch,
               validation_batch_size, validation_freq):  # fmt: skip
    if not model.compiled:
        raise ValueError(f"{model._label()}: call compile(optimizer, ...) before fit")
    loader = da.is_loader(x)
    data = x if loader else _Data(x, y, sample_weight, "fit")
    if validation_split:
        if loader or validation_data is not None:
            raise ValueError("fit: validation_split needs array data and no validation_data")
        data, val = data.split(validation_split)
    elif validation_data is None:
        val = None
    elif da.is_loader(validation_data):
        val = validation_data
    else:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, weights)")
        vx, vy, *rest = validation_data
        val = _Data(vx, vy, rest[0] if rest else None, "validation_data")
    size = int(batch_size or 32)  # Keras: None means 32
    steps = len(x) if loader and hasattr(x, "__len__") else None
    if not loader:
        steps = math.ceil(data.n / size)
    if steps_per_epoch is not None:
        steps = steps_per_epoch if steps is None else min(steps, steps_per_epoch)
    history = History()
    cbs = list(callbacks or []) + [history]
    if verbose:
        cbs.append(ProgbarLogger(verbose))
    cb = CallbackList(cbs, model=model, params={"epochs": epochs, "steps": steps,
                                                 "verbose": verbose, "batch_size": size})  # fmt: skip
    model.stop_training = False
    model.history = history
    cb.on_train_begin()
    gen = get_generator()
    epoch_logs: dict = {}
    for epoch in range(initial_epoch, epochs):
        model.train()
        model.reset_metrics()
        cb.on_epoch_begin(epoch)
        order = gen.permutation(data.n) if (shuffle and not loader) else None
        logs: dict = {}
        for b, batch in enumerate(_batches(data, size, order, steps_per_epoch)):
            cb.on_train_batch_begin(b)
            logs = flatten_logs(model.train_step(batch))
            cb.on_train_batch_end(b, logs)
            if model.stop_training:
                break
        epoch_logs = dict(logs)
        if loader and callable(getattr(x, "on_epoch_end", None)):
            x.on_epoch_end()  # keras.utils.PyDataset's hook
        if val is not None and (epoch + 1) % validation_freq == 0:
            vlogs = _run_eval(model, val, int(validation_batch_size or size or 32), cb)
            epoch_logs.update({f"val_{k}": v for k, v in vlogs.items()})
        cb.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    model.eval()
    cb.on_train_end(epoch_logs)
    return history


def evaluate_custom(model, x, y, *, batch_size, sample_weight, callbacks, return_dict):
    data = x if da.is_loader(x) else _Data(x, y, sample_weight, "evaluate")
    size = int(batch_size or 32)  # Keras: None means 32
    cb = CallbackList(callbacks, model=model, params={"verbose": 0})
    cb.on_test_begin()
    logs = _run_eval(model, data, size, cb)
    cb.on_test_end(logs)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
