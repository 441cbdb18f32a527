"""The backward pass: walk the recorded graph from its outputs and deliver gradients.

One loop serves every use. Nodes are visited by decreasing creation number (``Function.seq``,
a topological order) from a heap, without recursion; gradients meeting at a tensor used several
times are summed before its node runs.

- Plain ``backward()``: gradients are raw arrays, each node's ``backward`` runs, leaf gradients
  accumulate into ``.grad`` (arrays). This is the fast path: the only extra work per node is two
  attribute comparisons (hooks, in-place marks).
- ``create_graph=True``: gradients are Tensors and each node's ``backward_graph`` runs with
  recording on, so the gradients are themselves differentiable; ``.grad`` then holds a Tensor.
- ``targets`` (``autograd.grad`` and ``backward(inputs=...)``): only the part of the graph that
  leads to the targets runs, and only the targets receive gradients (returned, or accumulated).
"""

from __future__ import annotations

from heapq import heappop, heappush

import numpy as np

from . import anomaly as _anomaly
from .backend import xp
from .function import Function, Scatter, _GradMode


class _Mutation:
    """``last``: the sequence mark of the latest in-place change of any tensor (0: none yet). A
    node made after it cannot have been affected, so most backward passes check nothing."""

    last = 0


# ---------------------------------------------------------------- gradient arithmetic
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
    """Add ``g`` (an array or a Scatter) into ``t.grad``. The stored array is always the tensor's
    own (never a view of a gradient that other tensors, or the caller, also hold), so in-place
    updates of ``.grad`` are safe. ``fresh`` says ``g`` was just allocated for this tensor alone:
    it is stored without a copy. The gradient always takes the tensor's dtype (as in PyTorch)."""
    dtype = t._data.dtype
    if isinstance(t.grad, Tensor):  # left by a create_graph pass: add out of place, as PyTorch
        dense = g.dense(dtype) if type(g) is Scatter else g
        t.grad = t.grad + Tensor._wrap(dense)
        return
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
        elif isinstance(t._data, np.ndarray):
            t.grad = np.array(g, dtype=dtype)
        else:
            t.grad = g.astype(dtype)  # a CuPy array: always a copy
    else:
        grad = t.grad + g
        t.grad = grad if grad.dtype == dtype else grad.astype(dtype)


def _accumulate_graph(t: Tensor, g: Tensor) -> None:
    """``t.grad += g`` for a create_graph pass: ``.grad`` becomes a Tensor carrying g's graph."""
    if g._data.dtype != t._data.dtype:
        g = g.astype(t._data.dtype)
    if t.grad is None:
        t.grad = g
    else:
        prev = t.grad if isinstance(t.grad, Tensor) else Tensor._wrap(t.grad)
        t.grad = prev + g


def _initial_grad(root: Tensor, grad, create_graph: bool, where: str = "backward"):
    data = root._data
    if grad is None:
        if data.size != 1:
            raise RuntimeError(
                f"{where}: grad can be implied only for a single-element tensor; this one has "
                f"shape {data.shape}. Pass a gradient with that shape, or reduce first (.sum())."
            )
        g = xp(data).ones_like(data)
        return Tensor._wrap(g) if create_graph else g
    if isinstance(grad, Tensor):
        if grad.shape != data.shape:
            raise ValueError(
                f"{where}: grad has shape {grad.shape} but the tensor has shape {data.shape}"
            )
        if create_graph:  # a gradient that requires grad is differentiated through, as in PyTorch
            return grad if grad._data.dtype == data.dtype else grad.astype(data.dtype)
        grad = grad._data
    grad = xp(data).asarray(grad, dtype=data.dtype)
    if grad.shape != data.shape:
        raise ValueError(
            f"{where}: grad has shape {grad.shape} but the tensor has shape {data.shape}"
        )
    return Tensor._wrap(grad) if create_graph else grad


# ---------------------------------------------------------------- the pass
def run_backward(root: Tensor, grad=None, retain_graph: bool = False, create_graph: bool = False,
                 inputs=None) -> None:  # fmt: skip
    """Backpropagate from ``root``: accumulate d(root)/d(leaf) into every leaf's ``.grad`` (or, with
    ``inputs``, into those tensors' ``.grad`` only). See :meth:`Tensor.backward`."""
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no graph "
            "(was it computed under no_grad(), or from inputs that do not require grad?)"
        )
    g = _initial_grad(root, grad, create_graph)
    execute([root], [g], retain_graph, create_graph, inputs, capture=False)


def execute(roots, grads, retain_graph: bool, create_graph: bool, targets=None,
            capture: bool = False):  # fmt: skip
    """The backward pass from ``roots`` seeded with ``grads`` (arrays, or Tensors when
    ``create_graph``). With ``targets``, only the graph between roots and targets runs; ``capture``
    then returns the targets' gradients (None where unreached) instead of accumulating them."""
    if create_graph:
        prev_mode, _GradMode.enabled = _GradMode.enabled, True
        try:
            return _execute(roots, grads, retain_graph, True, targets, capture)
        finally:
            _GradMode.enabled = prev_mode
    return _execute(roots, grads, retain_graph, False, targets, capture)


def _execute(roots, grads, retain_graph, create_graph, targets, capture):
    selective = targets is not None
    if selective:
        target_ids = {id(t): i for i, t in enumerate(targets)}
        target_fns = {t._fn: i for i, t in enumerate(targets) if t._fn is not None}
        needed = _needed(roots, target_ids)
        results = [None] * len(targets)
    pending: dict = {}  # node -> gradient of its output, summed over its consumers
    owned: set = set()  # ids of the accumulators in pending that this pass allocated
    leaf_owned: set = set()  # ids of leaf .grad arrays this pass allocated (scatters add into them)
    waiting: dict = {}  # id(leaf) -> [leaf, summed gradient]: leaves with hooks, or targets
    heap: list = []
    for root, g in zip(roots, grads):
        fn = root._fn
        if fn is None:
            _wait(waiting, root, g, owned)
            continue
        prev = pending.get(fn)
        if prev is None:
            pending[fn] = g
            heappush(heap, (-fn.seq, fn))
        else:
            pending[fn] = _sum_grads(prev, g, owned)
    last_mutation = _Mutation.last
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
        if fn.seq < last_mutation:
            _check_versions(fn)
        if fn.hooks is not None:
            g = _output_hooks(fn, g, create_graph)
        if selective:
            i = target_fns.get(fn)
            if i is not None:
                if capture:
                    results[i] = g
                elif create_graph:
                    _accumulate_graph(targets[i], g)
                else:
                    _accumulate(targets[i], g)
            if fn not in needed:
                continue
        if create_graph:
            in_grads = fn.backward_graph(g)
        else:
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
                if selective:
                    if id(p) in target_ids:
                        _wait(waiting, p, pg, owned)
                elif create_graph or "_hooks" in p.__dict__:
                    _wait(waiting, p, pg, owned)
                else:
                    _accumulate(p, pg, fn.fresh_grads, leaf_owned)
                    if "_post_accumulate_hooks" in p.__dict__:
                        _after_leaf(p)
                continue
            if selective and pfn not in needed and pfn not in target_fns:
                continue
            prev = pending.get(pfn)
            if prev is None:
                pending[pfn] = pg
                heappush(heap, (-pfn.seq, pfn))
            else:
                pending[pfn] = _sum_grads(prev, pg, owned)
        if not retain_graph:
            fn.release()
    for leaf, g in waiting.values():  # every contribution has arrived: hooks see the total
        if type(g) is Scatter:
            g = g.dense(leaf._data.dtype)
        if "_hooks" in leaf.__dict__:
            g = _run_hooks(leaf.__dict__["_hooks"], g, create_graph)
        if selective:
            i = target_ids[id(leaf)]
            if capture:
                results[i] = g
                continue
        if create_graph:
            _accumulate_graph(leaf, g)
        else:
            _accumulate(leaf, g)
        if "_post_accumulate_hooks" in leaf.__dict__:
            _after_leaf(leaf)
    if _queued_callbacks:
        _run_queued_callbacks()
    return results if selective else None


def _wait(waiting: dict, leaf: Tensor, g, owned: set) -> None:
    entry = waiting.get(id(leaf))
    if entry is None:
        waiting[id(leaf)] = [leaf, g]
    else:
        entry[1] = _sum_grads(entry[1], g, owned)


def _needed(roots, target_ids: dict) -> set:
    """The nodes from which some target can be reached (the part of the graph worth running)."""
    nodes, seen = [], set()
    stack = [r._fn for r in roots if r._fn is not None]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        nodes.append(fn)
        stack.extend(p._fn for p in fn.parents if p._fn is not None and p.requires_grad)
    nodes.sort(key=lambda f: f.seq)  # inputs before the nodes that consume them
    needed = set()
    for fn in nodes:
        for p in fn.parents:
            if id(p) in target_ids or (p._fn is not None and p._fn in needed):
                needed.add(fn)
                break
    return needed


# ---------------------------------------------------------------- tensor hooks
def _run_hooks(hooks, g, create_graph: bool):
    """Call each ``hook(grad)`` in order; a hook may return a replacement gradient."""
    if type(g) is Scatter:
        g = g.dense()
    for hook in list(hooks):
        arg = g if create_graph else Tensor._wrap(g)
        out = hook(arg)
        if out is not None:
            out_data = out._data if isinstance(out, Tensor) else out
            if tuple(out_data.shape) != tuple(g.shape):
                raise RuntimeError(
                    f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                    f"{tuple(out_data.shape)}; expected {tuple(g.shape)}"
                )
            if create_graph:
                g = out if isinstance(out, Tensor) else Tensor._wrap(xp(out).asarray(out))
            else:
                g = xp(g).asarray(out_data, dtype=g.dtype)
    return g


def _output_hooks(fn: Function, g, create_graph: bool):
    """Hooks of a node's output tensor, then ``retain_grad`` (which sees the hooked gradient)."""
    g = _run_hooks(fn.hooks, g, create_graph)
    if fn.retained is not None:
        if create_graph:
            _accumulate_graph(fn.retained, g)
        else:
            _accumulate(fn.retained, g)
    return g


# ---------------------------------------------------------------- in-place checks
def _check_versions(fn: Function) -> None:
    """Raise when a value this node saved for backward was changed in place after the forward
    pass (PyTorch's version-counter check), naming the op that changed it."""
    for p in fn.parents:
        if "_rebinds" in p.__dict__:
            _follow_rebinds(fn, p)
    dirty = fn.__dict__.get("output_modified")
    if dirty is not None:
        op, version = dirty
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: the output of {type(fn).__name__} was modified by {op}; it is at "
            f"version {version}; expected version 0 instead."
        )
    saved = fn.saved_inputs
    parents = None
    for i, p in enumerate(fn.parents):
        marks = p.__dict__.get("_versions")
        if not marks or marks[-1][0] < fn.seq:
            continue
        later = [m for m in marks if m[0] > fn.seq]
        if saved is None or i in saved:
            expected = len(marks) - len(later)
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{p._data.dtype} {tuple(p.shape)}], input {i} of "
                f"{type(fn).__name__}, was modified by {later[0][1]}; it is at version "
                f"{len(marks)}; expected version {expected} instead."
            )
        if later[0][2] is not None:  # p took a new history since: this node used the old one
            parents = list(fn.parents) if parents is None else parents
            parents[i] = later[0][2]
    if parents is not None:
        fn.parents = tuple(parents)


def _follow_rebinds(fn: Function, p: Tensor) -> None:
    """``p.data`` was swapped after ``fn`` was made: wherever ``fn`` saved the array ``p`` had
    then, put the current one (PyTorch's saved variables follow the tensor, not its storage)."""
    for seq, ref in p.__dict__["_rebinds"]:
        if seq > fn.seq:
            seen = ref()
            break
    else:
        return
    if seen is None or seen is p._data:
        return
    state = fn.__dict__
    for key, value in list(state.items()):
        if value is seen:
            state[key] = p._data


# ---------------------------------------------------------------- backward callbacks
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


from .tensor import Tensor
