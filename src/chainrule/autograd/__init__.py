"""``chainrule.autograd``: custom differentiable functions (``Function`` with ``ctx``) and
``gradcheck`` with PyTorch's signature."""

from __future__ import annotations

from ..function import enable_grad, is_grad_enabled, no_grad
from ..gradcheck import GradcheckError
from ..gradcheck import gradcheck as _gradcheck
from .function import Function, FunctionCtx


def gradcheck(
    func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
    raise_exception: bool = True, **kwargs,
) -> bool:  # fmt: skip
    """Check ``func``'s gradients at ``inputs`` against central finite differences (float64).

    PyTorch's signature: returns True, or raises :class:`GradcheckError` naming the worst element
    (returns False instead when ``raise_exception=False``).
    """
    try:
        return _gradcheck(func, inputs, eps=eps, atol=atol, rtol=rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False


__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "enable_grad", "gradcheck", "is_grad_enabled",
    "no_grad",
]  # fmt: skip
