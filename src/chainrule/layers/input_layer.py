"""InputLayer and Input: where a model's data enter (Keras 3's ``keras.layers.InputLayer``).

``Input(shape=(784,))`` returns a symbolic tensor for the functional API
(:func:`chainrule.training.functional.Input`). ``InputLayer(shape=(784,))`` is the layer form, for
the first entry of ``Sequential([...])``: the model builds at once from it.
"""

from __future__ import annotations

from ..training.functional import Input
from .base import Layer, register

__all__ = ["Input", "InputLayer"]


@register
class InputLayer(Layer):
    """``InputLayer(shape=(784,))`` as the first layer of a Sequential; identity when called."""

    default_name = "input_layer"
    autocast = False

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional: bool = False, name=None,
                 **kwargs):  # fmt: skip
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        super().__init__(name=name, **kwargs)
        self.output = Input(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                            ragged=ragged, batch_shape=batch_shape, name=self.name,
                            tensor=input_tensor, optional=optional)  # fmt: skip
        self.batch_shape = self.output.shape
        self.built = True

    def forward(self, inputs, **kwargs):
        return inputs

    def get_config(self) -> dict:
        return {"name": self.name, "batch_shape": list(self.batch_shape),
                "dtype": self.output.dtype.name}  # fmt: skip
