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

    def __init__(self, layers=None, trainable: bool = True, name: str | None = None,
                 dtype="float32"):  # fmt: skip
        from ..layers.input_layer import InputLayer

        layers = list(layers or [])
        self._declared_input: SymbolicTensor | None = None
        if layers and isinstance(layers[0], InputLayer):
            layers[0] = layers[0].output
        if layers and isinstance(layers[0], SymbolicTensor):
            self._declared_input = layers.pop(0)
        elif layers and getattr(layers[0], "_input_shape_arg", None) is not None:
            from .functional import Input  # Dense(64, input_shape=(784,)) as the first layer

            self._declared_input = Input(shape=layers[0]._input_shape_arg)
        Model.__init__(self, name=name, trainable=trainable)  # runs the stack's __init__ too
        self.dtype = np.dtype(dtype)
        self._adding_done = False  # build once, after the constructor's layers are in
        for layer in layers:
            self.add(layer)
        self._adding_done = True
        if self._declared_input is not None:
            self.build_from_shape(self._declared_input.shape)

    def call(self, x, training: bool = False):
        return _Stack.forward(self, x)

    def forward(self, x, training: bool | None = None):
        if training is not None and bool(training) != self.training:
            return Model.forward(self, x, training=training)  # switches the mode for this call
        return _Stack.forward(self, x)

    def add(self, layer) -> Sequential:
        """Append a layer; ``add(Input(shape=...))`` / ``add(InputLayer(...))`` first, or a first
        layer with ``input_shape=``, declares the input and builds the model as layers come."""
        from ..layers.input_layer import InputLayer

        if isinstance(layer, InputLayer):
            layer = layer.output
        if isinstance(layer, SymbolicTensor):
            if self.layers or self._declared_input is not None:
                raise ValueError(f"{self._label()}: an Input can only be the first entry")
            self._declared_input = layer
            return self
        if not self.layers and self._declared_input is None:
            shape = getattr(layer, "_input_shape_arg", None)
            if shape is not None:
                from .functional import Input

                self._declared_input = Input(shape=shape)
        _Stack.add(self, layer)
        if self._declared_input is not None and self.__dict__.get("_adding_done", True):
            self.build_from_shape(self._declared_input.shape)
        return self

    def build_from_shape(self, input_shape: tuple) -> None:
        """Build every layer for samples of ``input_shape`` (batch axis first, may be None)."""
        from .functional import PROBES, probe_shape

        dtype = self._declared_input.dtype if self._declared_input is not None else np.float32
        unknown = any(n is None for n in tuple(input_shape)[1:])
        was = self.training
        self.eval()
        try:
            shapes = []
            for i, pair in enumerate(PROBES if unknown else ((1, 1),)):
                for probe in pair[: 1 + unknown]:  # an unknown size (None): two lengths
                    try:
                        with no_grad():
                            self(Tensor(np.zeros(probe_shape(input_shape, probe), dtype=dtype)))
                    except (ValueError, TypeError) as exc:
                        if shapes:  # ran at one length but not another: sizes depend on it
                            raise type(exc)(f"{self.name}: the layers need a known size where "
                                            f"input shape {tuple(input_shape)} has None: {exc}"
                                            ) from exc  # fmt: skip
                        if not unknown or i == len(PROBES) - 1:
                            raise
                        break
                    shapes.append([getattr(la, "output_shape", None) for la in self.layers])
                if shapes:
                    break
            for layer, a, b in zip(self.layers, shapes[0], shapes[-1]):
                if a is not None and b is not None and len(a) == len(b):  # unknown sizes: None
                    merged = tuple(n if n == m else None for n, m in zip(a[1:], b[1:]))
                    layer.output_shape = (None, *merged)
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
