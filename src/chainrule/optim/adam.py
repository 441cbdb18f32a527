"""Adam: bias-corrected running means of the gradient and of its square (optionally AMSGrad)."""

from __future__ import annotations

import math

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_betas, check_hyper
from .base import Optimizer, moving_average_, moving_average_sq_


class Adam(Optimizer):
    """``g = grad + weight_decay * p`` (L2, as in PyTorch's Adam); ``t`` counts this parameter's
    steps::

        m = β1 m + (1 - β1) g
        v = β2 v + (1 - β2) g²
        v̂ = max(v̂, v) if amsgrad else v
        p -= lr / (1 - β1^t) · m / (√v̂ / √(1 - β2^t) + eps)

    PyTorch's rule and defaults (eps=1e-8). Keras adds eps to √v before the bias correction
    (its "epsilon hat"); ``optim.get("adam")`` uses Keras's eps=1e-7 with this rule.
    """

    def __init__(
        self,
        params: Params = None,
        lr: LR = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
        **clip,
    ):
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "foreach": foreach,
            "maximize": maximize,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
        }
        if not type(self).decoupled_weight_decay:  # AdamW decouples always and has no such option
            defaults["decoupled_weight_decay"] = decoupled_weight_decay
        super().__init__(params, defaults, **clip)

    #: Keras's placement of eps (outside the bias correction of the second moment).
    eps_hat: bool = False

    def _check_group(self, group: dict) -> None:
        name = type(self).__name__
        group["betas"] = check_betas(name, group["betas"])
        group["eps"] = check_hyper(name, "eps", group["eps"])
        group["amsgrad"] = bool(group["amsgrad"])

    def _state_spec(self, param, group):
        spec = {
            "step": ((), np.int64),
            "exp_avg": (param.shape, None),
            "exp_avg_sq": (param.shape, None),
        }
        if group["amsgrad"]:
            spec["max_exp_avg_sq"] = (param.shape, None)
        return spec

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        b1, b2 = group["betas"]
        state["step"] += 1
        t = int(state["step"])
        m, v, tmp = state["exp_avg"], state["exp_avg_sq"], self._buffer(param, "t0")
        moving_average_(m, grad, b1, tmp)
        moving_average_sq_(v, grad, b2, tmp)
        if group["amsgrad"]:
            v = mod.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        # m / (√v / √bc2 + eps) · lr / bc1, with √bc2 folded into the scalars (one pass fewer);
        # Keras adds eps to √v itself ("epsilon hat"): m / (√v + eps) · lr √bc2 / bc1
        bc2_sqrt = math.sqrt(1.0 - b2**t)
        mod.sqrt(v, out=tmp)
        tmp += group["eps"] * (1.0 if self.eps_hat else bc2_sqrt)
        mod.divide(m, tmp, out=tmp)
        tmp *= lr * bc2_sqrt / (1.0 - b1**t)
        param -= tmp
