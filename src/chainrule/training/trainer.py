"""The training loops behind Model.fit / evaluate / predict / train_on_batch / test_on_batch.

Per training batch, in this order: forward (training mode), loss (+ the layers' regularisation
terms), backward, ``optimizer.step()``, layer constraints, gradients cleared; then
``model.train_state`` is updated and ``on_train_batch_end`` runs. Data are checked and converted
once per call (see :mod:`.data_adapter`); batches are one fancy index into the epoch permutation.

Resume contract (for checkpoint callbacks): at each epoch start with ``shuffle`` the order is
``chainrule.random.get_generator().permutation(n)``; ``model.train_state`` is
``{"epoch", "batch" (batches done in that epoch), "order"}``; a ``model.resume_state`` of the same
shape, set during ``on_train_begin``, makes fit start at that epoch, reuse that order and skip the
batches already done.
"""

from __future__ import annotations

import math

import numpy as np

from ..callbacks.base import CallbackList
from ..callbacks.progbar import ProgbarLogger
from ..function import no_grad
from ..nn.module import Module
from ..nn.parameter import Parameter
from ..random import get_generator
from ..tensor import Tensor
from . import data_adapter as da
from .history import History
from .step import Step

_MODULE_TRAIN = Module.train


def _check_batch_size(batch_size, n: int) -> int:
    """Keras's rule: ``None`` means 32. Full-batch descent is ``batch_size=len(x)``."""
    if batch_size is None:
        return min(32, max(n, 1))
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive int or None (32), got {batch_size!r}")
    return int(batch_size)


def fit(model, x, y, *, batch_size, epochs, verbose, callbacks, validation_split,
        validation_data, shuffle, class_weight, sample_weight, initial_epoch,
        strategy=None, steps_per_epoch=None, validation_batch_size=None,
        validation_freq=1):  # fmt: skip
    from .custom_fit import fit_custom, overrides

    if overrides(model, "train_step") or (model.compiled and model.loss is None):
        if class_weight is not None:
            raise ValueError("fit: class_weight is not supported with a custom train_step")
        return fit_custom(model, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                          callbacks=callbacks, validation_split=validation_split,
                          validation_data=validation_data, shuffle=shuffle,
                          sample_weight=sample_weight, initial_epoch=initial_epoch,
                          steps_per_epoch=steps_per_epoch,
                          validation_batch_size=validation_batch_size,
                          validation_freq=validation_freq)  # fmt: skip
    if not model.compiled:
        raise ValueError(f"{model._label()}: call compile(optimizer, loss) before fit")
    if not isinstance(epochs, (int, np.integer)) or epochs < 0 or initial_epoch < 0:
        raise ValueError(
            f"fit: epochs and initial_epoch must be ints >= 0, got {epochs}, {initial_epoch}"
        )
    step = Step(model)
    loader = da.is_loader(x)
    if loader:
        if y is not None or validation_split:
            raise ValueError("fit: with a DataLoader, y and validation_split must not be given")
        train = None
        steps = len(x) if hasattr(x, "__len__") else None
    else:
        train = step.prepare(x, y, sample_weight, class_weight, "fit")
        if validation_split:
            if validation_data is not None:
                raise ValueError("fit: give validation_split or validation_data, not both")
            (*xs, w), (*vxs, vw) = da.split_validation([*train[0], *train[1], train[2]],
                                                        validation_split, train[3])  # fmt: skip
            k = len(train[0])
            validation_data = _Prepared((vxs[:k], vxs[k:], vw, len(vxs[0])))
            train = (xs[:k], xs[k:], w, len(xs[0]))
        batch_size = _check_batch_size(batch_size, train[3])
        steps = math.ceil(train[3] / batch_size)
    if steps_per_epoch is not None:
        if not isinstance(steps_per_epoch, (int, np.integer)) or steps_per_epoch < 1:
            raise ValueError(f"fit: steps_per_epoch must be a positive int, got {steps_per_epoch}")
        steps = int(steps_per_epoch) if steps is None else min(steps, int(steps_per_epoch))
    val = _prepare_validation(step, validation_data)

    history = History()
    cbs = list(callbacks or [])
    cbs.append(history)
    if strategy is not None:  # distributed: rank 0 alone prints and writes files
        cbs, verbose = strategy.callbacks(cbs, verbose)
    if verbose:
        cbs.append(ProgbarLogger(verbose))
    params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size,
              "samples": None if loader else train[3], "shuffle": bool(shuffle)}  # fmt: skip
    cb = CallbackList(cbs, model=model, params=params)
    batch_logs = cb.wants("on_train_batch_end")
    if strategy is not None:
        batch_logs = strategy.agree(batch_logs)

    model.stop_training = False
    model.history = history
    cb.on_train_begin()
    if strategy is not None:  # agree on the resume point; the step reduces gradients from now on
        strategy.begin(model, step)
    start_epoch, resume = initial_epoch, model.resume_state
    if resume is not None:
        start_epoch = int(resume["epoch"])
        model.resume_state = None
    gen = get_generator()
    epoch_logs: dict = {}
    modules = None  # every module, listed at the first epoch (see _train_mode)
    for epoch in range(start_epoch, epochs):
        modules = _train_mode(model, modules)
        step.reset_metrics()
        cb.on_epoch_begin(epoch)
        skip = 0
        if loader:
            order = None
            batches = iter(x)
        else:
            n = train[3]
            if resume is not None and int(resume["epoch"]) == epoch:
                order = np.asarray(resume["order"]) if resume.get("order") is not None else None
                skip = int(resume["batch"])
            else:
                order = gen.permutation(n) if shuffle else None
                if strategy is not None:  # every rank follows rank 0's order
                    order = strategy.order(order)
        resume = None
        model.train_state = {"epoch": epoch, "batch": skip, "order": order}
        for b in range(skip, steps if steps is not None else 2**62):
            if loader:
                try:
                    xb, yb, wb = step.loader_batch(next(batches))
                except StopIteration:
                    break
                if strategy is not None:
                    xb, yb, wb = strategy.shard_loader_batch(x, xb, yb, wb)
            else:
                sl = slice(b * batch_size, (b + 1) * batch_size)
                idx = sl if order is None else order[sl]
                if strategy is not None:  # this rank's part of the global batch
                    idx = strategy.shard(idx, n)
                xb = [a[idx] for a in train[0]]
                yb = [a[idx] for a in train[1]]
                wb = None if train[2] is None else train[2][idx]
            cb.on_train_batch_begin(b)
            step.train(xb, yb, wb)
            model.train_state["batch"] = b + 1
            if strategy is not None:  # logs over all ranks; a stop anywhere stops every rank
                if batch_logs:
                    cb.on_train_batch_end(b, strategy.batch_logs(step))
                model.stop_training = strategy.agree(model.stop_training)
            elif batch_logs:
                cb.on_train_batch_end(b, step.logs(cheap=True))
            if model.stop_training:
                break
        epoch_logs = step.logs() if strategy is None else strategy.logs(step)
        if loader and callable(getattr(x, "on_epoch_end", None)):
            x.on_epoch_end()  # keras.utils.PyDataset's hook
        if val is not None and (epoch + 1) % validation_freq == 0:
            part = val if strategy is None else strategy.shard_prepared(val)
            val_logs = _evaluate_prepared(step, part, validation_batch_size or batch_size or 32, cb)
            if strategy is not None:
                val_logs = strategy.logs(step)
            epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
        if strategy is not None:
            strategy.epoch_end(model)
        cb.on_epoch_end(epoch, epoch_logs)
        if strategy is not None:
            model.stop_training = strategy.agree(model.stop_training)
        if model.stop_training:
            break
    model.eval()
    finalize = getattr(model.optimizer, "finalize_variable_values", None)
    if finalize is not None:  # Keras: with use_ema, the weights take their moving averages
        finalize(model.trainable_parameters())
    cb.on_train_end(epoch_logs)
    return history


def _train_mode(model, modules: list | None) -> list:
    """``model.train()`` at an epoch's start, skipped when it would change nothing.

    The walk over every sub-module costs ~50 µs on a two-layer net (a fifth of an XOR epoch of
    one step), so it runs at the first epoch, which lists the modules, and afterwards only when
    one of them left training mode (validation restores the mode itself; a callback may call
    ``eval()``), or always when the model overrides ``train``. Modules attached during fit start
    in training mode, as every new Module does."""
    if modules is None or type(model).train is not _MODULE_TRAIN:
        model.train()
        return list(model.modules())
    for m in modules:
        if not m.training:
            model.train()
            return list(model.modules())
    return modules


class _Prepared:
    """Validation arrays already checked and converted (from validation_split)."""

    def __init__(self, data):
        self.data = data


def _prepare_validation(step: Step, validation_data):
    if validation_data is None:
        return None
    if isinstance(validation_data, _Prepared):
        return validation_data.data
    if da.is_loader(validation_data):
        return validation_data
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be (x_val, y_val), (x_val, y_val, sample_weight) or a DataLoader"
        )
    vx, vy, *rest = validation_data
    return step.prepare(vx, vy, rest[0] if rest else None, None, "validation_data")


def _batches(prepared, batch_size: int):
    xs, ys, w, n = prepared
    for start in range(0, n, batch_size):
        sl = slice(start, start + batch_size)
        yield [a[sl] for a in xs], [a[sl] for a in ys], None if w is None else w[sl]


def _evaluate_prepared(step: Step, prepared, batch_size: int, cb: CallbackList | None) -> dict:
    model = step.model
    was = model.training
    model.eval()
    step.reset_metrics()
    if cb is not None:
        cb.on_test_begin()
    try:
        with no_grad():
            if da.is_loader(prepared):
                it = (step.loader_batch(batch) for batch in prepared)
            else:
                it = _batches(prepared, batch_size)
            for b, (xb, yb, wb) in enumerate(it):
                if cb is not None:
                    cb.on_test_batch_begin(b)
                step.test(xb, yb, wb)
                if cb is not None:
                    cb.on_test_batch_end(b)
    finally:
        model.train(was)
    logs = step.logs()
    if cb is not None:
        cb.on_test_end(logs)
    return logs


def evaluate(model, x, y, *, batch_size, verbose, sample_weight, callbacks, return_dict):
    from .custom_fit import evaluate_custom, overrides

    if overrides(model, "test_step") or (model.compiled and model.loss is None):
        return evaluate_custom(model, x, y, batch_size=batch_size, sample_weight=sample_weight,
                               callbacks=callbacks, return_dict=return_dict)  # fmt: skip
    if not model.compiled:
        raise ValueError(f"{model._label()}: call compile(optimizer, loss) before evaluate")
    step = Step(model)
    if da.is_loader(x):  # checked batch by batch; the model is probed on the first one
        prepared = x
        size = 32
    else:
        prepared = step.prepare(x, y, sample_weight, None, "evaluate")
        size = _check_batch_size(batch_size, prepared[3])
    cb = CallbackList(callbacks, model=model, params={"verbose": verbose})
    logs = _evaluate_prepared(step, prepared, size, cb)
    if verbose:
        from ..callbacks.progbar import format_logs

        print(f"evaluate - {format_logs(logs)}")
    return _result(logs, return_dict)


def _result(logs: dict, return_dict: bool):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, *, batch_size, callbacks):
    step = Step(model)
    cb = CallbackList(callbacks, model=model)
    cb.on_predict_begin()
    outs: list[list[np.ndarray]] = []
    was = model.training
    model.eval()
    try:
        with no_grad():
            if da.is_loader(x):
                batches = (step.loader_batch(batch, need_y=False)[0] for batch in x)
            else:
                xs = step.prepare_x(x, "predict")
                size = _check_batch_size(batch_size, len(xs[0]))
                batches = ([a[s : s + size] for a in xs] for s in range(0, len(xs[0]), size))
            for b, xb in enumerate(batches):
                cb.on_predict_batch_begin(b)
                result = model._run([Tensor._wrap(a) for a in xb], False)
                outs.append([np.asarray(r.data) for r in result])
                cb.on_predict_batch_end(b, {"outputs": outs[-1]})
    finally:
        model.train(was)
    cb.on_predict_end()
    if not outs:
        raise ValueError("predict: got no batches")
    merged = [np.concatenate(parts, axis=0) for parts in zip(*outs)]
    return merged[0] if len(merged) == 1 else merged


def _batch_step(model) -> tuple[Step, list]:
    """The Step that ``train_on_batch`` / ``test_on_batch`` reuse from call to call, and the
    model's modules.

    Binding a fresh Step each call costs several walks over every sub-module and a probe forward
    (a tenth of a LeNet-5 step). The Step is kept while its key is unchanged: the optimizer and
    compile arguments, every module, its regularizers and constraints, and every parameter with
    its ``requires_grad`` and dtype, gathered in one walk. Anything that changes the structure
    (a layer added or replaced, a weight frozen, recompiling, ``astype``) changes the key and
    makes a new Step, which probes the model again; a new input shape is probed by the Step."""
    modules = list(model.modules())
    key = [id(model.optimizer), id(model.__dict__.get("_compile_args"))]
    for m in modules:
        key.append(id(m))
        for attr in ("_regularizers", "_constraints"):
            key.extend(id(v) for v in (getattr(m, attr, None) or {}).values())
        for _, v in m._children():
            if isinstance(v, Parameter):
                key.append((id(v), v.requires_grad, v.data.dtype.str))
    key = tuple(key)
    cached = model.__dict__.get("_batch_step")
    if cached is not None and cached[0] == key:
        return cached[1], modules
    step = Step(model)
    model.__dict__["_batch_step"] = (key, step)
    return step, modules


def train_on_batch(model, x, y, sample_weight, class_weight, return_dict):
    if not model.compiled:
        raise ValueError(f"{model._label()}: call compile(optimizer, loss) before train_on_batch")
    step, modules = _batch_step(model)
    xs, ys, w, _ = step.prepare(x, y, sample_weight, class_weight, "train_on_batch")
    _train_mode(model, modules)
    step.reset_metrics()
    step.train(xs, ys, w)
    return _result(step.logs(), return_dict)


def test_on_batch(model, x, y, sample_weight, return_dict):
    if not model.compiled:
        raise ValueError(f"{model._label()}: call compile(optimizer, loss) before test_on_batch")
    step, _ = _batch_step(model)
    prepared = step.prepare(x, y, sample_weight, None, "test_on_batch")
    return _result(_evaluate_prepared(step, prepared, prepared[3], None), return_dict)
