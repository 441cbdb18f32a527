"""Activation layer: applies a named (or given) activation function elementwise; shape unchanged."""

from __future__ import annotations

from .. import activations
from .base import Layer, register


@register
class Activation(Layer):
    """``Activation("relu")``: x (any shape) → activation(x), same shape."""

    default_name = "activation"

    def __init__(self, activation, name: str | None = None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.activation = activations.get(activation)

    def forward(self, x):
        return self.activation(x)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}

    def extra_repr(self) -> str:
        return f"{self.name!r}, {getattr(self.activation, 'registered_name', self.activation)}"
