"""Weight constraints, applied in place after each optimiser step (``Module.apply_constraints()``).

A constraint's ``apply_(w)`` rewrites the ndarray ``w`` in place; ``__call__(w)`` returns a
constrained copy.
"""

from __future__ import annotations

from . import custom_objects as _custom
from .backend import xp

CONSTRAINTS: dict[str, type] = {}


def _register(*names):
    def deco(cls):
        for n in names:
            CONSTRAINTS[n] = cls
        cls.registered_name = names[0]
        return cls

    return deco


class Constraint:
    """Base: subclasses implement ``apply_(w)`` (in place) and ``get_config()``."""

    registered_name = ""

    def apply_(self, w) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, w):
        out = xp(w).array(w, copy=True)
        self.apply_(out)
        return out

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@_register("max_norm")
class MaxNorm(Constraint):
    """Rescale slices whose L2 norm over ``axis`` exceeds ``max_value`` down to ``max_value``.

    For a Dense kernel (in, out) the default ``axis=0`` bounds each unit's incoming weight vector.
    """

    def __init__(self, max_value: float = 2.0, axis=0):
        if not max_value > 0:
            raise ValueError(f"MaxNorm: max_value must be positive, got {max_value}")
        self.max_value = float(max_value)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def apply_(self, w) -> None:
        m = xp(w)
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        norms = m.sqrt((w * w).sum(axis=axis, keepdims=True))
        t = w.dtype.type
        scale = m.minimum(norms, t(self.max_value)) / (norms + t(1e-7))
        w *= scale

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


@_register("non_neg", "nonneg")
class NonNeg(Constraint):
    """Clamp negative weights to zero."""

    def apply_(self, w) -> None:
        xp(w).maximum(w, 0, out=w)


@_register("unit_norm")
class UnitNorm(Constraint):
    """Scale slices to unit L2 norm over ``axis``."""

    def __init__(self, axis=0):
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else int(axis)

    def apply_(self, w) -> None:
        m = xp(w)
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        w /= m.sqrt((w * w).sum(axis=axis, keepdims=True)) + w.dtype.type(1e-7)

    def get_config(self) -> dict:
        return {"axis": self.axis}


def serialize(constraint: Constraint | None):
    if constraint is None:
        return None
    return {"class_name": constraint.registered_name, "config": constraint.get_config()}


def get(identifier) -> Constraint | None:
    """A Constraint from None, a name (``"non_neg"``), a serialised dict or a Constraint."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    config = {}
    if isinstance(identifier, dict):
        identifier, config = identifier.get("class_name"), identifier.get("config", {})
    if isinstance(identifier, str):
        cls = CONSTRAINTS.get(identifier.lower()) or _custom.lookup_class(identifier, Constraint)
        if cls is None:
            raise ValueError(f"unknown constraint {identifier!r}; known: {sorted(CONSTRAINTS)}")
        return cls.from_config(_custom.check_config(config, f"constraints {identifier!r}"))
    raise TypeError(
        f"constraints.get: expected a name or Constraint, got {type(identifier).__name__}"
    )
