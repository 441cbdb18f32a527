"""The Keras 3 optimisers: Keras's names, defaults and update formulas, over the shared rules of
:mod:`chainrule.optim` (each rule is written once; the Keras classes set the flags where Keras's
formula differs, see docs/doors.md)."""

from __future__ import annotations

from .. import optim
from .base import KerasOptimizer, extras


def _common(weight_decay, clipnorm, clipvalue, global_clipnorm) -> dict:
    return {"weight_decay": weight_decay, "clipnorm": clipnorm, "clipvalue": clipvalue,
            "global_clipnorm": global_clipnorm}  # fmt: skip


def _clip(cfg: dict) -> dict:
    return {k: cfg[k] for k in ("clipnorm", "clipvalue", "global_clipnorm")}


class SGD(KerasOptimizer, optim.SGD):
    """``v = momentum · v − lr · g``; ``p += v`` (Nesterov: ``p += momentum · v − lr · g``)."""

    default_name = "SGD"
    lr_in_momentum = True

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        cfg = {"learning_rate": learning_rate, "momentum": momentum, "nesterov": nesterov,
               **_common(weight_decay, clipnorm, clipvalue, global_clipnorm)}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        if nesterov and not momentum:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        optim.SGD.__init__(self, None, lr=learning_rate, momentum=momentum, nesterov=nesterov,
                           weight_decay=weight_decay or 0.0, **_clip(cfg))  # fmt: skip


class Adam(KerasOptimizer, optim.Adam):
    """Adam with Keras's epsilon: ``p -= lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)``."""

    default_name = "adam"
    eps_hat = True

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-07, amsgrad: bool = False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        cfg = {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2,
               "epsilon": epsilon, "amsgrad": amsgrad,
               **_common(weight_decay, clipnorm, clipvalue, global_clipnorm)}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        optim.Adam.__init__(self, None, lr=learning_rate, betas=(beta_1, beta_2), eps=epsilon,
                            weight_decay=weight_decay or 0.0, amsgrad=amsgrad,
                            **_clip(cfg))  # fmt: skip


class AdamW(KerasOptimizer, optim.AdamW):
    """Keras's AdamW: Adam (Keras's epsilon) with decoupled weight decay, 0.004 by default."""

    default_name = "adamw"
    eps_hat = True

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-07, amsgrad: bool = False,
                 clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        if weight_decay is None:
            raise ValueError("AdamW: argument weight_decay must be a float, got None")
        cfg = {"learning_rate": learning_rate, "weight_decay": weight_decay, "beta_1": beta_1,
               "beta_2": beta_2, "epsilon": epsilon, "amsgrad": amsgrad,
               "clipnorm": clipnorm, "clipvalue": clipvalue,
               "global_clipnorm": global_clipnorm}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        optim.AdamW.__init__(self, None, lr=learning_rate, betas=(beta_1, beta_2), eps=epsilon,
                             weight_decay=weight_decay, amsgrad=amsgrad, **_clip(cfg))  # fmt: skip


class RMSprop(KerasOptimizer, optim.RMSprop):
    """Keras's RMSprop: ``d = √(v + ε)``; momentum buffer ``b = μ b + lr g / d``; ``p -= b``."""

    default_name = "rmsprop"
    keras_rule = True

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-07, centered: bool = False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        cfg = {"learning_rate": learning_rate, "rho": rho, "momentum": momentum,
               "epsilon": epsilon, "centered": centered,
               **_common(weight_decay, clipnorm, clipvalue, global_clipnorm)}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        optim.RMSprop.__init__(self, None, lr=learning_rate, alpha=rho, eps=epsilon,
                               weight_decay=weight_decay or 0.0, momentum=momentum,
                               centered=centered, **_clip(cfg))  # fmt: skip


class Adagrad(KerasOptimizer, optim.Adagrad):
    """Keras's Adagrad: ``s += g²``; ``p -= lr · g / √(s + ε)``; s starts at 0.1."""

    default_name = "adagrad"
    eps_inside_sqrt = True

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-07, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        cfg = {"learning_rate": learning_rate,
               "initial_accumulator_value": initial_accumulator_value, "epsilon": epsilon,
               **_common(weight_decay, clipnorm, clipvalue, global_clipnorm)}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        optim.Adagrad.__init__(self, None, lr=learning_rate,
                               initial_accumulator_value=initial_accumulator_value, eps=epsilon,
                               weight_decay=weight_decay or 0.0, **_clip(cfg))  # fmt: skip


class Adadelta(KerasOptimizer, optim.Adadelta):
    """Adadelta (the same rule in both doors) with Keras's defaults."""

    default_name = "adadelta"

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-07,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        cfg = {"learning_rate": learning_rate, "rho": rho, "epsilon": epsilon,
               **_common(weight_decay, clipnorm, clipvalue, global_clipnorm)}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        optim.Adadelta.__init__(self, None, lr=learning_rate, rho=rho, eps=epsilon,
                                weight_decay=weight_decay or 0.0, **_clip(cfg))  # fmt: skip


class Adamax(KerasOptimizer, optim.Adamax):
    """Keras's Adamax: ``u = max(β2 u, |g|)``; ``p -= lr / (1 − β1ᵗ) · m / (u + ε)``."""

    default_name = "adamax"
    eps_outside_max = True

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-07, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        cfg = {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2,
               "epsilon": epsilon,
               **_common(weight_decay, clipnorm, clipvalue, global_clipnorm)}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        optim.Adamax.__init__(self, None, lr=learning_rate, betas=(beta_1, beta_2), eps=epsilon,
                              weight_decay=weight_decay or 0.0, **_clip(cfg))  # fmt: skip


class Nadam(KerasOptimizer, optim.NAdam):
    """Keras's Nadam: PyTorch's NAdam rule with the momentum schedule β1 (1 − ½ · 0.96ᵗ)."""

    default_name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-07, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None, loss_scale_factor=None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None):  # fmt: skip
        cfg = {"learning_rate": learning_rate, "beta_1": beta_1, "beta_2": beta_2,
               "epsilon": epsilon,
               **_common(weight_decay, clipnorm, clipvalue, global_clipnorm)}  # fmt: skip
        cfg.update(
            extras(
                use_ema,
                ema_momentum,
                ema_overwrite_frequency,
                loss_scale_factor,
                gradient_accumulation_steps,
            )
        )
        self._keras_init(name, cfg)
        optim.NAdam.__init__(self, None, lr=learning_rate, betas=(beta_1, beta_2), eps=epsilon,
                             weight_decay=weight_decay or 0.0, momentum_decay=1.0,
                             decoupled_weight_decay=True, **_clip(cfg))  # fmt: skip
