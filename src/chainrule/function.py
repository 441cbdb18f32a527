"""The graph node and the backward pass.

A :class:`Function` subclass implements ``forward(*arrays) -> array`` and ``backward(grad) -> one
gradient per input`` over raw arrays. ``Function.apply`` runs the forward pass on tensors and, when a
gradient will be needed, records the node on the output. :func:`run_backward` walks the recorded graph
by decreasing creation order (a topological order), without recursion.
"""

from __future__ import annotations

import functools
import itertools
from heapq import heappop, heappush

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
    #: True when ``backward`` returns arrays newly allocated for each input (no views, nothing shared
    #: between inputs or kept on ``self``): leaf gradients are then stored without a defensive copy
    fresh_grads: bool = False

    def forward(self, *arrays, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Tensor, **params) -> Tensor:
        """Run the op on tensors; record it on the result when any input requires grad."""
        fn = cls()
        try:  # one- and two-input ops (most of them) skip building lists
            if len(inputs) == 2:
                a, b = inputs
                out = fn.forward(a.data, b.data, **params)
                needs = [a.requires_grad, b.requires_grad]
            elif len(inputs) == 1:
                a = inputs[0]
                out = fn.forward(a.data, **params)
                needs = [a.requires_grad]
            else:
                out = fn.forward(*[t.data for t in inputs], **params)
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


def _sum_grads(prev, g, owned: set):
    """``prev + g`` where either may be a :class:`Scatter`. A scatter is added in place into an
    accumulator this backward pass allocated itself (``owned`` holds their ids), never into an array
    some other node or the caller may still hold."""
    if type(prev) is Scatter:
        prev = prev.dense()
    elif id(prev) not in owned:
        if type(g) is not Scatter:
            return prev + g
        prev = prev.copy()
    owned.add(id(prev))
    if type(g) is Scatter:
        g.add_into(prev)
    else:
        prev += g
    return prev


def _accumulate(t: Tensor, g, fresh: bool = False, owned: set | None = None) -> None:
    """Add ``g`` into ``t.grad``. The stored array is always the tensor's own (never a view of a
    gradient that other tensors, or the caller, also hold), so in-place updates of ``.grad`` are safe.
    ``fresh`` says ``g`` was just allocated for this tensor alone: it is stored without a copy.
    The gradient always takes the tensor's dtype (as in PyTorch)."""
    dtype = t.data.dtype
    if type(g) is Scatter:
        # the first scatter of a pass makes the tensor a new array; later ones add into it in
        # place (``owned``), so n slices cost one full-size array and an array the caller may
        # hold from before this backward is never written into
        if t.grad is None:
            t.grad = g.dense(dtype)
        elif owned is None or id(t.grad) not in owned:
            grad = t.grad.astype(dtype)  # a copy
            g.add_into(grad)
            t.grad = grad
        else:
            g.add_into(t.grad)
        if owned is not None:
            owned.add(id(t.grad))
        return
    if t.grad is None:
        if fresh and type(g) is np.ndarray and g.flags.owndata and g.dtype == dtype:
            t.grad = g
        elif isinstance(t.data, np.ndarray):
            t.grad = np.array(g, dtype=dtype)
        else:
            t.grad = g.astype(dtype)  # a CuPy array: always a copy
    else:
        grad = t.grad + g
        t.grad = grad if grad.dtype == dtype else grad.astype(dtype)


def _initial_grad(root: Tensor, grad):
    data = root.data
    if grad is None:
        if data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implied only for a single-element tensor; this one has "
                f"shape {data.shape}. Pass grad= with that shape, or reduce first (e.g. .sum())."
            )
        return xp(data).ones_like(data)
    grad = grad.data if isinstance(grad, Tensor) else grad
    grad = xp(data).asarray(grad, dtype=data.dtype)
    if grad.shape != data.shape:
        raise ValueError(
            f"backward: grad has shape {grad.shape} but the tensor has shape {data.shape}"
        )
    return grad


def run_backward(root: Tensor, grad=None, retain_graph: bool = False) -> None:
    """Backpropagate from ``root``: accumulate d(root)/d(leaf) into every leaf's ``.grad``.

    ``grad`` is the gradient of some scalar with respect to ``root`` (defaults to 1 for a
    single-element root). Nodes are visited by decreasing ``seq`` from a heap, which discovers the
    graph and orders it in one pass without recursion; gradients meeting at a tensor used several
    times are summed before its node runs. Unless ``retain_graph`` is true, each node's saved arrays
    are released once used.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph "
            "(was it computed under no_grad(), or from inputs that do not require grad?)"
        )
    grad = _initial_grad(root, grad)
    fn = root._fn
    if fn is None:
        _accumulate(root, grad)
        _after_leaf(root)
        _run_queued_callbacks()
        return
    pending = {fn: grad}  # node -> gradient of its output, summed over its consumers
    owned: set = set()  # ids of the accumulators in pending that this pass allocated
    leaf_owned: set = set()  # ids of leaf .grad arrays this pass allocated (scatters add into them)
    heap = [(-fn.seq, fn)]
    while heap:
        fn = heappop(heap)[1]
        g = pending.pop(fn)
        if type(g) is Scatter:
            g = g.dense()
        elif owned:
            owned.discard(id(g))  # leaving pending: its id may be reused once it is freed
        if fn.freed:
            raise RuntimeError(
                f"backward: trying to backpropagate through {type(fn).__name__} a second time, but "
                "its saved arrays were freed after the first backward. Call backward(retain_graph="
                "True) the first time if you need to backpropagate through the graph twice."
            )
        if fn.retained is not None:
            _accumulate(fn.retained, g)
        in_grads = fn.backward(g)
        if type(in_grads) is not tuple:
            in_grads = (in_grads,)
        # -- anomaly mode (chainrule.anomaly): one flag test when off
        if _anomaly.state.on:
            _anomaly.after_backward(fn, g, in_grads)
        # -- end anomaly mode
        for p, pg in zip(fn.parents, in_grads):
            if pg is None or not p.requires_grad:
                continue
            pfn = p._fn
            if pfn is None:
                _accumulate(p, pg, fn.fresh_grads, leaf_owned)
                if "_post_accumulate_hooks" in p.__dict__:
                    _after_leaf(p)
                continue
            prev = pending.get(pfn)
            if prev is None:
                pending[pfn] = pg
                heappush(heap, (-pfn.seq, pfn))
            else:
                pending[pfn] = _sum_grads(prev, pg, owned)
        if not retain_graph:
            fn.release()
    if _queued_callbacks:
        _run_queued_callbacks()


# ---------------------------------------------------------------- backward hooks
# Used by data-parallel training (chainrule.distributed) to start reducing a bucket of gradients
# while the rest of the backward pass runs, and to finish the reduction when it ends.
_queued_callbacks: list = []


def _after_leaf(t: Tensor) -> None:
    for hook in t.__dict__.get("_post_accumulate_hooks", ()):
        hook(t)


def queue_backward_callback(callback) -> None:
    """Run ``callback()`` once, when the backward pass now running has finished (called from a
    gradient hook; PyTorch's ``queue_callback``). Outside a backward pass it runs at the end of
    the next one."""
    _queued_callbacks.append(callback)


def cancel_backward_callback(callback) -> None:
    """Drop ``callback`` from the queue (e.g. after a backward pass that raised)."""
    while callback in _queued_callbacks:
        _queued_callbacks.remove(callback)


def _run_queued_callbacks() -> None:
    callbacks = list(_queued_callbacks)
    _queued_callbacks.clear()
    for callback in callbacks:
        callback()


# Bound at the bottom, after everything tensor.py needs from here exists: importing this module or
# chainrule.tensor first then works either way round.
from .tensor import Tensor
