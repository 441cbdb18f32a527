"""Identity and Lambda layers.

``Lambda(function, output_shape=None, arguments=None)`` wraps any function of tensors (a list of
tensors for several inputs). A saved model stores only the function's *name*; loading it resolves
that name through ``custom_objects=`` (a file never carries code), so anonymous ``lambda``
functions cannot be saved: give the function a name, or write a Layer subclass.
"""

from __future__ import annotations

import inspect

from .base import Layer, register


@register
class Identity(Layer):
    """Returns its input unchanged (any shape, or a list of tensors)."""

    default_name = "identity"
    autocast = False

    def forward(self, inputs, **kwargs):
        return inputs


@register
class Lambda(Layer):
    """``Lambda(lambda x: x ** 2)``: calls ``function(inputs, **arguments)``.

    ``output_shape`` (without the batch axis) is optional: shapes are otherwise found by running
    the function. The function's own ``training``/``mask`` parameters receive those arguments when
    it declares them.
    """

    default_name = "lambda"
    autocast = False

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"{self.describe()}: function must be callable, got {type(function).__name__}"
            )
        self.function = function
        self.output_shape_arg = None if output_shape is None else tuple(output_shape)
        self.arguments = dict(arguments or {})
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_takes = {k for k in ("training", "mask") if k in params}

    def forward(self, inputs, training=None, mask=None):
        kwargs = dict(self.arguments)
        if "training" in self._fn_takes:
            kwargs["training"] = self.training if training is None else training
        if "mask" in self._fn_takes:
            kwargs["mask"] = mask
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape):
        if self.output_shape_arg is not None:
            return (input_shape[0], *self.output_shape_arg)
        return super().compute_output_shape(input_shape)

    def get_config(self) -> dict:
        name = getattr(self.function, "__name__", "")
        if not name.isidentifier():
            raise ValueError(
                f"{self.describe()}: cannot save an anonymous function ({name or 'no name'}): a "
                "model file stores only names. Define the function with `def`, save, and pass "
                "it to load_model(..., custom_objects={name: function}); or write a Layer subclass"
            )
        return {
            **super().get_config(),
            "function": name,
            "output_shape": None if self.output_shape_arg is None else list(self.output_shape_arg),
            "arguments": self.arguments,
        }

    @classmethod
    def from_config(cls, config: dict):
        from ..saving import resolve_custom

        config = dict(config)
        fn = config.pop("function")
        if isinstance(fn, str):
            fn = resolve_custom(fn, "Lambda function")
        return cls(fn, **config)
