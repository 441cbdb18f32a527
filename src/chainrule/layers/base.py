"""Layer: a Module with a name, a dtype, a config, and a place in the layer registry.

Every layer is registered by class name (``@register``) so a model can be rebuilt from the JSON
list of ``{"class_name": ..., "config": ...}`` entries that :func:`serialize` produces — no pickle.
Layers get automatic unique names as in Keras (``dense``, ``dense_1``, …), overridable by ``name=``.

Inputs are cast to the layer's dtype (float32 unless told), as Keras does: a float64 array fed to a
float32 model gives float32 outputs and never creates float64 parameters.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from .. import custom_objects as _custom
from ..nn.module import Module
from ..ops import astype
from ..tensor import Tensor

LAYERS: dict[str, type] = {}
_NAME_COUNTS: defaultdict = defaultdict(int)


def register(cls=None, *, aliases: tuple = ()):
    """Class decorator: add a layer class to ``LAYERS`` under its name (and ``aliases``)."""

    def deco(c):
        LAYERS[c.__name__] = c
        for alias in aliases:
            LAYERS[alias] = c
        return c

    return deco(cls) if cls is not None else deco


def get(name: str) -> type:
    """The layer class registered as ``name``; ValueError listing the known names otherwise."""
    cls = LAYERS.get(name) if isinstance(name, str) else None
    if cls is None:
        custom = _custom.lookup(name)
        cls = custom if isinstance(custom, type) and issubclass(custom, Module) else None
    if cls is None:
        raise ValueError(f"unknown layer class {name!r}; known: {sorted(LAYERS)}")
    return cls


def unique_name(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``, …"""
    n = _NAME_COUNTS[base]
    _NAME_COUNTS[base] += 1
    return base if n == 0 else f"{base}_{n}"


def reset_names() -> None:
    """Restart automatic naming (``dense``, ``dense_1``, …) from scratch."""
    _NAME_COUNTS.clear()


def serialize(layer: Layer) -> dict:
    """``{"class_name": ..., "config": ...}``: JSON-serialisable, enough to rebuild the layer."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(entry: dict) -> Layer:
    """Rebuild a layer from :func:`serialize`'s output."""
    if not isinstance(entry, dict) or "class_name" not in entry:
        raise ValueError(
            f"layer entry must be a dict with 'class_name' and 'config', got {entry!r}"
        )
    name = entry["class_name"]
    return get(name).from_config(_custom.check_config(entry.get("config", {}), f"layer {name!r}"))


def as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class Layer(Module):
    """Base of the built-in layers.

    Subclasses implement ``forward(x)`` and, when they own parameters, ``build(input_shape)``
    (``input_shape`` includes the batch axis); they extend ``get_config()`` with their constructor
    arguments. ``autocast = False`` leaves input dtypes alone (shape-only layers).
    """

    default_name = "layer"
    autocast = True

    def __init__(self, name: str | None = None, dtype="float32"):
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"{type(self).__name__}: name must be a string, got {type(name).__name__}"
            )
        super().__init__(name=name or unique_name(self.default_name))
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(
                f"{type(self).__name__} '{self.name}': dtype must be floating, got {dtype}"
            )
        self._regularizers: dict = {}
        self._constraints: dict = {}

    def __call__(self, x, *args, **kwargs):
        sym = x[0] if type(x) in (list, tuple) and x else x
        if getattr(sym, "_symbolic", False):  # functional API (chainrule.training.functional)
            return sym.call_layer(self, (x, *args), kwargs)
        x = as_tensor(x)
        if self.autocast and x.data.dtype != self.dtype and x.data.dtype.kind in "fiub":
            x = astype(x, self.dtype)
        return super().__call__(x, *args, **kwargs)

    def describe(self) -> str:
        """``Dense 'dense_1'``: how error messages name this layer."""
        return f"{type(self).__name__} '{self.name}'"

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        """Shape-preserving by default."""
        return tuple(input_shape)

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def extra_repr(self) -> str:
        return f"name={self.name!r}"
