"""Adamax: Adam with the infinity norm in place of the root mean square."""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_betas, check_hyper
from .base import Optimizer, moving_average_


class Adamax(Optimizer):
    """``g = grad + weight_decay * p``; ``t`` counts this parameter's steps::

        m = β1 m + (1 - β1) g
        u = max(β2 u, |g| + eps)
        p -= lr / (1 - β1^t) · m / u

    PyTorch's rule and defaults (lr=2e-3, eps=1e-8). Keras uses ``max(β2 u, |g|)`` and divides by
    ``u + eps``; ``optim.get("adamax")`` uses Keras's defaults (lr=1e-3, eps=1e-7) with this rule.
    """

    def __init__(
        self,
        params: Params = None,
        lr: LR = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
        **clip,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "weight_decay": weight_decay,
                "foreach": foreach,
                "maximize": maximize,
                "differentiable": differentiable,
                "capturable": capturable,
            },
            **clip,
        )

    #: Keras's rule: ``u = max(β2 u, |g|)`` and the step divides by ``u + eps``.
    eps_outside_max: bool = False

    def _check_group(self, group: dict) -> None:
        group["betas"] = check_betas("Adamax", group["betas"])
        group["eps"] = check_hyper("Adamax", "eps", group["eps"])

    def _state_spec(self, param, group):
        return {
            "step": ((), np.int64),
            "exp_avg": (param.shape, None),
            "exp_inf": (param.shape, None),
        }

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        b1, b2 = group["betas"]
        state["step"] += 1
        t = int(state["step"])
        m, u, tmp = state["exp_avg"], state["exp_inf"], self._buffer(param, "t0")
        moving_average_(m, grad, b1, tmp)
        u *= b2
        mod.abs(grad, out=tmp)
        if self.eps_outside_max:
            mod.maximum(u, tmp, out=u)
            mod.add(u, group["eps"], out=tmp)
            mod.divide(m, tmp, out=tmp)
        else:
            tmp += group["eps"]
            mod.maximum(u, tmp, out=u)
            mod.divide(m, u, out=tmp)
        tmp *= lr / (1.0 - b1**t)
        param -= tmp
