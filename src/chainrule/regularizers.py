"""Weight regularisers: ``reg(param) -> 0-d Tensor`` added to the training loss.

A layer holding ``kernel_regularizer=L2(1e-4)`` contributes ``1e-4 · Σ w²`` through
``layer.regularization_loss()``; ``Module.regularization_losses()`` gathers them across a model.
The penalties follow Keras: L1 is ``l1 · Σ|w|``, L2 is ``l2 · Σ w²`` (no factor ½).
"""

from __future__ import annotations

from . import custom_objects as _custom
from .tensor import Tensor

REGULARIZERS: dict[str, type] = {}


def _register(*names):
    def deco(cls):
        for n in names:
            REGULARIZERS[n] = cls
        cls.registered_name = names[0]
        return cls

    return deco


def _check(value, name: str, owner: str) -> float:
    value = float(value)
    if not value >= 0:
        raise ValueError(f"{owner}: {name} must be a non-negative number, got {value}")
    return value


class Regularizer:
    """Base: ``__call__(param) -> Tensor`` (0-d) and ``get_config()``."""

    registered_name = ""

    def __call__(self, param: Tensor) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@_register("l1l2", "l1_l2")
class L1L2(Regularizer):
    """``l1 · Σ|w| + l2 · Σ w²``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _check(l1, "l1", type(self).__name__)
        self.l2 = _check(l2, "l2", type(self).__name__)

    def __call__(self, param: Tensor) -> Tensor:
        total = None
        if self.l1:
            total = param.abs().sum() * self.l1
        if self.l2:
            sq = (param * param).sum() * self.l2
            total = sq if total is None else total + sq
        if total is None:  # both zero: a zero that still belongs to the graph
            total = param.sum() * 0.0
        return total

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


@_register("l1")
class L1(L1L2):
    """``l1 · Σ|w|``."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)

    def get_config(self) -> dict:
        return {"l1": self.l1}


@_register("l2")
class L2(L1L2):
    """``l2 · Σ w²``."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


def serialize(reg: Regularizer | None):
    if reg is None:
        return None
    return {"class_name": reg.registered_name, "config": reg.get_config()}


def get(identifier) -> Regularizer | None:
    """A Regularizer from None, a name (``"l2"``), a serialised dict or a Regularizer."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    config = {}
    if isinstance(identifier, dict):
        identifier, config = identifier.get("class_name"), identifier.get("config", {})
    if isinstance(identifier, str):
        cls = REGULARIZERS.get(identifier.lower()) or _custom.lookup_class(identifier, Regularizer)
        if cls is None:
            raise ValueError(f"unknown regularizer {identifier!r}; known: {sorted(REGULARIZERS)}")
        return cls.from_config(_custom.check_config(config, f"regularizers {identifier!r}"))
    raise TypeError(
        f"regularizers.get: expected a name or Regularizer, got {type(identifier).__name__}"
    )
