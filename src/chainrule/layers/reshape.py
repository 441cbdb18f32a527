"""Shape-only layers: Flatten ((N, d1, d2, …) → (N, d1·d2·…)) and Reshape ((N, …) → (N, *target))."""

from __future__ import annotations

import math

from .base import Layer, register


@register
class Flatten(Layer):
    """(N, d1, ..., dk) → (N, d1·…·dk); a 1-D input (N,) becomes (N, 1).

    ``data_format="channels_first"`` (Keras's argument) flattens (N, C, ...) in channels-last
    order, so weights stay valid when a model switches layouts.
    """

    default_name = "flatten"
    autocast = False

    def __init__(self, data_format: str | None = None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                f"{self.describe()}: data_format must be 'channels_last' or 'channels_first', "
                f"got {data_format!r}"
            )
        self.data_format = data_format

    def forward(self, x):
        if x.ndim == 0:
            raise ValueError(f"{self.describe()}: needs a batch axis, got a 0-d tensor")
        if self.data_format == "channels_first" and x.ndim > 2:
            x = x.transpose((0, *range(2, x.ndim), 1))
        return x.reshape(x.shape[0], -1)

    def get_config(self) -> dict:
        config = super().get_config()
        if self.data_format is not None:
            config["data_format"] = self.data_format
        return config

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))


@register
class Reshape(Layer):
    """(N, ...) → (N, *target_shape); one entry of ``target_shape`` may be −1 (inferred)."""

    default_name = "reshape"
    autocast = False

    def __init__(
        self,
        target_shape,
        name: str | None = None,
        dtype="float32",
        **kwargs,
    ):
        super().__init__(name=name, dtype=dtype, **kwargs)
        target = tuple(int(n) for n in target_shape)
        if sum(n == -1 for n in target) > 1 or any(n < -1 or n == 0 for n in target):
            raise ValueError(
                f"{self.describe()}: target_shape needs positive sizes and at most one -1, got {target}"
            )
        self.target_shape = target

    def _resolve(self, input_shape: tuple) -> tuple:
        size = math.prod(input_shape[1:])
        known = math.prod(n for n in self.target_shape if n != -1)
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(
                    f"{self.describe()}: cannot reshape {input_shape[1:]} ({size} values per sample) "
                    f"to {self.target_shape}"
                )
            return tuple(size // known if n == -1 else n for n in self.target_shape)
        if size != known:
            raise ValueError(
                f"{self.describe()}: cannot reshape {input_shape[1:]} ({size} values per sample) "
                f"to {self.target_shape} ({known} values)"
            )
        return self.target_shape

    def forward(self, x):
        if x.ndim == 0:
            raise ValueError(f"{self.describe()}: needs a batch axis, got a 0-d tensor")
        return x.reshape((x.shape[0],) + self._resolve(x.shape))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0],) + self._resolve(input_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}

    def extra_repr(self) -> str:
        return f"{self.name!r}, target_shape={self.target_shape}"


@register
class Permute(Layer):
    """Reorders the non-batch axes: ``dims`` is a permutation of 1..rank−1 (Keras indexes from
    1, the batch axis stays first). ``Permute((2, 1))``: (N, T, F) → (N, F, T)."""

    default_name = "permute"
    autocast = False

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)) or not all(
            isinstance(d, int) and not isinstance(d, bool) for d in dims
        ):
            raise ValueError(
                f"{self.describe()}: dims must be a permutation of 1..{len(dims)}, got {dims}"
            )
        self.dims = dims

    def forward(self, x):
        if x.ndim != len(self.dims) + 1:
            raise ValueError(
                f"{self.describe()}: dims {self.dims} need inputs of rank {len(self.dims) + 1}, "
                f"got shape {x.shape}"
            )
        return x.transpose((0, *self.dims))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": list(self.dims)}


@register
class RepeatVector(Layer):
    """(N, F) → (N, n, F): each sample's vector repeated ``n`` times (e.g. to feed a decoder)."""

    default_name = "repeat_vector"
    autocast = False

    def __init__(self, n: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{self.describe()}: n must be a positive int, got {n!r}")
        self.n = n

    def forward(self, x):
        from .. import ops

        if x.ndim != 2:
            raise ValueError(f"{self.describe()}: expects input (N, F), got shape {x.shape}")
        return ops.broadcast_to(ops.expand_dims(x, 1), (x.shape[0], self.n, x.shape[1]))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
