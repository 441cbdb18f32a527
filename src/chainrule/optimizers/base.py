"""What every Keras-door optimiser adds to the shared :class:`chainrule.optim.Optimizer`.

A Keras optimiser is the PyTorch-door class with the same update rule, built with Keras's
argument names and defaults and Keras's formula flags (where eps enters, decoupled weight decay).
It adds Keras's API: ``learning_rate`` (a float or a schedule, settable), ``iterations``,
``build(variables)``, ``apply(grads, trainable_variables)``, ``apply_gradients(zip(grads, vars))``,
and ``get_config`` / ``from_config`` in Keras's names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..optim.schedules import LearningRateSchedule, deserialize_lr, serialize_lr

#: arguments every Keras optimiser takes (Keras's base optimizer keyword arguments we support)
COMMON = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")


class KerasOptimizer:
    """Mixin placed before the shared optimiser class (see the module docstring)."""

    #: Keras's default ``name`` (lower-case class name, "SGD" for SGD)
    default_name: str = ""
    #: Keras constructor argument → this class's value (filled by ``_keras_init``)
    _keras_config: dict

    decoupled_weight_decay = True  # Keras: ``p -= p · weight_decay · lr`` before every update

    def _keras_init(self, name: str | None, config: dict[str, Any]) -> None:
        self.name = name or self.default_name
        self._keras_config = dict(config)

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
        return state

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
