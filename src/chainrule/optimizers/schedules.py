"""Keras's learning-rate schedules (``keras.optimizers.schedules``), with Keras's argument names.

Each is a callable ``step -> lr`` evaluated by the optimiser at ``iterations`` (the number of
updates already applied, 0 for the first), as Keras does.
"""

from __future__ import annotations

import math
from typing import Any

from ..optim.schedules import LearningRateSchedule, register_schedule

__all__ = [
    "CosineDecay", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
    "PiecewiseConstantDecay", "PolynomialDecay",
]  # fmt: skip


def _number(cls: str, name: str, value, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{cls}: {name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{cls}: {name} must be finite and {'> 0' if positive else '>= 0'}, "
                         f"got {value}")  # fmt: skip
    return value


class _Keras(LearningRateSchedule):
    def __init__(self, name: str):
        self.name = name

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__name__.startswith("_"):  # a shared base, never named in a file
            return
        cls.registered_name = f"keras.{cls.__name__}"
        register_schedule(cls)


class _RateDecay(_Keras):
    """Shared by ExponentialDecay and InverseTimeDecay: the same arguments, and the decay
    progress ``step / decay_steps`` (floored with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase: bool = False,
                 name: str | None = None):  # fmt: skip
        name = type(self).__name__ if name is None else name
        super().__init__(name)
        self.initial_learning_rate = _number(name, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number(name, "decay_steps", decay_steps, positive=True)
        self.decay_rate = _number(name, "decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def _progress(self, step: int) -> float:
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}  # fmt: skip


class ExponentialDecay(_RateDecay):
    """``initial_learning_rate · decay_rate ^ (step / decay_steps)`` (exponent floored with
    ``staircase``)."""

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class PiecewiseConstantDecay(_Keras):
    """``values[0]`` for step <= boundaries[0], ``values[i]`` for boundaries[i-1] < step <=
    boundaries[i], ``values[-1]`` after the last boundary."""

    def __init__(self, boundaries, values, name: str = "PiecewiseConstant"):
        super().__init__(name)
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                f"PiecewiseConstantDecay: the length of boundaries ({len(boundaries)}) should be "
                f"1 less than the length of values ({len(values)})"
            )
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        self.boundaries = [float(b) if isinstance(b, float) else int(b) for b in boundaries]
        self.values = [float(v) for v in values]

    def __call__(self, step: int) -> float:
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(_Keras):
    """Optional linear warm-up from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps``, then a half cosine down to ``alpha`` times the peak over ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target=None, warmup_steps: int = 0):  # fmt: skip
        super().__init__(name)
        self.initial_learning_rate = _number(name, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number(name, "decay_steps", decay_steps, positive=True)
        self.alpha = _number(name, "alpha", alpha)
        self.warmup_target = None if warmup_target is None else _number(
            name, "warmup_target", warmup_target)  # fmt: skip
        self.warmup_steps = _number(name, "warmup_steps", warmup_steps)

    def _decay(self, step: float, peak: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            frac = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * frac + (
                self.initial_learning_rate)  # fmt: skip
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}  # fmt: skip


class PolynomialDecay(_Keras):
    """``(initial − end) · (1 − step / decay_steps) ^ power + end``; with ``cycle`` the decay
    restarts, its length the next multiple of ``decay_steps``."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay"):  # fmt: skip
        super().__init__(name)
        self.initial_learning_rate = _number(name, "initial_learning_rate", initial_learning_rate)
        self.decay_steps = _number(name, "decay_steps", decay_steps, positive=True)
        self.end_learning_rate = _number(name, "end_learning_rate", end_learning_rate)
        self.power = _number(name, "power", power)
        self.cycle = bool(cycle)

    def __call__(self, step: int) -> float:
        steps = self.decay_steps
        if self.cycle:
            steps *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, steps)
        frac = 1.0 - step / steps
        return (self.initial_learning_rate - self.end_learning_rate) * frac**self.power + (
            self.end_learning_rate)  # fmt: skip

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}  # fmt: skip


class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate · step / decay_steps)`` (floored with
    ``staircase``)."""

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))
