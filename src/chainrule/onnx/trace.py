"""Record the ops a model runs: the op-level route to export.

:func:`trace` runs ``model`` once on an example input while every ``Function.apply`` call is
recorded as an :class:`OpRecord` (the Function class, its input tensors, its keyword parameters and
its output tensor). The records, in call order, are the model's computation as the engine saw it —
whatever the layer classes, door or user code that produced it: a subclassed ``nn.Module`` traces
exactly like a Sequential, and a layer class added later traces through the ops it calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..function import Function, enable_grad


@dataclass
class OpRecord:
    """One recorded op: ``op`` (the Function subclass), ``inputs`` (tensors), ``params`` (its
    keyword parameters), ``output`` (the tensor it returned)."""

    op: type
    inputs: tuple
    params: dict[str, Any]
    output: Any


@dataclass
class Trace:
    """The recorded ops of one forward pass, the inputs given and the outputs returned."""

    inputs: list
    outputs: list
    records: list[OpRecord] = field(default_factory=list)


def trace(fn, inputs: list) -> Trace:
    """Call ``fn(*inputs)`` with recording on; return the :class:`Trace`.

    ``Function.apply`` is swapped for a recording wrapper only for the duration of the call (and
    restored even when ``fn`` raises), so ordinary runs pay nothing for this feature. Gradient
    recording is left on so each op takes its ordinary path; nothing is backpropagated.
    """
    original = Function.__dict__["apply"]
    records: list[OpRecord] = []

    def recording_apply(cls, *args, **params):
        out = original.__func__(cls, *args, **params)
        records.append(OpRecord(cls, args, params, out))
        return out

    Function.apply = classmethod(recording_apply)
    try:
        with enable_grad():
            result = fn(*inputs)
    finally:
        Function.apply = original
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    return Trace(inputs=list(inputs), outputs=outputs, records=records)
