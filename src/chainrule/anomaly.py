"""Anomaly mode: find the op where a NaN or an infinity first appears, not where it was noticed.

::

    with chainrule.detect_anomaly():
        loss = model(x).sum()
        loss.backward()          # AnomalyError: 'log' in layer 'dense_1' (train.py:12) ...

    model.fit(x, y, detect_anomaly=True)

While the mode is on, every op checks its output after its forward pass, and its input gradients
after its backward pass. The first non-finite value raises :class:`AnomalyError` naming the op, the
layer that called it (the innermost ``Module.__call__`` running), where the op was created (the
first stack frame outside chainrule, as ``file:line``) and statistics of the op's inputs (shape,
dtype, min/max, NaN and inf counts). An op whose inputs were already non-finite is not blamed: the
error then says the value came in through a leaf (data or a parameter).

When the mode is off the engine pays one attribute test per op (``state.on``), nothing more. The
engine's hooks into this module are three short, delimited blocks: ``Function.apply`` (forward),
``run_backward`` (backward) and ``Module.__call__`` (which layer is running).
"""

from __future__ import annotations

import functools
import os
import sys
from typing import ClassVar

import numpy as np

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "is_anomaly_enabled",
    "set_detect_anomaly",
]


class _State:
    """``on``: the one flag the engine tests; ``modules``: the stack of layers being called."""

    on = False
    modules: ClassVar[list] = []


state = _State()

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class AnomalyError(RuntimeError):
    """A NaN or inf appeared in a forward or backward pass under anomaly mode.

    Attributes: ``op`` (the op's name, e.g. ``'log'``), ``phase`` (``'forward'`` or
    ``'backward'``), ``layer`` (the calling layer's path, or None), ``site`` (``file:line``).
    """

    def __init__(self, message: str, op: str, phase: str, layer: str | None, site: str):
        super().__init__(message)
        self.op, self.phase, self.layer, self.site = op, phase, layer, site


def is_anomaly_enabled() -> bool:
    """Whether anomaly mode is on."""
    return state.on


def set_detect_anomaly(mode: bool) -> None:
    """Turn anomaly mode on or off globally (PyTorch's ``torch.autograd.set_detect_anomaly``)."""
    state.on = bool(mode)


class detect_anomaly:
    """Context manager (and decorator) turning anomaly mode on for its block, then restoring it.

    ``check_nan=False`` makes the block a no-op (PyTorch's argument), so a flag can switch the
    checks off without restructuring code.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = bool(check_nan)

    def __enter__(self):
        self._prev = state.on
        state.on = self.check_nan or state.on
        return self

    def __exit__(self, *exc):
        state.on = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return func(*args, **kwargs)

        return wrapper


# ---------------------------------------------------------------- layer tracking
def call_module(module, args, kwargs):
    """Run ``module(*args, **kwargs)`` with ``module`` on the stack of running layers (called by
    ``Module.__call__`` when the mode is on; the re-entered ``__call__`` sees it on top and runs
    normally)."""
    stack = state.modules
    stack.append(module)
    try:
        return type(module).__call__(module, *args, **kwargs)
    finally:
        stack.pop()


def is_current(module) -> bool:
    """Whether ``module`` is the innermost layer running (``Module.__call__`` re-entered)."""
    stack = state.modules
    return bool(stack) and stack[-1] is module


def _module_label(module) -> str:
    name = getattr(module, "name", None)
    return str(name) if name else type(module).__name__


def current_layer() -> str | None:
    """The running layers, outermost first (``'sequential > dense_1'``), or None outside any."""
    if not state.modules:
        return None
    return " > ".join(_module_label(m) for m in state.modules)


def creation_site() -> str:
    """``file:line`` of the first stack frame outside the chainrule package (the user's code)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not os.path.abspath(filename).startswith(_PACKAGE_DIR):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<inside chainrule>"


# ---------------------------------------------------------------- statistics and checks
def _raw(value):
    """The array behind a Tensor, a Scatter gradient or an array (None stays None)."""
    if value is None or isinstance(value, np.ndarray):
        return value
    if hasattr(value, "requires_grad"):  # a Tensor
        return value.data
    if hasattr(value, "add_into"):  # a Scatter gradient: only its values can be non-finite
        return value.values
    return value


def _counts(arr) -> str:
    arr = np.asarray(arr)
    return f"{int(np.isnan(arr).sum())} NaN and {int(np.isinf(arr).sum())} inf values"


def _finite(arr) -> bool:
    if arr is None:
        return True
    if not hasattr(arr, "dtype"):
        arr = np.asarray(arr)
    if arr.dtype.kind not in "fc":
        return True
    return bool(np.isfinite(arr).all())


def describe(arr) -> str:
    """``shape (2, 3) float32, min -1, max 4, 0 NaN, 1 inf`` for an array (finite values only in
    min/max)."""
    arr = np.asarray(_raw(arr))
    text = f"shape {tuple(arr.shape)} {arr.dtype}"
    if arr.dtype.kind not in "fciub" or arr.size == 0:
        return text
    if arr.dtype.kind in "fc":
        nan = int(np.isnan(arr).sum())
        inf = int(np.isinf(arr).sum())
        fin = arr[np.isfinite(arr)]
    else:
        nan = inf = 0
        fin = arr
    rng = f"min {fin.min():.4g}, max {fin.max():.4g}" if fin.size else "no finite values"
    return f"{text}, {rng}, {nan} NaN, {inf} inf"


def _op_name(fn) -> str:
    return type(fn).__name__.lower()


def after_forward(fn, inputs, out) -> None:
    """Called by ``Function.apply`` after ``fn.forward`` (mode on): remembers where the op was made
    and which layer called it (for the backward check), and raises when the output is not finite
    although every input is."""
    site = creation_site()
    layer = current_layer()
    fn._anomaly = (site, layer)
    if _finite(out):
        return
    in_arrays = [_raw(t) for t in inputs]
    bad_inputs = [i for i, a in enumerate(in_arrays) if not _finite(a)]
    op = _op_name(fn)
    stats = "\n".join(f"  input {i}: {describe(a)}" for i, a in enumerate(in_arrays))
    if bad_inputs:
        cause = (
            f"input {bad_inputs[0]} was already non-finite when it reached '{op}': it came in "
            "through a leaf (the data or a parameter), not from an op"
        )
    else:
        cause = f"'{op}' produced it from finite inputs"
    where = f"in layer '{layer}'" if layer else "outside any layer"
    raise AnomalyError(
        f"anomaly: forward of '{op}' returned {_counts(out)}: {cause}.\n"
        f"  op: {op} {where}, created at {site}\n{stats}\n  output: {describe(out)}",
        op,
        "forward",
        layer,
        site,
    )


def after_backward(fn, grad, in_grads) -> None:
    """Called by ``run_backward`` after ``fn.backward`` (mode on): raises when an input gradient
    is not finite although the output's gradient is."""
    bad = [i for i, g in enumerate(in_grads) if not _finite(_raw(g))]
    if not bad:
        return
    op = _op_name(fn)
    site, layer = getattr(fn, "_anomaly", ("<recorded before anomaly mode was on>", None))
    grad_in = _raw(grad)
    if not _finite(grad_in):
        cause = "the gradient reaching it was already non-finite"
    else:
        cause = f"'{op}' backward produced it from a finite incoming gradient"
    stats = [f"  incoming gradient: {describe(grad_in)}"]
    for i, p in enumerate(getattr(fn, "parents", ())):
        stats.append(f"  input {i}: {describe(p.data)}")
    for i in bad:
        stats.append(f"  gradient for input {i}: {describe(in_grads[i])}")
    where = f"in layer '{layer}'" if layer else "outside any layer"
    raise AnomalyError(
        f"anomaly: backward of '{op}' returned a non-finite gradient for input {bad[0]} "
        f"({_counts(_raw(in_grads[bad[0]]))}): {cause}.\n  op: {op} {where}, created at {site}\n"
        + "\n".join(stats),
        op,
        "backward",
        layer,
        site,
    )
