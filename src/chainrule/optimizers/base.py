"""What every Keras-door optimiser adds to the shared :class:`chainrule.optim.Optimizer`.

A Keras optimiser is the PyTorch-door class with the same update rule, built with Keras's
argument names and defaults and Keras's formula flags (where eps enters, decoupled weight decay).
It adds Keras's API: ``learning_rate`` (a float or a schedule, settable), ``iterations``,
``build(variables)``, ``apply(grads, trainable_variables)``, ``apply_gradients(zip(grads, vars))``,
and ``get_config`` / ``from_config`` in Keras's names; and Keras's base-optimizer options, with
Keras's semantics:

- ``use_ema`` / ``ema_momentum`` / ``ema_overwrite_frequency``: after every step, each weight's
  moving average ``a = m·a + (1 − m)·w`` (``m = 0`` on the first step, so ``a`` starts at ``w``);
  every ``ema_overwrite_frequency`` steps the weights are replaced by their averages, and
  :meth:`finalize_variable_values` (which ``fit`` calls after its last epoch) does the same.
- ``loss_scale_factor``: ``fit`` multiplies the loss by it before the backward pass
  (:meth:`scale_loss`) and each step divides the gradients by it.
- ``gradient_accumulation_steps`` (k ≥ 2): the weights change every k-th step only, by the mean
  of the k gradients since the last change (clipping and weight decay apply to that mean); the
  steps in between add to per-weight accumulators. ``iterations`` counts every step (as Keras's
  internal counter; Keras's ``iterations`` property shows ``iterations // k``), and learning-rate
  schedules read it, as Keras's do.

The moving averages and accumulators are saved by ``state_dict`` (key ``"keras"``) and restored
by ``load_state_dict``, so a checkpoint resumes exactly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..optim.schedules import LearningRateSchedule, deserialize_lr, serialize_lr
from ..tensor import Tensor

#: arguments every Keras optimiser takes (Keras's base optimizer keyword arguments we support)
COMMON = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")
#: Keras's base-optimizer options beyond the update rule, with Keras's defaults
EXTRAS = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
          "loss_scale_factor": None, "gradient_accumulation_steps": None}  # fmt: skip
#: names of the per-parameter buffers the options keep
_AVERAGE, _ACCUMULATOR = "ema_average", "gradient_accumulator"


def _check_extras(name: str, cfg: dict) -> None:
    """Keras's checks of the options (its messages), plus types and ranges for the rest."""
    steps = cfg["gradient_accumulation_steps"]
    if steps and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2):
        raise ValueError(f"{name}: `gradient_accumulation_steps` must be an integer >= 2. "
                         f"Received: gradient_accumulation_steps={steps!r}")  # fmt: skip
    momentum, freq = cfg["ema_momentum"], cfg["ema_overwrite_frequency"]
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float, np.floating)):
        raise TypeError(f"{name}: ema_momentum must be a number, got {momentum!r:.40}")
    if cfg["use_ema"]:
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: `ema_momentum` must be in the range [0, 1]. "
                             f"Received: ema_momentum={momentum}")  # fmt: skip
        if freq is not None and (
            isinstance(freq, bool) or not isinstance(freq, (int, np.integer)) or freq < 1
        ):
            raise ValueError(f"{name}: `ema_overwrite_frequency` must be an integer >= 1 or "
                             f"None. Received: ema_overwrite_frequency={freq!r}")  # fmt: skip
    scale = cfg["loss_scale_factor"]
    if scale is not None and (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float, np.floating))
        or not math.isfinite(scale)
        or scale <= 0
    ):
        raise ValueError(f"{name}: loss_scale_factor must be a finite number > 0 or None, got "
                         f"{scale!r:.40}")  # fmt: skip


def extras(use_ema, ema_momentum, ema_overwrite_frequency, loss_scale_factor,
           gradient_accumulation_steps) -> dict:  # fmt: skip
    """The options as the constructors pass them on (a dict in :data:`EXTRAS` order)."""
    return {"use_ema": use_ema, "ema_momentum": ema_momentum,
            "ema_overwrite_frequency": ema_overwrite_frequency,
            "loss_scale_factor": loss_scale_factor,
            "gradient_accumulation_steps": gradient_accumulation_steps}  # fmt: skip


class KerasOptimizer:
    """Mixin placed before the shared optimiser class (see the module docstring)."""

    #: Keras's default ``name`` (lower-case class name, "SGD" for SGD)
    default_name: str = ""
    #: Keras constructor argument → this class's value (filled by ``_keras_init``)
    _keras_config: dict

    decoupled_weight_decay = True  # Keras: ``p -= p · weight_decay · lr`` before every update

    def _keras_init(self, name: str | None, config: dict[str, Any]) -> None:
        self.name = name or self.default_name
        config = {**EXTRAS, **config}
        _check_extras(type(self).__name__, config)
        self._keras_config = dict(config)
        self.use_ema = bool(config["use_ema"])
        self.ema_momentum = float(config["ema_momentum"])
        self.ema_overwrite_frequency = config["ema_overwrite_frequency"] if self.use_ema else None
        self.loss_scale_factor = config["loss_scale_factor"]
        self.gradient_accumulation_steps = config["gradient_accumulation_steps"] or None
        self._extra_bufs: dict[int, dict[str, np.ndarray]] = {}  # parameter index → buffers

    @property
    def _extras_on(self) -> bool:
        return bool(self.use_ema or self.loss_scale_factor is not None
                    or self.gradient_accumulation_steps)  # fmt: skip

    # ------------------------------------------------------------ Keras's options at each step
    def scale_loss(self, loss):
        """Keras's ``optimizer.scale_loss(loss)``: ``loss · loss_scale_factor`` (or ``loss``)."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    def _extra(self, i: int, key: str, param: np.ndarray) -> np.ndarray:
        bufs = self._extra_bufs.setdefault(i, {})
        buf = bufs.get(key)
        if buf is None:
            buf = bufs[key] = np.zeros_like(param)
        return buf

    def step(self, closure=None):
        """The shared step, wrapped in Keras's options (module docstring)."""
        if not self._extras_on:
            return super().step(closure)
        loss = closure() if closure is not None else None
        before = self.iterations
        k = self.gradient_accumulation_steps
        saved = [p.grad for p in self._params]
        try:
            for i, p in enumerate(self._params):
                g = p.grad
                if g is None:
                    continue
                g = g.data if type(g) is Tensor else g
                if g.shape != p.data.shape:
                    raise ValueError(f"{type(self).__name__}: gradient of parameter {i} has "
                                     f"shape {g.shape}, parameter has {p.data.shape}")  # fmt: skip
                if self.loss_scale_factor is not None:
                    g = g / np.asarray(self.loss_scale_factor, dtype=g.dtype)
                if k:
                    acc = self._extra(i, _ACCUMULATOR, p.data)
                    if (before + 1) % k:
                        acc += g
                        g = None
                    else:
                        g = (g + acc) / np.asarray(k, dtype=g.dtype)
                        acc[...] = 0
                p.grad = g
            if k and (before + 1) % k:
                self.iterations += 1  # an accumulation step: the weights stay
            else:
                super().step()
        finally:
            for p, g in zip(self._params, saved):
                p.grad = g
        if self.use_ema:
            self._update_averages(before // k if k else before)
        return loss

    def _update_averages(self, counted: int) -> None:
        """``a = m·a + (1 − m)·w`` for every trainable weight (``m = 0`` at the first counted
        step); every ``ema_overwrite_frequency`` counted steps the weights take the averages."""
        m = self.ema_momentum if counted else 0.0
        freq = self.ema_overwrite_frequency
        overwrite = bool(freq) and (counted + 1) % freq == 0
        for i, p in enumerate(self._params):
            if not p.requires_grad:
                continue
            avg = self._extra(i, _AVERAGE, p.data)
            avg *= m
            avg += (1.0 - m) * p.data
            if overwrite:
                p.data[...] = avg

    def finalize_variable_values(self, var_list=None) -> None:
        """Keras's end of training: with ``use_ema``, the weights take their moving averages
        (``fit`` calls this after the last epoch). ``var_list``: the variables (default: all of
        this optimizer's)."""
        if not self.use_ema:
            return
        index = {id(p): i for i, p in enumerate(self._params)}
        for v in self._params if var_list is None else var_list:
            i = index.get(id(v))
            avg = None if i is None else self._extra_bufs.get(i, {}).get(_AVERAGE)
            if avg is not None:
                v.data[...] = avg

    def fused_momentum(self, params: list):
        """No fused step (training/dense_replay.py) while one of Keras's options is on."""
        parent = getattr(super(), "fused_momentum", None)
        return None if self._extras_on or parent is None else parent(params)

    # ------------------------------------------------------------ Keras's attributes
    @property
    def learning_rate(self):
        """The current learning rate (a schedule is evaluated at ``iterations``). Set a float or
        a schedule to replace it."""
        return self.lr

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if isinstance(value, LearningRateSchedule) or callable(value):
            for g in [self.defaults, *self.param_groups]:
                g["lr"] = value
            self.defaults = self._validated(self.defaults)
        else:
            self.lr = value
        self._keras_config["learning_rate"] = value

    @property
    def variables(self) -> list:
        """The optimiser's state arrays (iterations first, then each parameter's buffers)."""
        out = [np.asarray(self.iterations, np.int64)]
        for s in self._state:
            out.extend(v for v in (s or {}).values())
        return out

    # ------------------------------------------------------------ configs
    def get_config(self) -> dict[str, Any]:
        cfg = {"name": self.name}
        for k, v in self._keras_config.items():
            cfg[k] = serialize_lr(v) if k == "learning_rate" else v
        lr = self.param_groups[0]["lr"] if self.param_groups else self.defaults["lr"]
        cfg["learning_rate"] = serialize_lr(lr)
        return cfg

    @classmethod
    def from_config(cls, config: dict[str, Any], params=None):
        cfg = dict(config)
        if "learning_rate" in cfg:
            cfg["learning_rate"] = deserialize_lr(cfg["learning_rate"])
        opt = cls(**cfg)
        if params is not None:
            opt.build(params)
        return opt

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["config"] = {"name": type(self).__name__, "keras": self.get_config()}
        if self._extra_bufs:
            state["keras"] = {i: {k: v.copy() for k, v in bufs.items()}
                              for i, bufs in self._extra_bufs.items()}  # fmt: skip
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """The shared restore, plus the moving averages and accumulators (checked first)."""
        name = type(self).__name__
        saved = state_dict.get("keras", {}) if isinstance(state_dict, dict) else {}
        if not isinstance(saved, dict):  # a malformed file: the documented error is ValueError
            raise ValueError(  # noqa: TRY004
                f"{name}.load_state_dict: 'keras' must map parameter indices to buffers"
            )
        restored: dict[int, dict[str, np.ndarray]] = {}
        for key, bufs in saved.items():
            try:
                i = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"{name}.load_state_dict: 'keras' key {key!r:.40} is not a "
                                 "parameter index") from None  # fmt: skip
            if not 0 <= i < len(self._params) or not isinstance(bufs, dict):
                raise ValueError(f"{name}.load_state_dict: 'keras' state for parameter {i}, "
                                 f"but the optimizer has {len(self._params)}")  # fmt: skip
            param = self._params[i].data
            allowed = {_AVERAGE} if self.use_ema else set()
            if self.gradient_accumulation_steps:
                allowed.add(_ACCUMULATOR)
            if not set(bufs) <= allowed:
                raise ValueError(f"{name}.load_state_dict: parameter {i} has buffers "
                                 f"{sorted(bufs)}; this optimizer keeps "
                                 f"{sorted(allowed)}")  # fmt: skip
            for k, arr in bufs.items():
                if tuple(np.shape(arr)) != param.shape:
                    raise ValueError(f"{name}.load_state_dict: parameter {i} buffer '{k}' "
                                     f"has shape {tuple(np.shape(arr))}, expected "
                                     f"{param.shape}")  # fmt: skip
            restored[i] = {k: np.array(v, dtype=param.dtype, copy=True) for k, v in bufs.items()}
        super().load_state_dict({k: v for k, v in state_dict.items() if k != "keras"})
        self._extra_bufs = restored

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
