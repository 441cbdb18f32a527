"""Module hooks with PyTorch's semantics: forward pre-hooks, forward hooks, full backward hooks.

``Module.register_forward_pre_hook(hook)``: ``hook(module, args)`` runs before ``forward`` and may
return replacement args (a tuple, or a single value). ``register_forward_hook(hook)``:
``hook(module, args, output)`` runs after it and may return a replacement output. With
``with_kwargs=True`` they also receive (and may replace) the keyword arguments.
``register_full_backward_hook(hook)``: ``hook(module, grad_input, grad_output)`` runs once the
gradients with respect to the module's positional tensor inputs are known, and may return
replacement ``grad_input``. Each ``register_*`` returns a handle whose ``remove()`` undoes it.

How the backward hook sees every input gradient at once: the positional inputs that require grad
are flattened and concatenated into one tensor, and ``forward`` receives views of it; that tensor's
gradient (complete when its node is reached, since every use inside the module is newer) is split,
passed to the hook, and the hook's answer continues to the original inputs. Output gradients are
caught by tensor hooks on the outputs, which backward reaches first.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict

_ids = itertools.count()


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``remove()`` unregisters the hook (also usable
    as a context manager, removing it on exit)."""

    def __init__(self, registry: OrderedDict, key: int):
        self._registry, self.id = registry, key

    def remove(self) -> None:
        self._registry.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def add_hook(module, kind: str, hook, prepend: bool, **options) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"register hook: expected a callable, got {type(hook).__name__}")
    registry = module.__dict__.setdefault(kind, OrderedDict())
    key = next(_ids)
    registry[key] = (hook, options)
    if prepend:
        registry.move_to_end(key, last=False)
    return RemovableHandle(registry, key)


def has_hooks(module) -> bool:
    d = module.__dict__
    return bool(d.get("_forward_pre_hooks") or d.get("_forward_hooks") or d.get("_backward_hooks"))


def call_with_hooks(module, args: tuple, kwargs: dict):
    """``module.forward(*args, **kwargs)`` surrounded by the module's hooks (PyTorch's order:
    pre-hooks, input side of backward hooks, forward, forward hooks, output side)."""
    d = module.__dict__
    for hook, opts in list(d.get("_forward_pre_hooks", {}).values()):
        if opts.get("with_kwargs"):
            res = hook(module, args, kwargs)
            if res is not None:
                if not (isinstance(res, tuple) and len(res) == 2):
                    raise RuntimeError(
                        "forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                        f"but got {res!r}."
                    )
                args, kwargs = res
        else:
            res = hook(module, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
    backward_hooks = list(d.get("_backward_hooks", {}).values())
    state = None
    if backward_hooks:
        args, state = _wrap_inputs(module, args, backward_hooks)
    out = module.forward(*args, **kwargs)
    for hook, opts in list(d.get("_forward_hooks", {}).values()):
        res = (
            hook(module, args, kwargs, out) if opts.get("with_kwargs") else hook(module, args, out)
        )
        if res is not None:
            out = res
    if state is not None:
        _watch_outputs(out, state)
    return out


class _State:
    """What one call's backward hooks need: the hooks, which args were packed, the gradients of the
    outputs (filled in by their tensor hooks)."""

    def __init__(self, module, hooks, n_args):
        self.module, self.hooks = module, hooks
        self.slots: list = []  # (arg index, offset, shape) of each packed input
        self.n_args = n_args
        self.grad_output: list = []
        self.outputs = 0
        self.fired = False

    def call(self, grad_input: tuple) -> tuple:
        grad_output = tuple(self.grad_output)
        for hook, _ in self.hooks:
            res = hook(self.module, grad_input, grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook returned {len(res)} gradients; the module has "
                        f"{len(grad_input)} positional inputs"
                    )
                grad_input = res
        self.fired = True
        return grad_input


def _wrap_inputs(module, args: tuple, hooks) -> tuple[tuple, _State]:
    from ..ops import cat
    from ..tensor import Tensor

    state = _State(module, hooks, len(args))
    live = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    if not live:
        return args, state
    dtypes = {args[i].data.dtype for i in live}
    if len(dtypes) > 1:
        raise TypeError(
            f"{type(module).__name__}: a full backward hook needs its inputs that require grad to "
            f"share one dtype, got {sorted(str(t) for t in dtypes)}"
        )
    offset = 0
    for i in live:
        state.slots.append((i, offset, args[i].shape))
        offset += args[i].data.size
    packed = cat([args[i].reshape(-1) for i in live])  # one node: its gradient is complete
    new_args = list(args)
    for i, start, shape in state.slots:
        n = args[i].data.size
        new_args[i] = packed[start : start + n].reshape(shape)
    packed.register_hook(lambda g: _input_grads(state, g))
    return tuple(new_args), state


def _input_grads(state: _State, g):
    """The packed inputs' gradient has arrived: split it, call the hooks, re-pack their answer."""
    from ..backend import xp
    from ..ops import cat
    from ..tensor import Tensor

    grad_input = [None] * state.n_args
    for i, start, shape in state.slots:
        n = 1
        for s in shape:
            n *= s
        grad_input[i] = g[start : start + n].reshape(shape)
    new = state.call(tuple(grad_input))
    parts = []
    for i, _, shape in state.slots:
        gi = new[i]
        if gi is None:  # the hook dropped this gradient: zeros
            gi = Tensor._wrap(xp(g.data).zeros(shape, dtype=g.data.dtype))
        elif not isinstance(gi, Tensor):
            gi = Tensor._wrap(xp(g.data).asarray(gi, dtype=g.data.dtype))
        if tuple(gi.shape) != tuple(shape):
            raise RuntimeError(
                f"backward hook returned a gradient of shape {tuple(gi.shape)} for input {i} of "
                f"shape {tuple(shape)}"
            )
        parts.append(gi.reshape(-1))
    return cat(parts)


def _watch_outputs(out, state: _State) -> None:
    from ..tensor import Tensor

    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    tensors = [o for o in outs if isinstance(o, Tensor)]
    state.grad_output = [None] * len(tensors)
    for k, o in enumerate(tensors):
        if not o.requires_grad:
            continue
        state.outputs += 1

        def catch(g, k=k):
            state.grad_output[k] = g
            state.outputs -= 1
            if state.outputs == 0 and not state.slots and not state.fired:
                state.call((None,) * state.n_args)  # no input needs a gradient: hooks see Nones

        o.register_hook(catch)
