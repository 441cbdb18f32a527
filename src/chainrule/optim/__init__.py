"""``torch.optim`` for chainrule (the PyTorch door): optimisers with PyTorch's names and defaults,
``lr_scheduler``, learning-rate schedules and gradient clipping.

``get("adam")`` (or any Keras name) gives the Keras door's optimiser (:mod:`chainrule.optimizers`,
Keras's defaults and formulas) with no parameters yet. See docs/optim.md for every update rule.
"""

from __future__ import annotations

from .. import custom_objects as _custom
from . import lr_scheduler
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


def get(identifier: str | dict | Optimizer, params: Params = None, **kwargs) -> Optimizer:
    """Resolve an optimiser for ``Model.compile``: a Keras name (``"adam"``) gives the Keras
    door's class with Keras's defaults (:func:`chainrule.optimizers.get`; ``kwargs`` override them,
    in Keras's names or ``lr``/``eps``/``betas``); a config dict from either door's
    ``get_config()`` / ``state_dict()["config"]`` rebuilds that optimiser; an Optimizer is returned
    as is. ``params`` (optional) attaches the parameters."""
    from .. import optimizers

    if isinstance(identifier, dict) and "class_name" not in identifier:
        opt = _from_config(identifier, kwargs)
    else:
        if isinstance(identifier, Optimizer) and params is not None and not identifier.built:
            identifier.build(params)
            params = None
        opt = optimizers.get(identifier, **kwargs)
    if params is not None and not opt.built:
        opt.build(params)
    return opt


def _from_config(config: dict, kwargs: dict) -> Optimizer:
    """A PyTorch-door config (``{"name": "Adam", "lr": …}``), a Keras config (``"learning_rate"``
    or a state dict's ``{"name": …, "keras": {…}}``)."""
    from .. import optimizers

    if "keras" in config:
        config = config["keras"]
    if "learning_rate" in config:
        cls = optimizers.ALL_OPTIMIZERS.get(str(config.get("name")).lower())
        if cls is None:
            cls = _custom.lookup_class(config.get("name"), Optimizer)
        if cls is None:
            raise ValueError(
                f"optim.get: unknown optimizer config name {config.get('name')!r}; expected one "
                f"of {sorted(optimizers.ALL_OPTIMIZERS)} (or pass {{'class_name': …, 'config': …}})"
            )
        return cls.from_config({**config, **kwargs})
    name = config.get("name")
    cls = _CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:  # a user's optimiser class, named in custom_objects
        cls = _custom.lookup_class(name, Optimizer)
    if cls is None:
        raise ValueError(
            f"optim.get: unknown optimizer config name {config.get('name')!r};"
            f" expected one of {sorted(_CLASSES)}"
        )
    return cls.from_config({**config, **kwargs})


_CLASSES = {c.__name__: c for c in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, NAdam)}

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
    "Optimizer",
    "PolynomialDecay",
    "RMSprop",
    "StepDecay",
    "clip_grad_norm",
    "clip_grad_value",
    "get",
    "global_grad_norm",
    "lr_scheduler",
]
