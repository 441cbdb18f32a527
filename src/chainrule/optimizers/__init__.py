"""``keras.optimizers`` for chainrule: the Keras 3 optimiser classes with Keras's names, defaults
and formulas, ``schedules``, and :func:`get` (``"adam"`` → :class:`Adam` with Keras's defaults).

The PyTorch door's classes (PyTorch's names and defaults) are in :mod:`chainrule.optim`; both
share one implementation of each update rule.
"""

from __future__ import annotations

from typing import Any

from ..optim.base import Optimizer
from . import schedules
from .base import KerasOptimizer
from .optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop

#: Keras's string names (lower case) → class
ALL_OPTIMIZERS: dict[str, type] = {
    c.__name__.lower(): c for c in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam)
}
#: the PyTorch door's argument names, accepted by get() for convenience
_TORCH_NAMES = {"lr": "learning_rate", "eps": "epsilon"}


def _keras_kwargs(kwargs: dict) -> dict:
    out = {}
    for k, v in kwargs.items():
        if k == "betas":
            out["beta_1"], out["beta_2"] = v
        else:
            out[_TORCH_NAMES.get(k, k)] = v
    return out


def serialize(optimizer: KerasOptimizer) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}``, as Keras writes it."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict | None = None) -> KerasOptimizer:
    """Inverse of :func:`serialize`."""
    name = config.get("class_name")
    known = {**{c.__name__: c for c in ALL_OPTIMIZERS.values()}, **(custom_objects or {})}
    cls = known.get(name) or ALL_OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(
            f"optimizers.deserialize: unknown optimizer {name!r}; expected one of "
            f"{sorted(c.__name__ for c in ALL_OPTIMIZERS.values())}"
        )
    return cls.from_config(config.get("config", {}))


def get(identifier, **kwargs) -> Optimizer:
    """An optimiser from a Keras name (``"adam"``, any case; keyword arguments override Keras's
    defaults, in Keras's names or ``lr``/``eps``/``betas``), a ``serialize`` dict, or an
    optimiser instance (returned as is)."""
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise ValueError(
                f"optimizers.get: got an {type(identifier).__name__} instance and extra options "
                f"{sorted(kwargs)}; set them on the instance instead"
            )
        return identifier
    if isinstance(identifier, dict) and "class_name" in identifier:
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"optimizers.get: unknown optimizer {identifier!r}; expected one of "
                f"{sorted(ALL_OPTIMIZERS)}"
            )
        return cls(**_keras_kwargs(kwargs))
    raise TypeError(
        f"optimizers.get: expected a name, a config dict or an Optimizer, got "
        f"{type(identifier).__name__}"
    )


LearningRateSchedule = schedules.LearningRateSchedule

__all__ = [
    "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "LearningRateSchedule", "Nadam",
    "Optimizer", "RMSprop", "deserialize", "get", "schedules", "serialize",
]  # fmt: skip
