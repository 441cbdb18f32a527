"""``gradcheck`` and ``gradgradcheck`` with PyTorch's signatures, over :func:`chainrule.gradcheck`.

Both compare analytic derivatives with central finite differences in float64. ``gradcheck`` checks
first derivatives with respect to the inputs that require grad (the others are constants, as in
PyTorch); ``gradgradcheck`` checks second derivatives: it runs gradcheck on the function
``(inputs, v) -> autograd.grad(func(inputs), inputs, v, create_graph=True)``.
"""

from __future__ import annotations

import numpy as np

from ..function import enable_grad
from ..gradcheck import GradcheckError
from ..gradcheck import gradcheck as _gradcheck
from ..random import get_generator
from ..tensor import Tensor
from .grad import grad


def _split(inputs) -> tuple[list, list]:
    items = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    wrt = [i for i, t in enumerate(items) if isinstance(t, Tensor) and t.requires_grad]
    return items, wrt


def _check(fn, items: list, wrt: list, eps, atol, rtol, raise_exception) -> bool:
    if not wrt:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")

    def partial(*xs):
        full = list(items)
        for i, x in zip(wrt, xs):
            full[i] = x
        return fn(*full)

    try:
        return _gradcheck(partial, [items[i] for i in wrt], eps=eps, atol=atol, rtol=rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_torch_only) -> bool:  # fmt: skip
    """Check ``func``'s first derivatives with respect to the ``inputs`` that require grad against
    finite differences (computed in float64). Returns True, or raises :class:`GradcheckError`
    (False with ``raise_exception=False``). PyTorch's other keyword options are accepted and
    ignored (they concern features chainrule does not have: forward AD, batched grads, sparse)."""
    items, wrt = _split(inputs)
    return _check(func, items, wrt, eps, atol, rtol, raise_exception)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, **_torch_only) -> bool:  # fmt: skip
    """Check ``func``'s second derivatives against finite differences of its first derivatives.

    ``grad_outputs``: the vectors the outputs' gradients are taken against (random normal, from the
    library generator, when None); they are checked as inputs too, as in PyTorch.
    """
    items, wrt = _split(inputs)
    if not wrt:
        raise ValueError("gradgradcheck expects at least one input tensor to require gradient")
    with enable_grad():
        probe = [Tensor(np.asarray(t.data, np.float64) if i in wrt else t.data,
                        requires_grad=i in wrt) if isinstance(t, Tensor) else t
                 for i, t in enumerate(items)]  # fmt: skip
        outs = func(*probe)
    outs = list(outs) if isinstance(outs, (tuple, list)) else [outs]
    if grad_outputs is None:
        rng = get_generator()
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outs]
    else:
        grad_outputs = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    n = len(items)

    def first_derivatives(*args):
        xs, vs = list(args[:n]), args[n:]
        with enable_grad():
            out = func(*xs)
            out = list(out) if isinstance(out, (tuple, list)) else [out]
            pairs = [(o, v) for o, v in zip(out, vs) if o.requires_grad]
            ins = [xs[i] for i in wrt]
            if not pairs:
                return tuple(x * 0 for x in ins)
            gs = grad([o for o, _ in pairs], ins, [v for _, v in pairs], create_graph=True,
                      allow_unused=True, materialize_grads=True)  # fmt: skip
        return tuple(gs)

    all_items = items + grad_outputs
    all_wrt = wrt + [n + k for k, v in enumerate(grad_outputs) if v.requires_grad]
    if not _same_first_derivatives(func, items, wrt, grad_outputs, first_derivatives, atol, rtol,
                                   raise_exception):  # fmt: skip
        return False
    return _check(first_derivatives, all_items, all_wrt, eps, atol, rtol, raise_exception)


def _same_first_derivatives(func, items, wrt, vs, first_derivatives, atol, rtol, raise_exception):
    """chainrule writes each op's derivative twice (``backward`` on arrays, ``backward_graph`` on
    Tensors): the first derivatives must agree between a plain pass and a create_graph pass."""
    xs = [Tensor(np.asarray(t.data, np.float64), requires_grad=True) if i in wrt else t
          for i, t in enumerate(items)]  # fmt: skip
    with enable_grad():
        out = func(*xs)
        out = list(out) if isinstance(out, (tuple, list)) else [out]
        pairs = [(o, v) for o, v in zip(out, vs) if o.requires_grad]
        ins = [xs[i] for i in wrt]
        if not pairs:
            return True
        plain = grad([o for o, _ in pairs], ins, [v.detach() for _, v in pairs],
                     allow_unused=True, materialize_grads=True)  # fmt: skip
    graph = first_derivatives(*xs, *vs)
    for k, (a, b) in enumerate(zip(plain, graph)):
        if not np.allclose(a.data, b.data, atol=atol, rtol=rtol, equal_nan=True):
            if raise_exception:
                raise GradcheckError(
                    f"gradgradcheck: the first derivative with respect to input {wrt[k]} differs "
                    "between a plain backward and a create_graph backward (an op's backward and "
                    "backward_graph disagree): max difference "
                    f"{np.nanmax(np.abs(a.data - b.data)):.3g}"
                )
            return False
    return True
