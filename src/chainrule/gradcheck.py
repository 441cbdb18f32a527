"""Finite-difference gradient checking, for users' own functions as well as ours."""

from __future__ import annotations

import numpy as np

from .function import no_grad
from .random import get_generator
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with the numeric one."""


def _scalar(out, weights):
    """Project ``out`` onto fixed random weights: a scalar whose gradient checks every output."""
    if isinstance(out, (tuple, list)):
        return sum((o * w).sum() for o, w in zip(out, weights))
    return (out * weights[0]).sum()


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Compare the gradients of ``fn(*inputs)`` with central finite differences in float64.

    ``inputs``: a Tensor or sequence of Tensors/arrays; the floating-point ones are checked. The
    output (a Tensor or tuple of Tensors) is reduced to a scalar with random weights drawn from the
    library generator, so every output element takes part. Returns True, or raises
    :class:`GradcheckError` naming the worst mismatch: which input, which element, the analytic and
    the numeric value.
    """
    if isinstance(inputs, (Tensor, np.ndarray)):
        inputs = (inputs,)
    xs = []
    for x in inputs:
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        if data.dtype.kind == "f":
            xs.append(Tensor(data.astype(np.float64), requires_grad=True))
        else:
            xs.append(Tensor(data))
    with no_grad():
        out = fn(*xs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = get_generator()  # the library stream: reproducible under chainrule.manual_seed
    weights = [Tensor(rng.standard_normal(o.shape)) for o in outs]

    loss = _scalar(fn(*xs), weights)
    if loss.requires_grad:  # otherwise the output ignores the inputs: every analytic gradient is 0
        loss.backward()

    worst = None  # (excess, input index, element, analytic, numeric)
    for i, x in enumerate(xs):
        if not x.requires_grad:
            continue
        analytic = np.zeros_like(x.data) if x.grad is None else np.asarray(x.grad, dtype=np.float64)
        flat = x.data.reshape(-1)  # a view: perturbations write through to x.data
        for j in range(flat.size):
            orig = flat[j]
            with no_grad():
                flat[j] = orig + eps
                up = _scalar(fn(*xs), weights).item()
                flat[j] = orig - eps
                down = _scalar(fn(*xs), weights).item()
            flat[j] = orig
            numeric = (up - down) / (2 * eps)
            a = analytic.reshape(-1)[j]
            excess = abs(a - numeric) - (atol + rtol * abs(numeric))
            if not np.isfinite(excess):  # a NaN or inf on either side is the worst mismatch
                excess = np.inf
            if excess > 0 and (worst is None or excess > worst[0]):
                idx = np.unravel_index(j, x.shape) if x.ndim else ()
                worst = (excess, i, idx, a, numeric)
    if worst is not None:
        _, i, idx, a, numeric = worst
        raise GradcheckError(
            f"gradcheck: input {i} (shape {xs[i].shape}), element {tuple(int(k) for k in idx)}: "
            f"analytic {a:.10g} vs numeric {numeric:.10g} "
            f"(difference {abs(a - numeric):.3g} exceeds atol={atol} + rtol={rtol}·|numeric|)"
        )
    return True
