"""Optimizer: the machinery every optimiser shares; subclasses only write their update rule.

An optimiser holds *param groups* (dicts with ``"params"`` and per-group hyper-parameters), one state
dict per parameter (buffers such as Adam's moments, created on the parameter's first update), and an
``iterations`` counter. ``step()`` makes one pass over the parameters: it skips those without a
gradient, clips and L2-decays the gradient into a scratch buffer (never into ``p.grad``, which may be
shared), then calls the subclass's ``update(param, grad, state, group, lr)``, which changes
``param`` (the parameter's ``.data`` array) in place.

Saving and restoring (``get_config``, ``state_dict`` ...) live in :mod:`.serialization`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..backend import xp
from ..tensor import Tensor
from ._checks import Params, check_betas, check_hyper
from .clip import global_grad_norm
from .schedules import LambdaSchedule, LearningRateSchedule
from .serialization import SerializationMixin

__all__ = ["Optimizer", "check_betas", "check_hyper"]

#: scratch slot holding the clipped / L2-decayed gradient; updates use other slots.
_GRAD_SLOT = "grad"


def moving_average_(avg, value, beta: float, scratch) -> None:
    """``avg = beta·avg + (1 − beta)·value`` in place; ``scratch`` is a buffer of avg's shape."""
    avg *= beta
    xp(avg).multiply(value, 1.0 - beta, out=scratch)
    avg += scratch


def moving_average_sq_(avg, value, beta: float, scratch) -> None:
    """``avg = beta·avg + (1 − beta)·value²`` in place; ``scratch`` is a buffer of avg's shape."""
    avg *= beta
    xp(avg).multiply(value, value, out=scratch)
    scratch *= 1.0 - beta
    avg += scratch


class Optimizer(SerializationMixin):
    """Base class. Subclasses set ``defaults`` (hyper-parameter name -> value) in ``__init__`` by
    calling ``super().__init__(params, defaults, ...)`` and implement :meth:`update`,
    :meth:`_state_spec` and :meth:`_check_group`.

    ``params``: an iterable of Tensors/Parameters, or of param-group dicts
    (``{"params": [...], "lr": 0.1, ...}``; missing options take the defaults), or None to attach
    parameters later with :meth:`build` (as ``chainrule.optim.get("adam")`` does).
    ``lr``: a float, a :class:`~chainrule.optim.schedules.LearningRateSchedule`, or any callable
    ``step -> lr`` (evaluated at ``iterations``, the number of steps already taken).
    ``clipnorm`` clips each gradient to that L2 norm, ``global_clipnorm`` all gradients jointly,
    ``clipvalue`` each element to ``[-clipvalue, clipvalue]`` (Keras semantics; at most one).
    """

    #: AdamW sets this: weight decay is applied to the weights in ``update``, not to the gradient.
    decoupled_weight_decay: bool = False

    def __init__(
        self,
        params: Params,
        defaults: dict[str, Any],
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
    ):
        name = type(self).__name__
        given = [
            k
            for k, v in (
                ("clipnorm", clipnorm),
                ("clipvalue", clipvalue),
                ("global_clipnorm", global_clipnorm),
            )
            if v is not None
        ]
        if len(given) > 1:
            raise ValueError(
                f"{name}: set at most one of clipnorm, clipvalue, global_clipnorm; "
                f"got {', '.join(given)}"
            )
        self.clipnorm = None if clipnorm is None else check_hyper(name, "clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else check_hyper(name, "clipvalue", clipvalue)
        self.global_clipnorm = (
            None
            if global_clipnorm is None
            else check_hyper(name, "global_clipnorm", global_clipnorm)
        )
        self.defaults = self._validated(dict(defaults))
        self.param_groups: list[dict[str, Any]] = []
        self._params: list[Tensor] = []
        self._state: list[dict[str, np.ndarray] | None] = []
        self._scratch: dict[tuple, np.ndarray] = {}
        self.iterations = 0
        if params is not None:
            self.build(params)

    # ------------------------------------------------------------------ subclass interface
    def update(
        self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict, lr: float
    ) -> None:  # pragma: no cover - abstract
        """Apply one step of the rule to ``param`` in place. ``grad`` is read-only."""
        raise NotImplementedError

    def _state_spec(self, param: np.ndarray, group: dict) -> dict[str, tuple[tuple, Any]]:
        """Buffer name -> (shape, dtype) of a parameter's state after its first update; dtype None
        means the parameter's dtype. Used to create state and to check a loaded state_dict."""
        return {}

    def _check_group(self, group: dict) -> None:
        """Validate (and convert to Python floats) the subclass's hyper-parameters in ``group``."""

    def _init_state(self, param: np.ndarray, group: dict) -> dict[str, np.ndarray]:
        """Fresh state for a parameter: zeros of the spec'd shapes and dtypes."""
        mod = xp(param)
        return {
            k: mod.zeros(shape, dtype=param.dtype if dt is None else dt)
            for k, (shape, dt) in self._state_spec(param, group).items()
        }

    # ------------------------------------------------------------------ params and groups
    def _validated(self, group: dict) -> dict:
        name = type(self).__name__
        lr = group.get("lr")
        if isinstance(lr, (int, float, np.integer, np.floating)) and not isinstance(lr, bool):
            group["lr"] = check_hyper(name, "lr", lr)
        elif callable(lr):
            group["lr"] = lr if isinstance(lr, LearningRateSchedule) else LambdaSchedule(lr)
        else:
            raise TypeError(
                f"{name}: lr must be a non-negative float or a callable step -> lr "
                f"(e.g. a LearningRateSchedule), got {lr!r}"
            )
        group["weight_decay"] = check_hyper(name, "weight_decay", group.get("weight_decay", 0.0))
        for flag in ("maximize", "decoupled_weight_decay"):
            if flag in group:
                group[flag] = bool(group[flag])
        for flag in ("differentiable", "capturable"):  # PyTorch's autograd / CUDA-graph modes
            if group.get(flag):
                raise ValueError(
                    f"{name}: {flag}=True is not supported (chainrule's optimiser steps are "
                    "plain in-place NumPy updates)"
                )
        self._check_group(group)
        return group

    def build(self, params: Params) -> None:
        """Attach parameters (a Tensor iterable or a list of param-group dicts) to an optimiser
        created without them. Raises if it already has parameters."""
        if self.param_groups:
            raise ValueError(
                f"{type(self).__name__}: already built with {len(self._params)} "
                "parameters; use add_param_group to add more"
            )
        if isinstance(params, (Tensor, dict)):  # one tensor or one group (list() would split it)
            params = [params]
        items = list(params)
        if not items:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        for g in groups:
            self.add_param_group(g)

    @property
    def built(self) -> bool:
        return bool(self.param_groups)

    def add_param_group(self, group: dict) -> None:
        """Add ``{"params": [...], **options}``; options missing from it take the defaults."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(
                f"{name}: a param group must be a dict with a 'params' key, got "
                f"{type(group).__name__}"
            )
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        known = {id(p) for p in self._params}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: parameters must be Tensors, got {type(p).__name__} at position {i}"
                )
            if p.data.dtype.kind != "f":
                raise TypeError(
                    f"{name}: parameter {i} has dtype {p.data.dtype}; optimisers "
                    "update floating-point tensors only"
                )
            if id(p) in known:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) appears twice")
            known.add(id(p))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(
                f"{name}: unknown option(s) {sorted(unknown)} in param group; "
                f"expected some of {sorted(self.defaults)}"
            )
        full = self._validated(
            {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        )
        full["params"] = params
        self.param_groups.append(full)
        self._params.extend(params)
        self._state.extend([None] * len(params))

    @property
    def params(self) -> list[Tensor]:
        """All parameters, in state_dict index order."""
        return list(self._params)

    # ------------------------------------------------------------------ learning rate
    def group_lr(self, group: dict) -> float:
        """The group's learning rate at the current step (a schedule is evaluated here)."""
        lr = group["lr"]
        if callable(lr):
            value = float(lr(self.iterations))
            if not value >= 0.0 or not math.isfinite(value):
                raise ValueError(
                    f"{type(self).__name__}: lr schedule {lr!r} returned {value} at "
                    f"step {self.iterations}; expected a finite value >= 0"
                )
            return value
        return lr

    @property
    def lr(self) -> float:
        """Current learning rate (of the first group). Setting it replaces any schedule with a
        constant in every group (what ReduceLROnPlateau-style callbacks need)."""
        group = self.param_groups[0] if self.param_groups else self.defaults
        return self.group_lr(group)

    @lr.setter
    def lr(self, value: float) -> None:
        value = check_hyper(type(self).__name__, "lr", value)
        self.defaults["lr"] = value
        for g in self.param_groups:
            g["lr"] = value

    learning_rate = lr  # Keras's name

    # ------------------------------------------------------------------ the step
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's gradient to None (cheaper), or to zeros in place."""
        for p in self._params:
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    @property
    def state(self) -> dict:
        """Per-parameter state buffers, keyed by parameter (PyTorch's ``optimizer.state``)."""
        return {p: s for p, s in zip(self._params, self._state) if s is not None}

    def _buffer(self, like: np.ndarray, slot: str) -> np.ndarray:
        """A reusable scratch array shaped like ``like`` (contents undefined)."""
        key = (slot, like.shape, like.dtype.str, type(like))
        buf = self._scratch.get(key)
        if buf is None:
            buf = self._scratch[key] = xp(like).empty_like(like)
        return buf

    def _prepared_grad(
        self, param: np.ndarray, grad: np.ndarray, group: dict, scale: float
    ) -> np.ndarray:
        """Clip and L2-decay ``grad`` into a scratch buffer; returns ``grad`` itself when nothing
        applies. ``scale`` is the global-norm factor (1.0 when not clipping globally)."""
        if self.clipnorm is not None:
            norm = float(xp(grad).linalg.norm(grad.reshape(-1)))
            if norm > self.clipnorm:
                scale = self.clipnorm / norm
        wd = 0.0 if self._decoupled(group) else group["weight_decay"]
        maximize = group.get("maximize", False)
        if scale == 1.0 and wd == 0.0 and self.clipvalue is None and not maximize:
            return grad
        mod = xp(param)
        out = self._buffer(param, _GRAD_SLOT)
        if self.clipvalue is not None:
            src = mod.clip(grad, -self.clipvalue, self.clipvalue, out=out)
        elif scale != 1.0:
            src = mod.multiply(grad, scale, out=out)
        else:
            src = grad
        if maximize:  # ascend: PyTorch negates the gradient before the weight-decay term
            src = mod.negative(src, out=out)
        if wd != 0.0:  # out = src + wd * param, without allocating
            if src is grad:
                mod.multiply(param, wd, out=out)
                out += grad
            else:
                tmp = self._buffer(param, "wd")
                mod.multiply(param, wd, out=tmp)
                out += tmp
        return out

    def apply(self, grads, trainable_variables=None) -> None:
        """Keras 3's ``optimizer.apply(grads, trainable_variables)``: one update of
        ``trainable_variables`` (the optimiser's own parameters when None) by ``grads`` (arrays or
        Tensors, None to skip a variable), building the optimiser on first use."""
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(f"{type(self).__name__}.apply: no trainable_variables given")
            variables = list(self._params)
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{type(self).__name__}.apply: {len(grads)} gradients for {len(variables)} "
                "variables"
            )
        known = {id(p) for p in self._params}
        if any(id(v) not in known for v in variables):
            raise ValueError(
                f"{type(self).__name__}.apply: a variable is not among the parameters this "
                "optimizer was built with"
            )
        given = {
            id(v): None if g is None else (g.data if isinstance(g, Tensor) else np.asarray(g))
            for v, g in zip(variables, grads)
        }
        saved = [p.grad for p in self._params]
        for p in self._params:
            p.grad = given.get(id(p))
        try:
            self.step()
        finally:
            for p, g in zip(self._params, saved):
                p.grad = g

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras's ``apply_gradients([(grad, variable), ...])``."""
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def step(self, closure: Callable[[], Any] | None = None):
        """Update every parameter that has a gradient, in place; returns ``closure()`` if given."""
        if not self.param_groups:
            raise ValueError(
                f"{type(self).__name__}.step: no parameters; pass them to the constructor or "
                "call build(params) first"
            )
        loss = closure() if closure is not None else None
        lrs = [self.group_lr(group) for group in self.param_groups]  # a bad schedule raises here
        for i, p in enumerate(self._params):  # check every gradient before changing anything
            if p.grad is not None and p.grad.shape != p.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: gradient of parameter {i} has shape "
                    f"{p.grad.shape}, parameter has {p.data.shape}"
                )
        scale = 1.0
        if self.global_clipnorm is not None:
            norm = global_grad_norm([p for p in self._params if p.requires_grad])
            if norm > self.global_clipnorm:
                scale = self.global_clipnorm / norm
        index = 0
        for group, lr in zip(self.param_groups, lrs):
            for p in group["params"]:
                i, index = index, index + 1
                grad = p.grad
                if grad is None or not p.requires_grad:
                    continue
                param = p.data
                state = self._state[i]
                if state is None:
                    state = self._state[i] = self._init_state(param, group)
                if group["weight_decay"] and self._decoupled(group):  # AdamW, Keras: shrink first
                    param *= 1.0 - lr * group["weight_decay"]
                self.update(param, self._prepared_grad(param, grad, group, scale), state, group, lr)
        self.iterations += 1
        return loss

    def _decoupled(self, group: dict) -> bool:
        """Whether weight decay shrinks the weights (AdamW, every Keras optimiser) rather than
        adding an L2 term to the gradient."""
        return group.get("decoupled_weight_decay", self.decoupled_weight_decay)

    def __repr__(self) -> str:
        opts = ", ".join(f"{k}={v!r}" for k, v in self.defaults.items())
        return f"{type(self).__name__}({opts}, params={len(self._params)})"
