"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_hyper
from .base import Optimizer, moving_average_, moving_average_sq_


class RMSprop(Optimizer):
    """``g = grad + weight_decay * p``; α = ``alpha`` (Keras's ``rho``)::

        v = α v + (1 - α) g²
        a = α a + (1 - α) g,   d = √(v - a²) + eps      (centered)
                               d = √v + eps              (otherwise)
        b = μ b + g / d,  p -= lr b                      (momentum μ > 0)
        p -= lr g / d                                    (otherwise)

    PyTorch's rule and defaults (lr=1e-2, alpha=0.99, eps=1e-8). With ``keras_rule`` (the Keras
    door's :class:`chainrule.optimizers.RMSprop`) eps goes inside the root, ``d = √(v + eps)``
    (centered: ``√(v - a² + eps)``), and lr is folded into the momentum buffer: ``b = μ b + lr g / d;
    p -= b``.
    """

    #: Keras 3's placement of eps and of lr (see the class docstring).
    keras_rule: bool = False

    def __init__(
        self,
        params: Params = None,
        lr: LR = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
        **clip,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "alpha": alpha,
                "eps": eps,
                "weight_decay": weight_decay,
                "momentum": momentum,
                "centered": centered,
                "capturable": capturable,
                "foreach": foreach,
                "maximize": maximize,
                "differentiable": differentiable,
            },
            **clip,
        )

    def _check_group(self, group: dict) -> None:
        group["alpha"] = check_hyper("RMSprop", "alpha", group["alpha"], 0.0, 1.0)
        group["eps"] = check_hyper("RMSprop", "eps", group["eps"])
        group["momentum"] = check_hyper("RMSprop", "momentum", group["momentum"])
        group["centered"] = bool(group["centered"])

    def _state_spec(self, param, group):
        spec = {"step": ((), np.int64), "square_avg": (param.shape, None)}
        if group["centered"]:
            spec["grad_avg"] = (param.shape, None)
        if group["momentum"] > 0:
            spec["momentum_buffer"] = (param.shape, None)
        return spec

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        rho = group["alpha"]
        keras = self.keras_rule
        state["step"] += 1
        v, d = state["square_avg"], self._buffer(param, "t0")
        moving_average_sq_(v, grad, rho, d)
        if group["centered"]:
            a = state["grad_avg"]
            moving_average_(a, grad, rho, d)
            mod.multiply(a, a, out=d)
            mod.subtract(v, d, out=d)
        else:
            d[...] = v
        if keras:
            d += group["eps"]
            mod.sqrt(d, out=d)
        else:
            mod.sqrt(d, out=d)
            d += group["eps"]
        mod.divide(grad, d, out=d)
        if keras and group["momentum"] > 0:  # b = μ b + lr g / d;  p -= b
            b = state["momentum_buffer"]
            b *= group["momentum"]
            d *= lr
            b += d
            param -= b
            return
        if group["momentum"] > 0:
            b = state["momentum_buffer"]
            b *= group["momentum"]
            b += d
            mod.multiply(b, lr, out=d)
        else:
            d *= lr
        param -= d
