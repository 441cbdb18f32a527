"""Sequential: a stack of layers applied in order; x → layers[-1](… layers[0](x))."""

from __future__ import annotations

from collections.abc import Iterator

from ..nn.module import Module
from .base import Layer, deserialize, register, serialize


@register
class Sequential(Layer):
    """``Sequential([Dense(64, activation="relu"), Dense(10)])``; shapes follow the layers.

    Its config holds the layers' ``{"class_name": ..., "config": ...}`` list, so a model rebuilds
    from JSON. Parameters are named ``layers.<i>.<param>`` in ``state_dict()``.
    """

    default_name = "sequential"
    autocast = False

    def __init__(
        self,
        layers=None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.layers: list = []
        for layer in layers or ():
            self.add(layer)
        self.built = True  # each layer builds itself on first use

    def add(self, layer: Module) -> Sequential:
        if not isinstance(layer, Module):
            raise TypeError(f"{self.describe()}: can only add Modules, got {type(layer).__name__}")
        self.layers.append(layer)
        return self

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def __getitem__(self, i):
        if isinstance(i, slice):
            return Sequential(self.layers[i])
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def get_config(self) -> dict:
        return {**super().get_config(), "layers": [serialize(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict) -> Sequential:
        config = dict(config)
        layers = [deserialize(entry) for entry in config.pop("layers", [])]
        return cls(layers, **config)
