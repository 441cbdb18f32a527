"""LambdaCallback: a callback made of plain functions, for one-off hooks."""

from __future__ import annotations

from collections.abc import Callable

from .base import _HOOKS, Callback

_SHORT = {
    "on_batch_begin": "on_train_batch_begin",
    "on_batch_end": "on_train_batch_end",
}


class LambdaCallback(Callback):
    """Pass any hook as a keyword: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    ``on_batch_begin`` / ``on_batch_end`` are accepted as the train-batch hooks.
    """

    def __init__(self, **hooks: Callable):
        super().__init__()
        for name, fn in hooks.items():
            target = _SHORT.get(name, name)
            if target not in _HOOKS:
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; known: {sorted(_HOOKS)}")
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable")
            setattr(self, target, fn)
