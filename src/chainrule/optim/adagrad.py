"""Adagrad: per-element step sizes from the running sum of squared gradients."""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_hyper
from .base import Optimizer


class Adagrad(Optimizer):
    """``g = grad + weight_decay * p``; ``t`` counts this parameter's steps::

        s += g²
        p -= lr / (1 + (t - 1) lr_decay) · g / (√s + eps)

    PyTorch's rule and defaults (lr=1e-2, eps=1e-10, initial_accumulator_value=0). Keras puts eps
    inside the root, ``√(s + eps)``; ``optim.get("adagrad")`` uses Keras's defaults
    (lr=1e-3, initial_accumulator_value=0.1, eps=1e-7) with this rule.
    """

    def __init__(
        self,
        params: Params = None,
        lr: LR = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        **clip,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "lr_decay": lr_decay,
                "weight_decay": weight_decay,
                "initial_accumulator_value": initial_accumulator_value,
                "eps": eps,
                "foreach": foreach,
                "maximize": maximize,
                "differentiable": differentiable,
                "fused": fused,
            },
            **clip,
        )

    #: Keras's placement of eps: inside the root, ``g / √(s + eps)``.
    eps_inside_sqrt: bool = False

    def _check_group(self, group: dict) -> None:
        for key in ("lr_decay", "initial_accumulator_value", "eps"):
            group[key] = check_hyper("Adagrad", key, group[key])

    def _state_spec(self, param, group):
        return {"step": ((), np.int64), "sum": (param.shape, None)}

    def _init_state(self, param, group):
        state = super()._init_state(param, group)
        state["sum"] += group["initial_accumulator_value"]
        return state

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        state["step"] += 1
        clr = lr / (1.0 + (int(state["step"]) - 1) * group["lr_decay"])
        acc, tmp = state["sum"], self._buffer(param, "t0")
        mod.multiply(grad, grad, out=tmp)
        acc += tmp
        if self.eps_inside_sqrt:
            mod.add(acc, group["eps"], out=tmp)
            mod.sqrt(tmp, out=tmp)
        else:
            mod.sqrt(acc, out=tmp)
            tmp += group["eps"]
        mod.divide(grad, tmp, out=tmp)
        tmp *= clr
        param -= tmp
