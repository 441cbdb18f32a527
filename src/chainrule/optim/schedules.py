"""Learning-rate schedules: callables ``step -> lr`` that an optimiser evaluates once per step.

``step`` is the number of optimiser steps already taken (0 for the first update), so a schedule
matches PyTorch's ``lr_scheduler`` stepped after every ``optimizer.step()``. Every schedule has
``get_config()``; :func:`serialize_lr` / :func:`deserialize_lr` turn a float or a schedule into a
JSON-able value and back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import custom_objects as _custom


def _positive(cls: str, name: str, value, allow_zero: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        and not hasattr(value, "__float__")
    ):
        raise TypeError(f"{cls}: {name} must be a number, got {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{cls}: {name} must be finite and {bound}, got {value}")
    return value


def _steps(cls: str, name: str, value, allow_zero: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not (hasattr(value, "__index__")):
        raise TypeError(f"{cls}: {name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{cls}: {name} must be {'>= 0' if allow_zero else '> 0'}, got {value}")
    return value


class LearningRateSchedule:
    """Base class: ``schedule(step) -> float``; subclasses implement ``__call__`` and
    ``get_config`` (the keyword arguments that rebuild them). Subclasses defined elsewhere (the
    Keras door's schedules) register with :func:`register_schedule` to be rebuilt from configs."""

    #: the name a config records (the class name unless a registry needs another)
    registered_name: str | None = None

    def __call__(self, step: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class StepDecay(LearningRateSchedule):
    """``initial_lr * gamma ** (step // step_size)`` (PyTorch's StepLR)."""

    def __init__(self, initial_lr: float, step_size: int, gamma: float = 0.1):
        self.initial_lr = _positive("StepDecay", "initial_lr", initial_lr, allow_zero=True)
        self.step_size = _steps("StepDecay", "step_size", step_size)
        self.gamma = _positive("StepDecay", "gamma", gamma, allow_zero=True)

    def __call__(self, step: int) -> float:
        return self.initial_lr * self.gamma ** (step // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {"initial_lr": self.initial_lr, "step_size": self.step_size, "gamma": self.gamma}


class ExponentialDecay(LearningRateSchedule):
    """``initial_lr * decay_rate ** (step / decay_steps)``; with ``staircase`` the exponent is
    floored (Keras's ExponentialDecay; ``decay_steps=1`` is PyTorch's ExponentialLR)."""

    def __init__(
        self, initial_lr: float, decay_rate: float, decay_steps: int = 1, staircase: bool = False
    ):
        self.initial_lr = _positive("ExponentialDecay", "initial_lr", initial_lr, allow_zero=True)
        self.decay_rate = _positive("ExponentialDecay", "decay_rate", decay_rate)
        self.decay_steps = _steps("ExponentialDecay", "decay_steps", decay_steps)
        self.staircase = bool(staircase)

    def __call__(self, step: int) -> float:
        p = step // self.decay_steps if self.staircase else step / self.decay_steps
        return self.initial_lr * self.decay_rate**p

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_lr": self.initial_lr,
            "decay_rate": self.decay_rate,
            "decay_steps": self.decay_steps,
            "staircase": self.staircase,
        }


class CosineDecay(LearningRateSchedule):
    """Linear warm-up from ``warmup_start_lr`` to ``initial_lr`` over ``warmup_steps``, then a
    half cosine from ``initial_lr`` down to ``alpha * initial_lr`` over ``decay_steps``, constant
    after. Without warm-up this is PyTorch's CosineAnnealingLR with ``eta_min = alpha * lr``
    (for steps <= T_max) and Keras's CosineDecay.
    """

    def __init__(
        self,
        initial_lr: float,
        decay_steps: int,
        alpha: float = 0.0,
        warmup_steps: int = 0,
        warmup_start_lr: float = 0.0,
    ):
        self.initial_lr = _positive("CosineDecay", "initial_lr", initial_lr, allow_zero=True)
        self.decay_steps = _steps("CosineDecay", "decay_steps", decay_steps)
        self.alpha = _positive("CosineDecay", "alpha", alpha, allow_zero=True)
        if self.alpha > 1:
            raise ValueError(
                f"CosineDecay: alpha (final lr / initial lr) must be in [0, 1], got {self.alpha}"
            )
        self.warmup_steps = _steps("CosineDecay", "warmup_steps", warmup_steps, allow_zero=True)
        self.warmup_start_lr = _positive(
            "CosineDecay", "warmup_start_lr", warmup_start_lr, allow_zero=True
        )

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            frac = step / self.warmup_steps
            return self.warmup_start_lr + (self.initial_lr - self.warmup_start_lr) * frac
        progress = min(step - self.warmup_steps, self.decay_steps) / self.decay_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.initial_lr * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_lr": self.initial_lr,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "warmup_steps": self.warmup_steps,
            "warmup_start_lr": self.warmup_start_lr,
        }


class PolynomialDecay(LearningRateSchedule):
    """``(initial_lr - end_lr) * (1 - min(step, decay_steps) / decay_steps) ** power + end_lr``
    (Keras's PolynomialDecay without cycling; ``end_lr=0`` is PyTorch's PolynomialLR).
    The default ``end_lr`` is Keras's 1e-4."""

    def __init__(
        self, initial_lr: float, decay_steps: int, end_lr: float = 1e-4, power: float = 1.0
    ):
        self.initial_lr = _positive("PolynomialDecay", "initial_lr", initial_lr, allow_zero=True)
        self.decay_steps = _steps("PolynomialDecay", "decay_steps", decay_steps)
        self.end_lr = _positive("PolynomialDecay", "end_lr", end_lr, allow_zero=True)
        self.power = _positive("PolynomialDecay", "power", power)

    def __call__(self, step: int) -> float:
        frac = 1.0 - min(step, self.decay_steps) / self.decay_steps
        return (self.initial_lr - self.end_lr) * frac**self.power + self.end_lr

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_lr": self.initial_lr,
            "decay_steps": self.decay_steps,
            "end_lr": self.end_lr,
            "power": self.power,
        }


class LambdaSchedule(LearningRateSchedule):
    """Wraps any callable ``step -> lr`` (it returns the learning rate itself, unlike PyTorch's
    LambdaLR, which returns a factor). Its config names the function (its ``__qualname__``); a
    file's name is resolved **only** through ``custom_objects`` (``load_model(path,
    custom_objects={"my_schedule": my_schedule})``), never by importing anything."""

    def __init__(self, fn: Callable[[int], float]):
        if not callable(fn):
            raise TypeError(f"LambdaSchedule: expected a callable step -> lr, got {fn!r}")
        self.fn = fn

    def __call__(self, step: int) -> float:
        return float(self.fn(step))

    def get_config(self) -> dict[str, Any]:
        qualname = getattr(self.fn, "__qualname__", None) or type(self.fn).__qualname__
        return {"fn": str(qualname)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LambdaSchedule:
        if (
            not isinstance(config, dict)
            or set(config) != {"fn"}
            or not isinstance(config["fn"], str)
        ):
            raise ValueError(f"LambdaSchedule: config must be {{'fn': name}}, got {config!r:.200}")
        name = config["fn"]
        # Older files wrote "module:qualname"; only the user's own dict is consulted, by exact key.
        candidates = [name, name.rpartition(":")[2], name.rpartition(":")[2].rpartition(".")[2]]
        for key in candidates:
            fn = _custom.lookup(key)
            if fn is not None:
                return cls(fn)
        raise ValueError(
            f"LambdaSchedule: the function {name!r:.200} is not in custom_objects; a file never "
            "names code to import. Pass it when loading: custom_objects={'"
            f"{candidates[-1]:.100}': fn}} (or pass the schedule again when constructing the "
            "optimizer)"
        )


_SCHEDULES = {
    c.__name__: c
    for c in (StepDecay, ExponentialDecay, CosineDecay, PolynomialDecay, LambdaSchedule)
}


def register_schedule(cls: type) -> type:
    """Class decorator: make ``cls`` rebuildable by :func:`deserialize_lr` under its
    ``registered_name`` (or class name)."""
    _SCHEDULES[cls.registered_name or cls.__name__] = cls
    return cls


def serialize_lr(lr) -> float | dict[str, Any]:
    """A float stays a float; a schedule becomes ``{"class_name": ..., "config": {...}}``."""
    if isinstance(lr, LearningRateSchedule):
        name = type(lr).registered_name or type(lr).__name__
        return {"class_name": name, "config": lr.get_config()}
    if callable(lr):
        return serialize_lr(LambdaSchedule(lr))
    return float(lr)


def deserialize_lr(value) -> float | LearningRateSchedule:
    """Inverse of :func:`serialize_lr`. A schedule's ``class_name`` resolves through the built-in
    schedules, then the active ``custom_objects``; a number must be finite and >= 0."""
    if isinstance(value, dict):
        if set(value) - {"class_name", "config"}:
            raise ValueError(f"learning-rate schedule entry has unexpected keys {sorted(value)}")
        name = value.get("class_name")
        cls = _SCHEDULES.get(name) if isinstance(name, str) else None
        if cls is None:
            custom = _custom.lookup(name)
            if isinstance(custom, type) and issubclass(custom, LearningRateSchedule):
                cls = custom
        if cls is None:
            raise ValueError(
                f"unknown learning-rate schedule {name!r:.200}; expected one of "
                f"{sorted(_SCHEDULES)} or a LearningRateSchedule subclass in custom_objects"
            )
        config = value.get("config", {})
        if not isinstance(config, dict):
            raise TypeError(f"learning-rate schedule {name!r} config must be an object")
        return cls.from_config(config)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(
            f"learning rate must be a number or a schedule config, got {type(value).__name__}"
        )
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"learning rate must be finite and >= 0, got {value}")
    return value
