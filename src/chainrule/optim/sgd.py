"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ._checks import LR, Params, check_hyper
from .base import Optimizer

#: elements per block of the blocked momentum update: a block of the parameter, gradient, buffer
#: and scratch (4 × 256 KiB in float32) stays in a core's L2 cache through the update's four passes,
#: so each array crosses the memory bus once instead of up to three times.
_BLOCK = 1 << 16


def _blockable(param, grad, buf) -> bool:
    """NumPy arrays larger than one block, all C-contiguous (flat views write through)."""
    return (
        type(param) is np.ndarray
        and param.size > _BLOCK
        and param.flags.c_contiguous
        and buf.flags.c_contiguous
        and type(grad) is np.ndarray
        and grad.flags.c_contiguous
    )


def _momentum_step_blocked(param, grad, buf, scratch, momentum: float, lr: float) -> None:
    """``buf = momentum·buf + grad; param -= lr·buf`` block by block (same arithmetic, same result
    as the whole-array passes; ``scratch`` is one block of workspace)."""
    p, g, b = param.reshape(-1), grad.reshape(-1), buf.reshape(-1)
    for start in range(0, p.size, _BLOCK):
        stop = start + _BLOCK
        bb = b[start:stop]
        bb *= momentum
        bb += g[start:stop]
        t = scratch[: bb.size]
        np.multiply(bb, lr, out=t)
        p[start:stop] -= t


def _keras_momentum_blocked(param, grad, buf, scratch, momentum: float, lr: float) -> None:
    """``buf = momentum·buf − lr·grad; param += buf`` block by block (Keras's form; the same
    arithmetic, element by element, as the whole-array passes)."""
    p, g, b = param.reshape(-1), grad.reshape(-1), buf.reshape(-1)
    for start in range(0, p.size, _BLOCK):
        stop = start + _BLOCK
        bb = b[start:stop]
        t = scratch[: bb.size]
        np.multiply(g[start:stop], lr, out=t)
        bb *= momentum
        bb -= t
        p[start:stop] += bb


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
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
        **clip,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "momentum": momentum,
                "dampening": dampening,
                "weight_decay": weight_decay,
                "nesterov": nesterov,
                "maximize": maximize,
                "foreach": foreach,
                "differentiable": differentiable,
                "fused": fused,
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

    #: Keras's form (``v = μ v − lr g; p += v``): lr enters the buffer, so a changing lr acts on
    #: the next steps only. The same trajectory as PyTorch's for a constant lr.
    lr_in_momentum: bool = False

    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:
        mod = xp(param)
        momentum = group["momentum"]
        if momentum and self.lr_in_momentum:
            self._keras_momentum(param, grad, state, group, lr)
            return
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = grad.astype(param.dtype, copy=True)
            elif _blockable(param, grad, buf) and not group["dampening"] and not group["nesterov"]:
                scratch = self._buffer(param.reshape(-1)[:_BLOCK], "block")
                _momentum_step_blocked(param, grad, buf, scratch, momentum, lr)
                return
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

    # ------------------------------------------------------------------ a step applied by the caller
    def fused_momentum(self, params: list) -> tuple[float, list] | None:
        """For a caller that applies this step's momentum rule itself (training/dense_replay.py
        folds the weight gradient into the buffer inside one matrix product): when the next
        :meth:`step` would update each of ``params`` (all in this optimiser, in one group, none
        with a gradient set) by the momentum rule and nothing else (no Nesterov, weight decay,
        clipping or maximize), returns ``(scale, [(buffer, alpha, beta), ...])`` such that the
        step is, per parameter, ``buffer = alpha·g + beta·buffer; param += scale·buffer``:

        - PyTorch's form: ``alpha = 1 − dampening, beta = μ`` (``1, 0`` on a parameter's first
          step: the buffer starts as ``g``), ``scale = −lr``;
        - Keras's form (``lr_in_momentum``): ``alpha = −lr, beta = μ, scale = 1``.

        Otherwise None. Buffers are created (zeros) as :meth:`step` would. The caller finishes
        with :meth:`end_fused_step`."""
        if len(self.param_groups) != 1:
            return None
        group = self.param_groups[0]
        momentum = group["momentum"]
        if (
            not momentum
            or group["nesterov"]
            or group["weight_decay"]
            or group.get("maximize")
            or self.clipnorm is not None
            or self.clipvalue is not None
            or self.global_clipnorm is not None
        ):
            return None
        index = {id(p): i for i, p in enumerate(self._params)}
        slots = [index.get(id(p)) for p in params]
        if any(i is None for i in slots) or any(p.grad is not None for p in params):
            return None
        lr = self.group_lr(group)  # a bad schedule raises here, before anything changes
        keras_form = self.lr_in_momentum
        plan = []
        for i in slots:
            param = self._params[i].data
            state = self._state[i]
            if state is None:
                state = self._state[i] = self._init_state(param, group)
            buf = state.get("momentum_buffer")
            fresh = buf is None
            if fresh:
                buf = state["momentum_buffer"] = xp(param).zeros_like(param)
            if keras_form:
                plan.append((buf, -lr, momentum))
            else:
                plan.append((buf, 1.0, 0.0) if fresh else (buf, 1.0 - group["dampening"], momentum))
        return (1.0 if keras_form else -lr), plan

    def end_fused_step(self) -> None:
        """Count the step applied after :meth:`fused_momentum` (what :meth:`step` does last)."""
        self.iterations += 1

    def _keras_momentum(self, param, grad, state, group, lr) -> None:
        """``v = μ v − lr g``; ``p += v`` (``p += μ v − lr g`` with Nesterov)."""
        mod, momentum = xp(param), group["momentum"]
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = mod.zeros_like(param)
        if not group["nesterov"] and _blockable(param, grad, buf):
            scratch = self._buffer(param.reshape(-1)[:_BLOCK], "block")
            _keras_momentum_blocked(param, grad, buf, scratch, momentum, lr)
            return
        tmp = self._buffer(param, "t1")
        mod.multiply(grad, lr, out=tmp)
        buf *= momentum
        buf -= tmp
        if group["nesterov"]:
            step = self._buffer(param, "t0")
            mod.multiply(buf, momentum, out=step)
            step -= tmp
            param += step
        else:
            param += buf
