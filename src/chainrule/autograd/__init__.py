"""chainrule.autograd: PyTorch's autograd API over chainrule's engine.

``grad`` and ``backward`` (gradients of chosen outputs with respect to chosen inputs, higher-order
with ``create_graph=True``), ``functional`` (jacobian, hessian, vjp, jvp, vhp, hvp), custom
differentiable functions (``Function`` with ``ctx``), ``gradcheck`` and ``gradgradcheck`` (finite
differences in float64). See docs/autograd.md.
"""

from ..function import enable_grad, is_grad_enabled, no_grad
from ..gradcheck import GradcheckError
from . import functional
from .check import gradcheck, gradgradcheck
from .function import Function, FunctionCtx
from .grad import backward, grad

__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "backward", "enable_grad", "functional", "grad",
    "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad",
]  # fmt: skip
