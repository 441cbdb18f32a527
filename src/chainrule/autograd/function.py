"""``torch.autograd.Function`` for chainrule: custom ops with static ``forward(ctx, …)`` and
``backward(ctx, *grad_outputs)``, recorded in chainrule's graph.

``forward`` runs with recording off on the input tensors; ``backward`` receives one gradient Tensor
per output (zeros for outputs that received none, unless ``ctx.set_materialize_grads(False)``)
and returns one gradient (Tensor, array or None) per ``forward`` argument. ``Fn.apply(*args)``
runs it. Inside, each call becomes one node of the engine (:class:`chainrule.function.Function`),
plus one selector node per output when ``forward`` returns several tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import function as _engine
from ..function import no_grad
from ..tensor import Tensor


class FunctionCtx:
    """The ``ctx`` object: saves what ``backward`` needs (any attribute may be set on it)."""

    def __init__(self, needs_input_grad: tuple):
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._non_differentiable: set = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(
                    f"save_for_backward: can only save Tensors (or None), got {type(t).__name__}; "
                    "store other values as ctx attributes"
                )
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors) -> None:
        """Accepted for compatibility: chainrule's forward never shares a graph with its inputs."""


class _GradPack(list):
    """Gradients of a multi-output node, one slot per output; ``+`` merges two packs."""

    def __add__(self, other):
        return _GradPack(b if a is None else a if b is None else a + b for a, b in zip(self, other))


class _CtxNode(_engine.Function):
    """The engine node of one ``Fn.apply`` call: its backward calls the user's backward."""

    def backward(self, g):
        grads = list(g) if isinstance(g, _GradPack) else [g]
        ctx = self.ctx
        if ctx.materialize_grads:
            grads = [
                np.zeros(shape, dtype) if gi is None else gi
                for gi, (shape, dtype) in zip(grads, self.out_specs)
            ]
        wrapped = [None if gi is None else Tensor._wrap(gi) for gi in grads]
        with no_grad():
            result = self.fn_cls.backward(ctx, *wrapped)
        if not isinstance(result, tuple):
            result = (result,)
        n_args = len(self.arg_is_tensor)
        if len(result) < n_args or any(r is not None for r in result[n_args:]):
            raise RuntimeError(
                f"{self.fn_cls.__name__}.backward returned {len(result)} gradients, expected "
                f"{n_args} (one per forward argument, None for non-tensors)"
            )
        out = []
        for r, is_tensor, parent_shape in zip(result, self.arg_is_tensor, self.arg_shapes):
            if not is_tensor:
                continue
            if r is None:
                out.append(None)
                continue
            arr = r.data if isinstance(r, Tensor) else np.asarray(r)
            if arr.shape != parent_shape:
                raise RuntimeError(
                    f"{self.fn_cls.__name__}.backward returned a gradient of shape {arr.shape} "
                    f"for an input of shape {parent_shape}"
                )
            out.append(arr)
        return tuple(out)


class _Select(_engine.Function):
    """Output ``k`` of a multi-output node: routes its gradient into slot ``k`` of a pack."""

    def backward(self, g):
        pack = _GradPack([None] * self.n)
        pack[self.k] = g
        return pack


class Function:
    """Base class of custom differentiable operations (PyTorch's ``torch.autograd.Function``).

    Subclasses define ``@staticmethod forward(ctx, *args)`` and ``@staticmethod
    backward(ctx, *grad_outputs)`` (or ``forward(*args)`` plus ``setup_context(ctx, inputs,
    output)``) and are called through ``apply``, never instantiated.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError("a Function subclass must define forward")

    @staticmethod
    def backward(ctx, *grad_outputs):  # pragma: no cover - abstract
        raise NotImplementedError("a Function subclass must define backward to be differentiated")

    @staticmethod
    def setup_context(ctx, inputs, output):  # pragma: no cover - overridden when used
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs) -> Any:
        is_tensor = tuple(isinstance(a, Tensor) for a in args)
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        separate = cls.setup_context is not Function.setup_context
        with no_grad():
            output = cls.forward(*args, **kwargs) if separate else cls.forward(ctx, *args, **kwargs)
            if separate:
                cls.setup_context(ctx, args, output)
        multi = isinstance(output, tuple)
        outs = output if multi else (output,)
        for o in outs:
            if not isinstance(o, Tensor):
                raise TypeError(
                    f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors, got "
                    f"{type(o).__name__}"
                )
        record = _engine.is_grad_enabled() and any(needs)
        if not record:
            results = tuple(Tensor._wrap(o.data, False, None) for o in outs)
            return results if multi else results[0]
        node = _CtxNode()
        node.ctx, node.fn_cls = ctx, cls
        node.arg_is_tensor = is_tensor
        node.arg_shapes = tuple(a.shape if isinstance(a, Tensor) else None for a in args)
        node.out_specs = tuple((o.data.shape, o.data.dtype) for o in outs)
        node.parents = tuple(a for a in args if isinstance(a, Tensor))
        node.needs_input_grad = [p.requires_grad for p in node.parents]
        node.seq = next(_engine._sequence)

        def differentiable(o: Tensor) -> bool:
            return id(o) not in ctx._non_differentiable and o.data.dtype.kind in "fc"

        if not multi:
            o = outs[0]
            if not differentiable(o):
                return Tensor._wrap(o.data, False, None)
            return Tensor._wrap(o.data, True, node)
        hub = Tensor._wrap(np.empty(0), True, node)
        results = []
        for k, o in enumerate(outs):
            if not differentiable(o):
                results.append(Tensor._wrap(o.data, False, None))
                continue
            sel = _Select()
            sel.k, sel.n = k, len(outs)
            sel.parents, sel.needs_input_grad = (hub,), [True]
            sel.seq = next(_engine._sequence)
            results.append(Tensor._wrap(o.data, True, sel))
        return tuple(results)
