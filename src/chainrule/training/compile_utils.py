"""What ``compile`` resolves: one loss (and weight) per output, the metrics per output, the config.

``loss``, ``metrics`` and ``loss_weights`` may be given once (single output, or the same for every
output), as a list in output order, or as a dict keyed by output name — as in Keras. Strings go
through the registries (``chainrule.losses.get``, ``chainrule.metrics.get``); ``"accuracy"`` is
resolved against each output's loss.
"""

from __future__ import annotations

from typing import Any

from .. import losses as losses_mod
from .. import metrics as metrics_mod


def per_output(value, names: list[str], what: str, default=None) -> list:
    """``value`` spread over the outputs ``names`` (single value, list, or dict by name)."""
    n = len(names)
    if isinstance(value, dict) and "class_name" in value:  # one serialised object (get_config)
        return [value] * n
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"compile: {what} names {unknown} are not model outputs {names}")
        return [value.get(name, default) for name in names]
    if isinstance(value, (list, tuple)) and what in ("loss", "loss_weights"):
        if len(value) != n:
            raise ValueError(f"compile: {what} has {len(value)} entries for {n} outputs {names}")
        return list(value)
    return [value] * n


def resolve_metrics(metrics, names: list[str], losses: list) -> list[list]:
    """Fresh Metric objects per output. A flat list applies to every output; a list of lists or a
    dict assigns them per output."""
    if metrics is None:
        return [[] for _ in names]
    if isinstance(metrics, dict) and "class_name" not in metrics:
        spread = per_output(metrics, names, "metrics", [])
    elif (
        isinstance(metrics, (list, tuple))
        and len(names) > 1
        and len(metrics) == len(names)
        and all(isinstance(m, (list, tuple)) or m is None for m in metrics)
    ):
        spread = list(metrics)
    elif isinstance(metrics, (list, tuple)):
        spread = [list(metrics)] * len(names)
    elif isinstance(metrics, (str, dict)) or callable(metrics):
        spread = [[metrics]] * len(names)
    else:
        raise TypeError(f"compile: metrics must be a list or dict, got {type(metrics).__name__}")
    out = []
    for items, loss in zip(spread, losses):
        items = [] if items is None else items if isinstance(items, (list, tuple)) else [items]
        resolved = []
        for item in items:
            # a shared Metric object would mix outputs: only take it as is for one output
            if isinstance(item, metrics_mod.Metric) and len(names) > 1:
                item = type(item)(**{k: v for k, v in item.get_config().items()})
            resolved.append(metrics_mod.get(item, loss))
        out.append(resolved)
    return out


def describe(obj) -> Any:
    """A JSON-able description of a compile argument: strings and numbers as is, objects with
    ``get_config`` as ``{"class_name", "config"}``, containers recursively; anything else None."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [describe(o) for o in obj]
    if isinstance(obj, dict):
        return {str(k): describe(v) for k, v in obj.items()}
    get_config = getattr(obj, "get_config", None)
    if callable(get_config):
        try:
            return {"class_name": type(obj).__name__, "config": get_config()}
        except (TypeError, NotImplementedError):
            return None
    return None


class CompiledLoss:
    """Losses and weights per output; computes the weighted total and each output's term."""

    def __init__(self, loss, loss_weights, names: list[str]):
        self.names = names
        raw = per_output(loss, names, "loss")
        missing = [n for n, item in zip(names, raw) if item is None]
        if missing:
            raise ValueError(f"compile: no loss given for output(s) {missing}")
        self.losses = [losses_mod.get(item) for item in raw]
        weights = per_output(
            1.0 if loss_weights is None else loss_weights, names, "loss_weights", 1.0
        )
        self.weights = [float(w) for w in weights]
        self.sparse = [getattr(fn, "kind", "") == "sparse_categorical" for fn in self.losses]

    def __call__(self, ys: list, outputs: list, sample_weight=None):
        """(total, terms): the weighted sum of the output losses and each unweighted term."""
        terms = [fn(y, out, sample_weight) for fn, y, out in zip(self.losses, ys, outputs)]
        total = None
        for w, t in zip(self.weights, terms):
            term = t if w == 1.0 else t * w
            total = term if total is None else total + term
        return total, terms
