"""Sequential: a trainable stack of layers (``compile`` / ``fit`` on ``chainrule.layers.Sequential``).

The layer chaining, ``add``, indexing and the layer-list config are those of
:class:`chainrule.layers.sequential.Sequential`; :class:`~chainrule.training.model.Model` adds the training API.
``Sequential([Input(shape=(784,)), Dense(64), ...])`` builds the layers at once (so ``summary``
shows shapes before any data); otherwise they build on the first batch.
"""

from __future__ import annotations

import numpy as np

from ..function import no_grad
from ..layers.sequential import Sequential as _Stack
from ..tensor import Tensor
from .functional import SymbolicTensor
from .model import Model


class Sequential(Model, _Stack):
    """``Sequential([Dense(512, activation="relu"), Dropout(0.2), Dense(10)])``."""

    def __init__(self, layers=None, name: str | None = None, dtype="float32"):
        layers = list(layers or [])
        self._declared_input: SymbolicTensor | None = None
        if layers and isinstance(layers[0], SymbolicTensor):
            self._declared_input = layers.pop(0)
        Model.__init__(self, name=name)  # runs layers.sequential.Sequential.__init__ via the MRO
        self.dtype = np.dtype(dtype)
        for layer in layers:
            self.add(layer)
        if self._declared_input is not None:
            self.build_from_shape(self._declared_input.shape)

    def call(self, x, training: bool = False):
        return _Stack.forward(self, x)

    def forward(self, x, training: bool | None = None):
        return _Stack.forward(self, x)

    def build_from_shape(self, input_shape: tuple) -> None:
        """Build every layer for samples of ``input_shape`` (batch axis first, may be None)."""
        shape = (1, *tuple(input_shape)[1:])
        dtype = self._declared_input.dtype if self._declared_input is not None else np.float32
        was = self.training
        self.eval()
        try:
            with no_grad():
                self(Tensor(np.zeros(shape, dtype=dtype)))
        finally:
            self.train(was)

    def get_config(self) -> dict:
        config = _Stack.get_config(self)
        if self._declared_input is not None:
            config["input_shape"] = list(self._declared_input.shape[1:])
        return config

    @classmethod
    def from_config(cls, config: dict) -> Sequential:
        from ..layers.base import deserialize
        from .functional import Input

        config = dict(config)
        layers = [deserialize(entry) for entry in config.pop("layers", [])]
        shape = config.pop("input_shape", None)
        if shape is not None:
            layers.insert(0, Input(tuple(shape)))
        return cls(layers, **config)
