"""Callback: hooks that ``Model.fit`` / ``evaluate`` / ``predict`` call at fixed points.

Order inside fit: ``on_train_begin`` → per epoch (``on_epoch_begin`` → per batch
(``on_train_batch_begin`` → step → ``on_train_batch_end``) → validation (``on_test_*``) →
``on_epoch_end``) → ``on_train_end``. ``logs`` is a dict of floats: running ``loss`` and metrics in
batch hooks, epoch means plus ``val_*`` values in ``on_epoch_end``. A callback stops training by
setting ``self.model.stop_training = True``.
"""

from __future__ import annotations

from collections.abc import Iterable

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
    "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)  # fmt: skip


class Callback:
    """Base class; override the hooks you need. ``self.model`` and ``self.params`` are set by fit."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch: int, logs=None): ...
    def on_epoch_end(self, epoch: int, logs=None): ...
    def on_train_batch_begin(self, batch: int, logs=None): ...
    def on_train_batch_end(self, batch: int, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch: int, logs=None): ...
    def on_test_batch_end(self, batch: int, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch: int, logs=None): ...
    def on_predict_batch_end(self, batch: int, logs=None): ...


class CallbackList:
    """Calls each hook on every callback in order.

    Per-hook lists hold only the callbacks that override that hook, so the per-batch cost of
    callbacks that ignore batches is nothing.
    """

    def __init__(self, callbacks: Iterable[Callback] | None = None, model=None, params=None):
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}")
        if model is not None:
            for cb in self.callbacks:
                cb.set_model(model)
        if params is not None:
            for cb in self.callbacks:
                cb.set_params(params)
        self._by_hook = {
            hook: [getattr(cb, hook) for cb in self.callbacks if _overrides(cb, hook)]
            for hook in _HOOKS
        }

    def _call(self, hook: str, *args) -> None:
        for fn in self._by_hook[hook]:
            fn(*args)

    def wants(self, hook: str) -> bool:
        """Whether any callback overrides ``hook`` (fit skips building logs nobody reads)."""
        return bool(self._by_hook[hook])

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)


def _overrides(cb: Callback, hook: str) -> bool:
    fn = getattr(type(cb), hook, None)
    return fn is not getattr(Callback, hook) or hook in vars(cb)


def monitor_mode(monitor: str, mode: str, who: str) -> str:
    """'min' or 'max' for ``monitor``; 'auto' means max for accuracy/AUC/precision/recall/F1."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    name = monitor.lower()
    maximise = ("acc", "auc", "precision", "recall", "f1")
    return "max" if any(k in name for k in maximise) and "loss" not in name else "min"
