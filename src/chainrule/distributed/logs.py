"""Training logs reduced across ranks: the loss and every metric over the samples of all ranks.

A metric's state is what its ``reset_state`` assigns (found once per class by recording those
assignments). States are gathered from every rank and merged: numbers and arrays are summed
(arrays of different shapes, e.g. confusion matrices that have seen different classes, are
zero-padded first), lists are concatenated, None is "nothing yet". Streaming metrics in chainrule
are sums of this kind (totals and counts, confusion matrices, histogram bins), so the merged
result equals what one process would report on all the samples.
"""

from __future__ import annotations

import copy

import numpy as np

_STATE_KEYS: dict[type, tuple] = {}


def state_keys(metric) -> tuple:
    """The attribute names ``metric.reset_state()`` assigns (its streaming state)."""
    cls = type(metric)
    if cls not in _STATE_KEYS:
        assigned: list[str] = []

        class _Recorder(cls):  # type: ignore[misc, valid-type]
            def __setattr__(self, key, value):
                assigned.append(key)
                object.__setattr__(self, key, value)

        probe = copy.copy(metric)
        probe.__class__ = _Recorder
        probe.reset_state()
        _STATE_KEYS[cls] = tuple(dict.fromkeys(assigned))
    return _STATE_KEYS[cls]


def _merge(values: list):
    present = [v for v in values if v is not None]
    if not present:
        return None
    first = present[0]
    if isinstance(first, (bool, str)):
        return first
    if isinstance(first, list):
        return [item for v in present for item in v]
    if isinstance(first, np.ndarray) and first.ndim > 0:
        shape = tuple(max(s) for s in zip(*(v.shape for v in present)))
        out = np.zeros(shape, dtype=np.result_type(*present))
        for v in present:
            out[tuple(slice(0, k) for k in v.shape)] += v
        return out
    total = present[0]
    for v in present[1:]:
        total = total + v
    return total


def local_state(step) -> tuple:
    """This rank's loss sums and metric states (what :func:`reduced_logs` exchanges)."""
    metric_states = [
        [{k: getattr(m, k, None) for k in state_keys(m)} for m in ms]
        for ms in getattr(step, "metrics", None) or []
    ]
    return step.seen, step.loss_sum, list(step.term_sums), metric_states


def reduced_logs(step, states: list, cheap: bool = False) -> dict:
    """``step.logs(cheap)`` computed as if one process had seen every rank's samples.

    ``states``: :func:`local_state` of every rank (from an allgather). The step's own counters are
    left as they were.
    """
    saved = local_state(step)
    try:
        step.seen = sum(s[0] for s in states)
        step.loss_sum = sum(s[1] for s in states)
        step.term_sums = [sum(t) for t in zip(*(s[2] for s in states))]
        for i, ms in enumerate(getattr(step, "metrics", None) or []):
            for j, m in enumerate(ms):
                for k in state_keys(m):
                    object.__setattr__(m, k, _merge([s[3][i][j][k] for s in states]))
        return step.logs(cheap=cheap)
    finally:
        step.seen, step.loss_sum, step.term_sums = saved[0], saved[1], saved[2]
        for ms, st in zip(getattr(step, "metrics", None) or [], saved[3]):
            for m, values in zip(ms, st):
                for k, v in values.items():
                    object.__setattr__(m, k, v)
