"""``autograd.grad`` and ``autograd.backward``: gradients of outputs with respect to chosen inputs.

Both run the one backward pass of :mod:`chainrule.engine`. ``grad`` returns the gradients instead
of accumulating them into ``.grad``, and only the part of the graph between the outputs and the
inputs runs. With ``create_graph=True`` the returned gradients carry a graph of their own, so they
can be differentiated again (gradient penalties, Hessians, meta-learning).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..backend import xp
from ..engine import _initial_grad, execute
from ..tensor import Tensor, _autograd_inputs


def _as_list(tensors, what: str) -> list:
    if isinstance(tensors, Tensor):
        return [tensors]
    if isinstance(tensors, (list, tuple)):
        out = list(tensors)
        for i, t in enumerate(out):
            if not isinstance(t, Tensor):
                raise TypeError(f"autograd: {what} {i} is a {type(t).__name__}, expected a Tensor")
        return out
    raise TypeError(f"autograd: {what} must be a Tensor or a sequence of Tensors, got "
                    f"{type(tensors).__name__}")  # fmt: skip


def _seeds(outputs: list, grad_outputs, create_graph: bool, where: str) -> tuple[list, list]:
    """The outputs that take part and their seed gradients (a None grad_output means ones for a
    single-element output; an output that does not require grad is an error, as in PyTorch)."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor) or not isinstance(grad_outputs, (list, tuple)):
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"{where}: grad_outputs has {len(grad_outputs)} entries for {len(outputs)} outputs"
        )
    roots, seeds = [], []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(
                f"{where}: element {i} of tensors does not require grad and does not have a grad_fn"
            )
        roots.append(out)
        seeds.append(_initial_grad(out, g, create_graph, where))
    return roots, seeds


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple (one per input).

    ``grad_outputs``: the vector of the vector-Jacobian product, one per output (None: ones, for a
    single-element output). ``retain_graph`` defaults to ``create_graph``. ``create_graph=True``
    records the backward pass so the results can be differentiated again. An input the outputs do
    not depend on raises unless ``allow_unused=True`` (then its entry is None, or zeros with
    ``materialize_grads=True``). Nothing is accumulated into any ``.grad``.
    Same signature and semantics as ``torch.autograd.grad`` (``is_grads_batched`` is not supported).
    """
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported")
    if not only_inputs:
        raise ValueError("autograd.grad: only_inputs=False is not supported (as in PyTorch 2)")
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "autograd.grad: Expected allow_unused to be True or not passed when "
            "materialize_grads=True, but got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outs = _as_list(outputs, "output")
    ins = _autograd_inputs(inputs, "autograd.grad")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(
                f"autograd.grad: one of the differentiated Tensors (input {i}) does not require grad"
            )
    if retain_graph is None:
        retain_graph = create_graph
    roots, seeds = _seeds(outs, grad_outputs, create_graph, "autograd.grad")
    results = execute(roots, seeds, retain_graph, create_graph, ins, capture=True)
    out = []
    for i, (t, g) in enumerate(zip(ins, results)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"autograd.grad: one of the differentiated Tensors (input {i}, shape "
                    f"{tuple(t.shape)}) appears to not have been used in the graph. Set "
                    "allow_unused=True if this is the desired behavior."
                )
            if materialize_grads:
                g = Tensor._wrap(xp(t.data).zeros_like(t.data))
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._wrap(g.astype(t.data.dtype, copy=False))
        elif g is not None and g.data.dtype != t.data.dtype:
            g = g.astype(t.data.dtype)
        out.append(g)
    return tuple(out)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` (seeded with ``grad_tensors``) into the leaves'
    ``.grad``, in one backward pass (``torch.autograd.backward``)."""
    outs = _as_list(tensors, "tensor")
    if retain_graph is None:
        retain_graph = create_graph
    targets = None if inputs is None else _autograd_inputs(inputs, "autograd.backward")
    roots, seeds = _seeds(outs, grad_tensors, create_graph, "autograd.backward")
    execute(roots, seeds, retain_graph, create_graph, targets, capture=False)
