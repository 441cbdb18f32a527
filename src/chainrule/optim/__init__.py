"""Optimisers, learning-rate schedules and gradient clipping.

``get("adam")`` (or any Keras name) gives an optimiser with Keras's default hyper-parameters and no
parameters yet (attach them with ``opt.build(model.parameters())``); the classes themselves use
PyTorch's defaults. See docs/optim.md for every update rule.
"""

from __future__ import annotations

from typing import Any

from .. import custom_objects as _custom
from ._checks import Params
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base import Optimizer
from .clip import clip_grad_norm, clip_grad_value, global_grad_norm
from .nadam import NAdam
from .rmsprop import RMSprop
from .schedules import (
    CosineDecay,
    ExponentialDecay,
    LambdaSchedule,
    LearningRateSchedule,
    PolynomialDecay,
    StepDecay,
)
from .sgd import SGD

Nadam = NAdam  # Keras's spelling

#: Keras string -> (class, Keras's default hyper-parameters in this library's argument names).
_REGISTRY: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "sgd": (SGD, {"lr": 0.01}),
    "adam": (Adam, {"lr": 0.001, "eps": 1e-7}),
    "adamw": (AdamW, {"lr": 0.001, "eps": 1e-7, "weight_decay": 0.004}),
    "rmsprop": (RMSprop, {"lr": 0.001, "rho": 0.9, "eps": 1e-7}),
    "adagrad": (Adagrad, {"lr": 0.001, "initial_accumulator_value": 0.1, "eps": 1e-7}),
    "adadelta": (Adadelta, {"lr": 0.001, "rho": 0.95, "eps": 1e-7}),
    "adamax": (Adamax, {"lr": 0.001, "eps": 1e-7}),
    "nadam": (NAdam, {"lr": 0.001, "eps": 1e-7}),
}
_CLASSES = {cls.__name__: cls for cls, _ in _REGISTRY.values()}
#: Keras argument names accepted by get(), and this library's names for them.
_KERAS_NAMES = {"learning_rate": "lr", "epsilon": "eps"}


def _from_keras_names(defaults: dict, kwargs: dict) -> dict:
    """Merge string defaults with overrides given in either naming (``learning_rate``,
    ``epsilon``, ``beta_1``/``beta_2`` or ``lr``, ``eps``, ``betas``)."""
    opts = dict(defaults)
    for k, v in kwargs.items():
        opts[_KERAS_NAMES.get(k, k)] = v
    if "beta_1" in opts or "beta_2" in opts:
        b1, b2 = opts.get("betas", (0.9, 0.999))
        opts["betas"] = (opts.pop("beta_1", b1), opts.pop("beta_2", b2))
    return opts


def get(identifier: str | dict | Optimizer, params: Params = None, **kwargs) -> Optimizer:
    """Resolve an optimiser: a Keras name (``"adam"``; Keras defaults, overridden by ``kwargs``,
    which may use Keras's argument names ``learning_rate``, ``epsilon``, ``beta_1``, ``beta_2``),
    a config dict from ``get_config()``, or an Optimizer (returned as is). ``params`` (optional)
    attaches the parameters."""
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise ValueError(
                f"optim.get: got an {type(identifier).__name__} instance and extra "
                f"options {sorted(kwargs)}; set them on the instance instead"
            )
        if params is not None and not identifier.built:
            identifier.build(params)
        return identifier
    if isinstance(identifier, dict):
        name = identifier.get("name")
        cls = _CLASSES.get(name) if isinstance(name, str) else None
        if cls is None:
            cls = _custom.lookup_class(name, Optimizer)
        if cls is None:
            raise ValueError(
                f"optim.get: unknown optimizer config name {identifier.get('name')!r};"
                f" expected one of {sorted(_CLASSES)}"
            )
        return cls.from_config({**identifier, **kwargs}, params)
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _REGISTRY:
            raise ValueError(
                f"optim.get: unknown optimizer {identifier!r}; expected one of {sorted(_REGISTRY)}"
            )
        cls, defaults = _REGISTRY[key]
        return cls(params, **_from_keras_names(defaults, kwargs))
    raise TypeError(
        f"optim.get: expected a name, a config dict or an Optimizer, got "
        f"{type(identifier).__name__}"
    )


__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "CosineDecay",
    "ExponentialDecay",
    "LambdaSchedule",
    "LearningRateSchedule",
    "NAdam",
    "Nadam",
    "Optimizer",
    "PolynomialDecay",
    "RMSprop",
    "StepDecay",
    "clip_grad_norm",
    "clip_grad_value",
    "get",
    "global_grad_norm",
]
