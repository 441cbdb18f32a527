"""Keras 3's customisable steps: ``model.metrics``, ``compute_loss``, ``train_step``/``test_step``.

A subclass that overrides ``train_step(self, data)`` takes over each batch of ``fit``, written as
the Keras guide "Customizing what happens in fit() with PyTorch" writes it (zero_grad, forward,
``compute_loss``, ``backward``, ``optimizer.apply``, update ``self.metrics``, return their results;
the whole step: examples/keras/custom_train_step.py).

``data`` holds Tensors (``(x, y)`` or ``(x, y, sample_weight)``; lists for several inputs or
outputs). The returned dict (nested dicts are flattened) becomes the batch's logs; the last batch's
logs are the epoch's, as in Keras, since metrics are running means.
"""

from __future__ import annotations

import numpy as np

from ..metrics.base import Mean, Metric
from ..tensor import Tensor


class CompileMetrics(Metric):
    """The metrics given to ``compile``, as one Metric: ``update_state(y, y_pred)`` updates each
    (per output), ``result()`` is a dict of their results."""

    name = "compile_metrics"

    def __init__(self, model):
        self.model = model
        super().__init__("compile_metrics")

    def _lists(self) -> list[list]:
        return self.model._metrics or []

    def reset_state(self) -> None:
        for ms in self._lists():
            for m in ms:
                m.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        model = self.model
        preds = _as_list(y_pred)
        if model._metrics is None:
            model._bind_outputs(len(preds))
        ys = _as_list(y_true)
        if isinstance(y_true, dict):
            ys = [y_true[n] for n in model.output_names]
        for ms, y, p in zip(self._lists(), ys, preds):
            for m in ms:
                m.update_state(_data(y), _data(p), None if sample_weight is None else _data(
                    sample_weight))  # fmt: skip

    def result(self) -> dict:
        model = self.model
        multi = len(model.output_names) > 1
        out = {}
        for name, ms in zip(model.output_names, self._lists()):
            for m in ms:
                out[f"{name}_{m.name}" if multi else m.name] = m.result()
        return out


def loss_tracker_of(model) -> Mean:
    tracker = model.__dict__.get("_loss_tracker")
    if tracker is None:
        tracker = Mean(name="loss")
        model._loss_tracker = tracker
    return tracker


def compile_metrics_of(model) -> CompileMetrics:
    cm = model.__dict__.get("_compile_metrics_obj")
    if cm is None:
        cm = CompileMetrics(model)
        model._compile_metrics_obj = cm
    return cm


def _as_list(v) -> list:
    if isinstance(v, dict):
        return list(v.values())
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _data(v):
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def compute_loss(model, y, y_pred, sample_weight=None) -> Tensor:
    if not model.compiled:
        raise ValueError(f"{model._label()}.compute_loss: call compile(optimizer, loss) first")
    preds = _as_list(y_pred)
    model._bind_outputs(len(preds))
    if model._compiled_loss is None:
        raise ValueError(
            f"{model._label()}.compute_loss: no loss was given to compile(); compute the loss in "
            "train_step yourself, or compile with loss=..."
        )
    ys = [y[n] for n in model.output_names] if isinstance(y, dict) else _as_list(y)
    ys = [_data(v) for v in ys]
    w = None if sample_weight is None else _data(sample_weight).reshape(-1)
    total, _ = model._compiled_loss(ys, preds, w)
    for r in model.regularization_losses():
        total = total + r
    return total


def flatten_logs(logs: dict) -> dict:
    """``{"loss": 0.3, "compile_metrics": {"mae": 0.2}}`` → ``{"loss": 0.3, "mae": 0.2}``, as
    floats."""
    out = {}
    for k, v in (logs or {}).items():
        if isinstance(v, dict):
            out.update(flatten_logs(v))
        else:
            out[k] = float(_data(v))
    return out


def unpack(data):
    """(x, y, sample_weight) from ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if isinstance(data, tuple) and 1 <= len(data) <= 3:
        return (*data, None, None)[:3]
    return data, None, None


def default_train_step(model, data) -> dict:
    x, y, w = unpack(data)
    model.zero_grad()
    y_pred = model(x, training=True)
    loss = compute_loss(model, y, y_pred, w)
    loss.backward()
    params = model.trainable_weights
    model.optimizer.apply([p.grad for p in params], params)
    model.apply_constraints()
    return _update_metrics(model, loss, y, y_pred, w)


def default_test_step(model, data) -> dict:
    from ..function import no_grad

    x, y, w = unpack(data)
    with no_grad():
        y_pred = model(x, training=False)
        loss = compute_loss(model, y, y_pred, w)
    return _update_metrics(model, loss, y, y_pred, w)


def _update_metrics(model, loss, y, y_pred, w) -> dict:
    for metric in model.metrics:
        if metric.name == "loss":
            metric.update_state(_data(loss))
        else:
            metric.update_state(y, y_pred, w)
    return model.get_metrics_result()
