"""Residual: the skip connection y = x + f(x); f must keep the input's shape."""

from __future__ import annotations

from ..nn.module import Module
from .base import Layer, deserialize, register, serialize
from .sequential import Sequential


@register
class Residual(Layer):
    """``Residual(block)`` with ``block`` a layer (or a list of layers, wrapped in a Sequential).

    x: (N, ...) → x + block(x), same shape.
    """

    default_name = "residual"

    def __init__(
        self,
        layer,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(layer, (list, tuple)):
            layer = Sequential(list(layer))
        if not isinstance(layer, Module):
            raise TypeError(
                f"{self.describe()}: expects a Module or list of them, got {type(layer).__name__}"
            )
        self.layer = layer
        self.built = True

    def forward(self, x):
        fx = self.layer(x)
        if fx.shape != x.shape:
            raise ValueError(
                f"{self.describe()}: the wrapped block maps {x.shape} to {fx.shape}; a residual "
                "connection needs the shapes to match"
            )
        return x + fx

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict) -> Residual:
        config = dict(config)
        return cls(deserialize(config.pop("layer")), **config)
