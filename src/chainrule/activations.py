"""Activation functions by name (``"relu"``, ``"gelu"``, …) and as plain functions ``f(x) -> Tensor``.

Each function maps a Tensor of any shape to one of the same shape (softmax normalises along
``axis``). :func:`get` resolves a name, a serialised dict (for functions with parameters, e.g.
``{"class_name": "leaky_relu", "config": {"negative_slope": 0.1}}``), a callable or None (linear).
:func:`serialize` is its inverse for the registered functions.

Defaults follow Keras where Keras and PyTorch differ: ``leaky_relu`` has slope 0.2, ``gelu`` is the
exact (erf) form, ``hard_sigmoid`` is relu6(x + 3) / 6 (Keras 3 and PyTorch agree on it).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from . import custom_objects as _custom
from . import ops
from .tensor import Tensor

ACTIVATIONS: dict[str, Callable] = {}


def register(*names: str):
    """Decorator adding a function to the registry under each of ``names``."""

    def deco(fn):
        for n in names:
            ACTIVATIONS[n] = fn
        fn.registered_name = names[0]
        return fn

    return deco


@register("linear")
def linear(x: Tensor) -> Tensor:
    """The identity."""
    return x


@register("sigmoid")
def sigmoid(x: Tensor) -> Tensor:
    return ops.sigmoid(x)


@register("tanh")
def tanh(x: Tensor) -> Tensor:
    return ops.tanh(x)


@register("relu")
def relu(x: Tensor) -> Tensor:
    return ops.relu(x)


@register("leaky_relu")
def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    return ops.leaky_relu(x, negative_slope)


@register("elu")
def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return ops.elu(x, alpha)


@register("selu")
def selu(x: Tensor) -> Tensor:
    return ops.selu(x)


@register("gelu")
def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    return ops.gelu(x, "tanh" if approximate else "none")


@register("swish", "silu")
def swish(x: Tensor) -> Tensor:
    """x · sigmoid(x)."""
    return ops.silu(x)


silu = swish


@register("softplus")
def softplus(x: Tensor) -> Tensor:
    return ops.softplus(x)


@register("softsign")
def softsign(x: Tensor) -> Tensor:
    return ops.softsign(x)


@register("hard_sigmoid")
def hard_sigmoid(x: Tensor) -> Tensor:
    return ops.hard_sigmoid(x)


@register("hard_swish", "hard_silu")
def hard_swish(x: Tensor) -> Tensor:
    return ops.hard_swish(x)


@register("softmax")
def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return ops.softmax(x, axis)


@register("log_softmax")
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return ops.log_softmax(x, axis)


def get(identifier) -> Callable:
    """An activation function from a name, serialised dict, callable, or None (→ linear)."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        name, config = identifier.get("class_name"), identifier.get("config", {})
        if not isinstance(name, str):
            raise TypeError(f"activations.get: class_name must be a string, got {name!r:.200}")
        fn = get(name)
        if not config:
            return fn
        _custom.check_config(config, f"activation {name!r}")
        if fn in ACTIVATIONS.values():  # built-ins take only their own keyword arguments
            params = inspect.signature(fn).parameters
            for k, v in config.items():
                if k not in params or k == "x":
                    raise TypeError(f"activation {name!r} has no argument {k!r}")
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise TypeError(f"activation {name!r}: {k} must be a number, got {v!r:.100}")
        return functools.partial(fn, **config)
    if isinstance(identifier, str):
        fn = ACTIVATIONS.get(identifier.lower()) or _custom.lookup(identifier)
        if fn is None:
            raise ValueError(f"unknown activation {identifier!r}; known: {sorted(ACTIVATIONS)}")
        return fn
    if callable(identifier):
        return identifier
    raise TypeError(
        f"activations.get: expected a name or callable, got {type(identifier).__name__}"
    )


def serialize(fn: Callable):
    """A registered activation's name, or a dict with its keyword arguments for a partial."""
    if isinstance(fn, functools.partial) and not fn.args:
        return {"class_name": serialize(fn.func), "config": dict(fn.keywords)}
    name = getattr(fn, "registered_name", None)
    if name is None or ACTIVATIONS.get(name) is not fn:
        raise ValueError(
            f"cannot serialise activation {fn!r}: only registered activations can be saved; "
            "register it with chainrule.activations.register('name')"
        )
    return name
