"""Nadam: Adam with Nesterov momentum (Dozat's rule with a momentum schedule)."""

from __future__ import annotations

import math

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_betas, check_hyper
from .base import Optimizer, moving_average_, moving_average_sq_


class NAdam(Optimizer):
    """``g = grad + weight_decay * p``; ``t`` counts this parameter's steps; ψ = momentum_decay::

        μ_t = β1 (1 - ½ · 0.96^(t ψ)),   Π_t = μ_1 ··· μ_t
        m = β1 m + (1 - β1) g
        v = β2 v + (1 - β2) g²
        d = √(v / (1 - β2^t)) + eps
        p -= lr (1 - μ_t) / (1 - Π_t) · g / d  +  lr μ_{t+1} / (1 - Π_t μ_{t+1}) · m / d

    PyTorch's rule and defaults (lr=2e-3, eps=1e-8, ψ=0.004). Keras 3's Nadam is the same rule
    with ψ = 1 (its schedule is ``β1 (1 − ½ · 0.96^t)``) and eps=1e-7:
    :class:`chainrule.optimizers.Nadam`. Π_t is kept in float64 (PyTorch keeps it in float32: the
    difference is within float32 rounding).
    """

    def __init__(
        self,
        params: Params = None,
        lr: LR = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        **clip,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": betas,
                "eps": eps,
                "weight_decay": weight_decay,
                "momentum_decay": momentum_decay,
                "decoupled_weight_decay": decoupled_weight_decay,
                "foreach": foreach,
                "maximize": maximize,
                "capturable": capturable,
                "differentiable": differentiable,
            },
            **clip,
        )

    def _check_group(self, group: dict) -> None:
        group["betas"] = check_betas("NAdam", group["betas"])
        group["eps"] = check_hyper("NAdam", "eps", group["eps"])
        group["momentum_decay"] = check_hyper("NAdam", "momentum_decay", group["momentum_decay"])

    def _state_spec(self, param, group):
        return {
            "step": ((), np.int64),
            "mu_product": ((), np.float64),
            "exp_avg": (param.shape, None),
            "exp_avg_sq": (param.shape, None),
        }

    def _init_state(self, param, group):
        state = super()._init_state(param, group)
        state["mu_product"] += 1.0
        return state

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        b1, b2 = group["betas"]
        psi = group["momentum_decay"]
        state["step"] += 1
        t = int(state["step"])
        mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
        mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
        state["mu_product"] *= mu
        prod = float(state["mu_product"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        d, tmp = self._buffer(param, "t0"), self._buffer(param, "t1")
        moving_average_(m, grad, b1, tmp)
        moving_average_sq_(v, grad, b2, tmp)
        # d = √(v / bc2) + eps = (√v + eps √bc2) / √bc2: √bc2 goes into the scalars (one pass fewer)
        bc2_sqrt = math.sqrt(1.0 - b2**t)
        mod.sqrt(v, out=d)
        d += group["eps"] * bc2_sqrt
        mod.divide(grad, d, out=tmp)
        tmp *= lr * bc2_sqrt * (1.0 - mu) / (1.0 - prod)
        param -= tmp
        mod.divide(m, d, out=tmp)
        tmp *= lr * bc2_sqrt * mu_next / (1.0 - prod * mu_next)
        param -= tmp
