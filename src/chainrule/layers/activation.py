"""Activation layer: applies a named (or given) activation function elementwise; shape unchanged."""

from __future__ import annotations

from .. import activations, ops
from .base import Layer, register


@register
class Activation(Layer):
    """``Activation("relu")``: x (any shape) → activation(x), same shape."""

    default_name = "activation"
    supports_masking = True

    def __init__(
        self,
        activation,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.activation = activations.get(activation)

    def forward(self, x):
        return self.activation(x)

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations.serialize(self.activation)}

    def extra_repr(self) -> str:
        return f"{self.name!r}, {getattr(self.activation, 'registered_name', self.activation)}"


@register
class ReLU(Layer):
    """Keras's ``ReLU(max_value=None, negative_slope=0.0, threshold=0.0)``: x (any shape) →
    ``x`` for ``threshold <= x < max_value``, ``max_value`` above, ``negative_slope·(x −
    threshold)`` below ``threshold``."""

    default_name = "re_lu"

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"{self.describe()}: max_value must be >= 0, got {max_value}")
        if negative_slope < 0:
            raise ValueError(
                f"{self.describe()}: negative_slope must be >= 0, got {negative_slope}"
            )
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def forward(self, x):
        if self.threshold == 0.0 and self.max_value is None:
            if self.negative_slope == 0.0:
                return ops.relu(x)
            return ops.leaky_relu(x, self.negative_slope)
        below = ops.mul(ops.sub(x, self.threshold), self.negative_slope)
        out = ops.where(x.data >= self.threshold, x, below)
        if self.max_value is not None:
            out = ops.minimum(out, self.max_value)
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}  # fmt: skip


@register
class LeakyReLU(Layer):
    """``LeakyReLU(negative_slope=0.3)`` (Keras's default slope; PyTorch's is 0.01)."""

    default_name = "leaky_re_lu"

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        if "alpha" in kwargs:  # the Keras 2 name, still accepted by Keras 3
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                f"{self.describe()}: negative_slope must be >= 0, got {negative_slope}"
            )
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        return ops.leaky_relu(x, self.negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


@register
class Softmax(Layer):
    """``Softmax(axis=-1)``: x → exp(x) / Σ exp(x) along ``axis``."""

    default_name = "softmax"

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def forward(self, x, mask=None):
        return ops.softmax(x, axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


@register
class ELU(Layer):
    """``ELU(alpha=1.0)``: x for x > 0, alpha·(exp(x) − 1) otherwise."""

    default_name = "elu"

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def forward(self, x):
        return ops.elu(x, self.alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


@register
class PReLU(Layer):
    """Parametric ReLU (Keras 3): ``x`` where positive, ``alpha·x`` elsewhere, with ``alpha``
    learned per element of the non-batch shape — shared (size 1) along each axis listed in
    ``shared_axes`` (e.g. ``[1, 2]`` for one slope per channel of (N, H, W, C) images).
    ``alpha`` starts at zeros (Keras's default; PyTorch's PReLU starts at 0.25)."""

    default_name = "p_re_lu"

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):  # fmt: skip
        from .. import constraints, initializers, regularizers

        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self._regularizers = {"alpha": regularizers.get(alpha_regularizer)}
        self._constraints = {"alpha": constraints.get(alpha_constraint)}
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes)
            if not all(isinstance(a, int) and not isinstance(a, bool) and a >= 1 for a in axes):
                raise ValueError(
                    f"{self.describe()}: shared_axes must be non-batch axes (ints >= 1), got "
                    f"{shared_axes!r}"
                )
            self.shared_axes = axes
        self.alpha = None

    def build(self, input_shape: tuple) -> None:
        from ..nn.parameter import Parameter

        if input_shape is None or len(input_shape) < 2:
            raise ValueError(
                f"{self.describe()}: needs a batch axis, got input shape {input_shape}"
            )
        shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a >= len(input_shape):
                raise ValueError(
                    f"{self.describe()}: shared axis {a} is out of range for input shape "
                    f"{tuple(input_shape)}"
                )
            shape[a - 1] = 1
        if any(n is None for n in shape):
            raise ValueError(
                f"{self.describe()}: unknown size in input shape {tuple(input_shape)}; share "
                "that axis (shared_axes) or give the size"
            )
        self.alpha = Parameter(self.alpha_initializer(tuple(int(n) for n in shape), self.dtype))

    def forward(self, x):
        if tuple(x.shape[1:]) != tuple(
            n if a + 1 not in (self.shared_axes or ()) else x.shape[a + 1]
            for a, n in enumerate(self.alpha.shape)
        ):
            raise ValueError(
                f"{self.describe()}: input shape {x.shape} does not match the slopes' shape "
                f"{self.alpha.shape} it was built for"
            )
        return ops.where(x.data > 0, x, self.alpha * x)

    def get_config(self) -> dict:
        from .. import constraints, initializers, regularizers

        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self._regularizers["alpha"]),
                "alpha_constraint": constraints.serialize(self._constraints["alpha"]),
                "shared_axes": self.shared_axes}  # fmt: skip
