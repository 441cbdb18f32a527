"""The graph node and the backward pass.

A :class:`Function` subclass implements ``forward(*arrays) -> array`` and ``backward(grad) -> one
gradient per input`` over raw arrays. ``Function.apply`` runs the forward pass on tensors and, when a
gradient will be needed, records the node on the output. :func:`run_backward` walks the recorded graph
by decreasing creation order (a topological order), without recursion.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from . import anomaly as _anomaly
from .backend import xp


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """Whether operations are currently being recorded for backpropagation."""
    return _GradMode.enabled


class _SetGrad:
    """Base of :class:`no_grad` / :class:`enable_grad`: a context manager and a decorator."""

    mode = True

    def __enter__(self):
        self._prev = _GradMode.enabled
        _GradMode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _GradMode.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)

        return wrapper


class no_grad(_SetGrad):
    """Context (or decorator) in which results record no graph: inference and weight updates."""

    mode = False


class enable_grad(_SetGrad):
    """Context (or decorator) that turns recording back on inside a ``no_grad`` block."""

    mode = True


def unbroadcast(grad, shape: tuple):
    """Sum ``grad`` down to ``shape``: the adjoint of NumPy broadcasting.

    Every binary op passes its input gradients through this, so broadcasting needs no special case
    anywhere else.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class Function:
    """One differentiable operation: a node of the graph.

    Subclasses override :meth:`forward` and :meth:`backward`. ``forward`` receives the inputs' arrays
    (plus keyword parameters) and keeps on ``self`` only what ``backward`` needs. ``backward``
    receives the gradient of the output and returns one gradient per input (a tuple, or a bare array
    when there is a single input); ``None`` stands for "no gradient".

    Each recorded node carries ``seq``, a number that grows with every recorded op: a node's inputs
    were always made before it, so visiting nodes by decreasing ``seq`` is a topological order.
    """

    parents: tuple = ()
    needs_input_grad: list[bool] | tuple = ()  # per input: does it require grad?
    freed: bool = False
    seq: int = 0
    #: the output tensor, set only when it asked to keep its gradient (``Tensor.retain_grad``)
    retained = None
    #: gradient hooks of the output tensor (``Tensor.register_hook``); a list once one is registered
    #: (``retain_grad`` sets it too): the backward pass looks at this one attribute per node
    hooks = None
    #: which inputs ``backward`` reads the values of (indices; None: all of them). An input modified
    #: in place after the forward pass makes backward raise only when it is listed here
    saved_inputs: tuple | None = None
    #: True when ``backward`` reads the op's own result: an in-place change of it then raises
    saves_output: bool = False
    #: True when ``backward`` returns arrays newly allocated for each input (no views, nothing shared
    #: between inputs or kept on ``self``): leaf gradients are then stored without a defensive copy
    fresh_grads: bool = False

    def forward(self, *arrays, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward_graph(self, grad: Tensor):
        """The same derivative as :meth:`backward`, written with chainrule ops on Tensors, so that
        the backward pass itself is recorded (``create_graph=True``: higher-order gradients).

        ``grad`` is a Tensor; the op's inputs are ``self.parents`` (Tensors); the result is one
        Tensor (or None) per input. Arrays saved on ``self`` by ``forward`` may be used as
        constants (masks, shapes), never for a value that depends on an input. An op without it
        cannot be differentiated twice: the error names it.
        """
        raise RuntimeError(
            f"{type(self).__name__}: this op has no differentiable backward yet, so a gradient "
            "cannot be differentiated through it (create_graph=True, autograd.grad of a gradient, "
            "hessian, ...). First-order backward works."
        )

    @classmethod
    def apply(cls, *inputs: Tensor, **params) -> Tensor:
        """Run the op on tensors; record it on the result when any input requires grad."""
        fn = cls()
        try:  # one- and two-input ops (most of them) skip building lists
            if len(inputs) == 2:
                a, b = inputs
                out = fn.forward(a._data, b._data, **params)
                needs = [a.requires_grad, b.requires_grad]
            elif len(inputs) == 1:
                a = inputs[0]
                out = fn.forward(a._data, **params)
                needs = [a.requires_grad]
            else:
                out = fn.forward(*[t._data for t in inputs], **params)
                needs = [t.requires_grad for t in inputs]
        except (ValueError, IndexError) as err:
            raise _named_error(cls, inputs, err) from None
        if isinstance(out, np.generic):
            out = np.asarray(out)
        # -- anomaly mode (chainrule.anomaly): one flag test when off
        if _anomaly.state.on:
            _anomaly.after_forward(fn, inputs, out)
        # -- end anomaly mode
        if _GradMode.enabled and True in needs:
            fn.parents = inputs
            fn.needs_input_grad = needs
            fn.seq = next(_sequence)
            return Tensor._wrap(out, True, fn)
        return Tensor._wrap(out, False, None)

    def release(self) -> None:
        """Drop everything saved for backward, inputs included; ``freed`` marks the node, so a second
        backward through it stops here with a clear error (it never needs the links past it)."""
        self.__dict__.clear()
        self.freed = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


_sequence = itertools.count(1)


def _named_error(cls, inputs, err: Exception) -> Exception:
    """An error from inside an op's forward, prefixed with the op's name and its input shapes
    (NumPy's own messages, e.g. about broadcasting, name neither). Errors whose message already
    starts with a name (``"reshape: ..."``, ``"cross_entropy: ..."``) are kept as they are."""
    name = cls.__name__.lower()
    msg = str(err)
    if msg.split(": ", 1)[0].isidentifier() or msg.lower().startswith(name):
        return err
    shapes = ", ".join(str(t.shape) for t in inputs)
    kind = (
        IndexError
        if isinstance(err, IndexError) and not isinstance(err, ValueError)
        else ValueError
    )
    return kind(f"{name}: {msg} (input shapes: {shapes})")


class Scatter:
    """A gradient that is zero except at ``index``: what indexing and splitting pass back.

    Returned by a backward instead of a full-size array, so that taking n slices of a tensor (split,
    ``x[:, t]`` per time step) costs O(size) in backward, not n full-size zero arrays: the engine
    adds each slice into one accumulator it owns. ``advanced`` indices may repeat (``np.add.at``).
    """

    __slots__ = ("advanced", "index", "shape", "values")

    def __init__(self, shape: tuple, index, values, advanced: bool):
        self.shape, self.index, self.values, self.advanced = shape, index, values, advanced

    def add_into(self, out) -> None:
        """``out[index] += values`` (in place, repeated indices accumulating)."""
        if self.advanced:
            xp(out).add.at(out, self.index, self.values)
        else:
            out[self.index] += self.values

    def dense(self, dtype=None):
        """A new array of ``shape``: zeros with the values added at ``index``."""
        v = self.values
        out = xp(v).zeros(self.shape, dtype=v.dtype if dtype is None else dtype)
        self.add_into(out)
        return out


# Bound at the bottom, after everything tensor.py needs from here exists: importing this module or
# chainrule.tensor first then works either way round.
# the backward pass lives in engine.py; its callback queue is re-exported for tests and tools
from .engine import (
    _queued_callbacks,  # noqa: F401
    cancel_backward_callback,
    queue_backward_callback,
    run_backward,
)
from .tensor import Tensor

__all__ = [
    "Function", "Scatter", "cancel_backward_callback", "enable_grad", "is_grad_enabled", "no_grad",
    "queue_backward_callback", "run_backward", "unbroadcast",
]  # fmt: skip
