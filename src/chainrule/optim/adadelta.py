"""Adadelta: step sizes from the ratio of running RMS of updates and of gradients."""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_hyper
from .base import Optimizer, moving_average_sq_


class Adadelta(Optimizer):
    """``g = grad + weight_decay * p``::

        v = ρ v + (1 - ρ) g²
        Δ = √(u + eps) / √(v + eps) · g
        u = ρ u + (1 - ρ) Δ²
        p -= lr Δ

    PyTorch's rule and defaults (lr=1.0, rho=0.9, eps=1e-6); Keras's rule is the same and
    ``optim.get("adadelta")`` uses its defaults (lr=1e-3, rho=0.95, eps=1e-7).
    """

    def __init__(
        self,
        params: Params = None,
        lr: LR = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        foreach: bool | None = None,
        *,
        capturable: bool = False,
        maximize: bool = False,
        differentiable: bool = False,
        **clip,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "rho": rho,
                "eps": eps,
                "weight_decay": weight_decay,
                "foreach": foreach,
                "capturable": capturable,
                "maximize": maximize,
                "differentiable": differentiable,
            },
            **clip,
        )

    def _check_group(self, group: dict) -> None:
        group["rho"] = check_hyper("Adadelta", "rho", group["rho"], 0.0, 1.0)
        group["eps"] = check_hyper("Adadelta", "eps", group["eps"])

    def _state_spec(self, param, group):
        return {
            "step": ((), np.int64),
            "square_avg": (param.shape, None),
            "acc_delta": (param.shape, None),
        }

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        rho, eps = group["rho"], group["eps"]
        state["step"] += 1
        v, u = state["square_avg"], state["acc_delta"]
        std, delta = self._buffer(param, "t0"), self._buffer(param, "t1")
        moving_average_sq_(v, grad, rho, std)
        mod.add(v, eps, out=std)
        mod.sqrt(std, out=std)
        mod.add(u, eps, out=delta)
        mod.sqrt(delta, out=delta)
        delta /= std
        delta *= grad
        moving_average_sq_(u, delta, rho, std)
        delta *= lr
        param -= delta
