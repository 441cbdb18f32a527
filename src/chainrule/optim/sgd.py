"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_hyper
from .base import Optimizer


class SGD(Optimizer):
    """``g = grad + weight_decay * p``; with ``momentum`` μ and ``dampening`` d::

        b = g                      (first step)
        b = μ b + (1 - d) g        (later steps)
        g = g + μ b  if nesterov else  b
        p -= lr g

    This is PyTorch's rule (Keras's momentum form ``v = μ v - lr g`` gives the same trajectory for
    a constant lr). Defaults are PyTorch's (lr=1e-3); ``optim.get("sgd")`` uses Keras's lr=0.01.
    """

    def __init__(
        self,
        params: Params = None,
        lr: LR = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        **clip,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "dampening": dampening,
                "nesterov": nesterov,
                "weight_decay": weight_decay,
            },
            **clip,
        )

    def _check_group(self, group: dict) -> None:
        group["momentum"] = check_hyper("SGD", "momentum", group["momentum"])
        group["dampening"] = check_hyper("SGD", "dampening", group["dampening"], 0.0, 1.0)
        group["nesterov"] = bool(group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _state_spec(self, param, group):
        return {"momentum_buffer": (param.shape, None)} if group["momentum"] else {}

    def _init_state(self, param, group):
        return {}  # the momentum buffer starts as the first gradient (created in update)

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.astype(param.dtype, copy=True)
            else:
                buf *= momentum
                if group["dampening"]:
                    tmp = self._buffer(param, "t0")
                    mod.multiply(grad, 1.0 - group["dampening"], out=tmp)
                    buf += tmp
                else:
                    buf += grad
            if group["nesterov"]:
                step = self._buffer(param, "t0")
                mod.multiply(buf, momentum, out=step)
                step += grad
            else:
                step = buf
        else:
            step = grad
        tmp = self._buffer(param, "t1")
        mod.multiply(step, lr, out=tmp)
        param -= tmp
