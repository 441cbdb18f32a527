"""BatchNormalization and LayerNormalization layers over the fused ops in :mod:`chainrule.ops.normalization`.

BatchNormalization: x (N, ..., C) with the features on ``axis`` (default −1,
channels last; use ``axis=1`` for (N, C, L) as in PyTorch). Training normalises with the batch
statistics and updates ``running_mean`` / ``running_var``; evaluation uses the running ones.
Momentum follows Keras: ``running = momentum · running + (1 − momentum) · batch``, so the default
0.99 equals PyTorch's ``momentum=0.01``. As in Keras 3, the moving variance averages the biased
batch variance (the one the batch is normalised with; PyTorch's BatchNorm — ``nn.BatchNorm2d`` here —
averages the unbiased one). Defaults (momentum 0.99, epsilon 1e-3) are Keras's.

LayerNormalization: normalises each sample over its last axis (or the trailing
``normalized_shape`` axes), with learned γ, β of that shape. Default epsilon 1e-3 (Keras's;
PyTorch's ``nn.LayerNorm`` uses 1e-5).
"""

from __future__ import annotations

from .. import constraints, initializers, regularizers
from ..nn.parameter import Parameter
from ..ops.group_norm import group_norm
from ..ops.normalization import batch_norm, layer_norm
from .base import Layer, register


def _affine_options(layer: Layer, epsilon, center, scale, beta_initializer, gamma_initializer,
                    beta_regularizer, gamma_regularizer, beta_constraint=None,
                    gamma_constraint=None) -> None:  # fmt: skip
    """The options every normalisation layer shares: a positive ``epsilon`` and the learned
    scale γ (``scale``) and shift β (``center``) with their initializers, regularizers and
    constraints."""
    if not epsilon > 0:
        raise ValueError(f"{layer.describe()}: epsilon must be positive, got {epsilon}")
    layer.epsilon, layer.center, layer.scale = float(epsilon), bool(center), bool(scale)
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer._regularizers = {
        "gamma": regularizers.get(gamma_regularizer),
        "beta": regularizers.get(beta_regularizer),
    }
    layer._constraints = {
        "gamma": constraints.get(gamma_constraint),
        "beta": constraints.get(beta_constraint),
    }
    layer.gamma = layer.beta = None


def _create_affine(layer: Layer, shape: tuple) -> None:
    """γ and β of ``shape`` as the layer's options say."""
    if layer.scale:
        layer.gamma = Parameter(layer.gamma_initializer(shape, layer.dtype))
    if layer.center:
        layer.beta = Parameter(layer.beta_initializer(shape, layer.dtype))


def _affine_config(layer: Layer) -> dict:
    return {
        "epsilon": layer.epsilon,
        "center": layer.center,
        "scale": layer.scale,
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        "beta_regularizer": regularizers.serialize(layer._regularizers["beta"]),
        "gamma_regularizer": regularizers.serialize(layer._regularizers["gamma"]),
    }


@register(aliases=("BatchNorm",))  # "BatchNorm": files written before the rename
class BatchNormalization(Layer):
    """Batch normalisation (see the module docstring)."""

    default_name = "batch_normalization"
    _buffers = ("running_mean", "running_var")
    #: Keras 3 averages the biased batch variance into the moving variance (PyTorch: unbiased).
    unbiased_running_var = False

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        num_features: int | None = None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if not 0 <= momentum <= 1:
            raise ValueError(f"{self.describe()}: momentum must be in [0, 1], got {momentum}")
        _affine_options(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)  # fmt: skip
        self.axis, self.momentum = int(axis), float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.num_features = None
        self.running_mean = self.running_var = None
        if num_features is not None:
            self._create(int(num_features))
            self.built = True

    def _create(self, c: int) -> None:
        self.num_features = c
        _create_affine(self, (c,))
        self.running_mean = self.moving_mean_initializer((c,), self.dtype)
        self.running_var = self.moving_variance_initializer((c,), self.dtype)

    def build(self, input_shape: tuple) -> None:
        if (
            input_shape is None
            or len(input_shape) < 2
            or not -len(input_shape) <= self.axis < len(input_shape)
        ):
            raise ValueError(
                f"{self.describe()}: needs an input with a batch axis and feature axis {self.axis}, "
                f"got shape {input_shape}"
            )
        self._create(int(input_shape[self.axis]))

    def forward(self, x):
        if (
            x.ndim < 2
            or not -x.ndim <= self.axis < x.ndim
            or x.shape[self.axis] != self.num_features
        ):
            raise ValueError(
                f"{self.describe()} expects {self.num_features} features on axis {self.axis}, "
                f"got input shape {x.shape}"
            )
        return batch_norm(
            x, self.gamma, self.beta, self.running_mean, self.running_var, training=self.training,
            momentum=self.momentum, eps=self.epsilon, axis=self.axis,
            unbiased_running_var=self.unbiased_running_var,
        )  # fmt: skip

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            **_affine_config(self),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "num_features": self.num_features,
        }

    def extra_repr(self) -> str:
        return f"{self.name!r}, features={self.num_features}, momentum={self.momentum}, eps={self.epsilon}"


@register(aliases=("LayerNorm",))  # "LayerNorm": files written before the rename
class LayerNormalization(Layer):
    """Layer normalisation over ``axis`` (Keras: the last axis by default; a list of trailing axes
    normalises over them jointly). x: (N, ..., *normalized) → same shape; ``gamma``/``beta`` have
    the shape of the normalised axes.

    ``normalized_shape`` (chainrule's extra, keyword only) builds the layer at once for inputs
    ending with that shape.
    """

    default_name = "layer_normalization"
    supports_masking = True

    def __init__(
        self,
        axis=-1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        *,
        normalized_shape=None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        _affine_options(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)  # fmt: skip
        axes = [axis] if isinstance(axis, int) else list(axis)
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise TypeError(
                f"{self.describe()}: axis must be an int or a list of ints, got {axis!r}"
            )
        self.axis = axis if isinstance(axis, int) else list(axis)
        self.normalized_shape = None
        if normalized_shape is not None:
            shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
            self._create(tuple(int(n) for n in shape))
            self.built = True

    def _create(self, shape: tuple) -> None:
        self.normalized_shape = shape
        _create_affine(self, shape)

    def build(self, input_shape: tuple) -> None:
        if input_shape is None or len(input_shape) < 2:
            raise ValueError(f"{self.describe()}: cannot build from input shape {input_shape}")
        ndim = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else list(self.axis)
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(
                f"{self.describe()}: axis {self.axis} is out of range for inputs of rank {ndim}"
            )
        pos = sorted({a % ndim for a in axes})
        if 0 in pos or pos != list(range(ndim - len(pos), ndim)):
            raise ValueError(
                f"{self.describe()}: axis {self.axis} must be the last axis or a run of trailing "
                f"axes (not the batch axis) for inputs of rank {ndim}"
            )
        self._create(tuple(int(input_shape[a]) for a in pos))

    def forward(self, x):
        k = len(self.normalized_shape)
        if tuple(x.shape[x.ndim - k :]) != self.normalized_shape or x.ndim < k:
            raise ValueError(
                f"{self.describe()} expects inputs ending with shape {self.normalized_shape}, "
                f"got {x.shape}"
            )
        return layer_norm(x, self.normalized_shape, self.gamma, self.beta, self.epsilon)

    def get_config(self) -> dict:
        shape = None if self.normalized_shape is None else list(self.normalized_shape)
        return {
            **super().get_config(),
            "axis": self.axis,
            "normalized_shape": shape,
            **_affine_config(self),
        }

    def extra_repr(self) -> str:
        return f"{self.name!r}, shape={self.normalized_shape}, eps={self.epsilon}"


@register
class GroupNormalization(Layer):
    """Group normalisation (Keras 3): the channels on ``axis`` (default −1, channels last) split
    into ``groups`` groups, each normalised per sample over its channels and all other non-batch
    axes; learned per-channel ``gamma``/``beta``. The same computation in training and inference.
    x: (N, ..., C) → same shape; ``groups`` must divide C."""

    default_name = "group_normalization"

    def __init__(
        self,
        groups: int = 32,
        axis: int = -1,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"{self.describe()}: groups must be a positive int, got {groups!r}")
        _affine_options(self, epsilon, center, scale, beta_initializer, gamma_initializer,
                        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint)  # fmt: skip
        self.groups, self.axis = groups, int(axis)
        self.channels = None

    def build(self, input_shape: tuple) -> None:
        if input_shape is None or len(input_shape) < 2:
            raise ValueError(f"{self.describe()}: cannot build from input shape {input_shape}")
        if (
            not -len(input_shape) <= self.axis < len(input_shape)
            or self.axis % len(input_shape) == 0
        ):
            raise ValueError(
                f"{self.describe()}: axis {self.axis} is not a channel axis of inputs of rank "
                f"{len(input_shape)}"
            )
        c = int(input_shape[self.axis])
        if c % self.groups:
            raise ValueError(
                f"{self.describe()}: {c} channels (axis {self.axis} of input shape "
                f"{tuple(input_shape)}) are not divisible into {self.groups} groups"
            )
        self.channels = c
        _create_affine(self, (c,))

    def forward(self, x):
        if x.ndim < 2 or not -x.ndim <= self.axis < x.ndim or x.shape[self.axis] != self.channels:
            raise ValueError(
                f"{self.describe()} expects {self.channels} channels on axis {self.axis}, got "
                f"input shape {x.shape}"
            )
        return group_norm(x, self.groups, self.gamma, self.beta, self.epsilon, axis=self.axis,
                          op=self.describe())  # fmt: skip

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            **_affine_config(self),
        }


@register
class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis`` (an int or a list): ``x / max(‖x‖,
    1e-12)`` as Keras's ``ops.normalize``, computed as ``x / sqrt(max(Σx², 1e-24))`` so that an
    all-zero sample gets a zero (not NaN) gradient. Shape unchanged."""

    default_name = "unit_normalization"

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = [axis] if isinstance(axis, int) else list(axis)
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise TypeError(
                f"{self.describe()}: axis must be an int or a list of ints, got {axis!r}"
            )
        self.axis = axis if isinstance(axis, int) else axes

    def forward(self, x):
        from .. import ops

        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if any(not -x.ndim <= a < x.ndim for a in axes):
            raise ValueError(f"{self.describe()}: axis {self.axis} is out of range for {x.shape}")
        square_sum = ops.sum(x * x, axis=tuple(a % x.ndim for a in axes), keepdims=True)
        return x / ops.sqrt(ops.maximum(square_sum, 1e-24))

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
