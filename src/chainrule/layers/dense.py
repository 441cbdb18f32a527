"""Dense: ``y = activation(x @ kernel + bias)``.

x: (N, ..., in_features) → y: (N, ..., units). ``kernel`` is (in_features, units) (Keras layout),
``bias`` (units,). Builds lazily from the first input unless ``input_dim`` / ``in_features`` is
given. Defaults as Keras: Glorot-uniform kernel, zero bias.
"""

from __future__ import annotations

from .. import activations, constraints, initializers, regularizers
from ..nn.parameter import Parameter
from ..ops import linear
from .base import Layer, register


@register
class Dense(Layer):
    """A fully connected layer (see the module docstring for shapes)."""

    supports_masking = True  # passes an incoming sequence mask on (Keras)
    default_name = "dense"

    def __init__(
        self,
        units: int,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        input_dim: int | None = None,
        in_features: int | None = None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"{self.describe()}: units must be a positive int, got {units!r}")
        if input_dim is not None and in_features is not None and input_dim != in_features:
            raise ValueError(
                f"{self.describe()}: input_dim={input_dim} and in_features={in_features} disagree"
            )
        self.units = units
        self._kernel_and_bias_options(activation, use_bias, kernel_initializer, bias_initializer,
                                      kernel_regularizer, bias_regularizer, kernel_constraint,
                                      bias_constraint)  # fmt: skip
        self.in_features = None
        dim = input_dim if input_dim is not None else in_features
        if dim is not None:
            if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
                raise ValueError(
                    f"{self.describe()}: input_dim must be a positive int, got {dim!r}"
                )
            self.build((None, dim))
            self.built = True

    def build(self, input_shape: tuple) -> None:
        if input_shape is None or len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f"{self.describe()}: cannot build from input shape {input_shape}")
        self.in_features = int(input_shape[-1])
        shape = (self.in_features, self.units)
        self.kernel = Parameter(self.kernel_initializer(shape, self.dtype))
        if self.use_bias:
            self.bias = Parameter(self.bias_initializer((self.units,), self.dtype))

    def forward(self, x):
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            got = x.shape[-1] if x.ndim else "a 0-d tensor"
            raise ValueError(
                f"{self.describe()} expects {self.in_features} input features, got {got} "
                f"(input shape {x.shape})"
            )
        if self.activation is activations.relu:  # fused: one node, ReLU in place on the product
            return linear(x, self.kernel, self.bias, activation="relu")
        return self.activation(linear(x, self.kernel, self.bias))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._regularizers["kernel"]),
            "bias_regularizer": regularizers.serialize(self._regularizers["bias"]),
            "kernel_constraint": constraints.serialize(self._constraints["kernel"]),
            "bias_constraint": constraints.serialize(self._constraints["bias"]),
            "input_dim": self.in_features,
        }

    def extra_repr(self) -> str:
        act = getattr(self.activation, "registered_name", None) or repr(self.activation)
        return f"{self.name!r}, in={self.in_features}, units={self.units}, activation={act}"
