"""Merge layers: combine a list of tensors into one (Keras 3's ``keras.layers`` merging family).

Each takes a list (or tuple) of tensors; every tensor keeps its graph, so gradients reach every
branch. Shapes below include the batch axis N.

* ``Concatenate(axis=-1)``: (N, ..., a), (N, ..., b) → (N, ..., a + b).
* ``Add`` / ``Multiply`` / ``Average`` / ``Maximum`` / ``Minimum``: k ≥ 2 tensors of one shape
  (or broadcastable shapes) → that shape; ``Subtract``: exactly two, ``x0 − x1``.
* ``Dot(axes, normalize=False)``: two (N, d) (or (N, ..)) tensors → (N, 1): the per-sample dot
  product over ``axes`` (L2-normalised first when ``normalize``: cosine similarity).

The lowercase functions (``concatenate(inputs, axis=-1)``, ``add(inputs)``, …) build the layer and
call it on ``inputs`` in one go, as in Keras.
"""

from __future__ import annotations

from .. import ops
from .base import Layer, register


class _Merge(Layer):
    """Base: checks the list, then folds ``_merge(a, b)`` over it."""

    min_inputs = 2
    max_inputs: int | None = None

    def _check(self, inputs) -> list:
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(
                f"{self.describe()}: expects a list of tensors, got {type(inputs).__name__}"
            )
        k = len(inputs)
        if k < self.min_inputs or (self.max_inputs is not None and k > self.max_inputs):
            want = (
                f"exactly {self.max_inputs}"
                if self.max_inputs == self.min_inputs
                else f"at least {self.min_inputs}"
            )
            raise ValueError(f"{self.describe()}: expects {want} inputs, got {k}")
        return list(inputs)

    def build(self, input_shape) -> None:
        if not isinstance(input_shape, (list, tuple)) or not all(
            isinstance(s, tuple) for s in input_shape
        ):
            raise TypeError(f"{self.describe()}: expects a list of tensors, got {input_shape!r}")
        self._check_shapes([tuple(s) for s in input_shape])

    def _check_shapes(self, shapes: list[tuple]) -> None:
        rest = [s[1:] for s in shapes]
        try:
            _broadcast(rest)
        except ValueError:
            raise ValueError(
                f"{self.describe()}: inputs must have the same shape (or broadcast), got "
                f"{[(None, *r) for r in rest]}"
            ) from None

    def forward(self, inputs, **kwargs):
        xs = self._check(inputs)
        out = xs[0]
        for x in xs[1:]:
            out = self._merge(out, x)
        return self._finish(out, len(xs))

    def _finish(self, out, k: int):
        return out

    def compute_output_shape(self, input_shape):
        rest = _broadcast([tuple(s)[1:] for s in input_shape])
        return (input_shape[0][0], *rest)


def _broadcast(shapes: list[tuple]) -> tuple:
    import numpy as np

    return tuple(np.broadcast_shapes(*[tuple(1 if n is None else n for n in s) for s in shapes]))


@register
class Add(_Merge):
    """Sum of the inputs."""

    default_name = "add"

    def _merge(self, a, b):
        return ops.add(a, b)


@register
class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs)."""

    default_name = "subtract"
    max_inputs = 2

    def _merge(self, a, b):
        return ops.sub(a, b)


@register
class Multiply(_Merge):
    """Elementwise product of the inputs."""

    default_name = "multiply"

    def _merge(self, a, b):
        return ops.mul(a, b)


@register
class Average(_Merge):
    """Elementwise mean of the inputs."""

    default_name = "average"

    def _merge(self, a, b):
        return ops.add(a, b)

    def _finish(self, out, k: int):
        return ops.mul(out, 1.0 / k)


@register
class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    default_name = "maximum"

    def _merge(self, a, b):
        return ops.maximum(a, b)


@register
class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    default_name = "minimum"

    def _merge(self, a, b):
        return ops.minimum(a, b)


@register
class Concatenate(_Merge):
    """Join the inputs along ``axis`` (default −1, the feature axis); the other axes must agree."""

    default_name = "concatenate"
    min_inputs = 1

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"{self.describe()}: axis must be an int, got {axis!r}")
        self.axis = axis

    def _check_shapes(self, shapes: list[tuple]) -> None:
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(
                f"{self.describe()}: inputs must have the same rank, got shapes {shapes}"
            )
        rank = ranks.pop()
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"{self.describe()}: axis {self.axis} is out of range (or the batch axis) for "
                f"inputs of rank {rank}"
            )
        ax = self.axis % rank
        others = {tuple(n for i, n in enumerate(s) if i not in (0, ax)) for s in shapes}
        if len(others) != 1:
            raise ValueError(
                f"{self.describe()}: all axes but the concatenation axis ({self.axis}) must match, "
                f"got shapes {shapes}"
            )

    def forward(self, inputs, **kwargs):
        xs = self._check(inputs)
        self._check_shapes([tuple(x.shape) for x in xs])
        return xs[0] if len(xs) == 1 else ops.concatenate(xs, axis=self.axis)

    def compute_output_shape(self, input_shape):
        shapes = [list(s) for s in input_shape]
        ax = self.axis % len(shapes[0])
        out = list(shapes[0])
        sizes = [s[ax] for s in shapes]
        out[ax] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


@register
class Dot(_Merge):
    """Per-sample dot product of two inputs over ``axes`` → (N, 1) for (N, d) inputs.

    ``axes``: an int (the same axis of both) or a pair; negative values count from the end; axis
    0 (the batch) is not allowed. ``normalize=True`` L2-normalises both along ``axes`` first.
    """

    default_name = "dot"
    max_inputs = 2

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        pair = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
        if len(pair) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in pair):
            raise TypeError(f"{self.describe()}: axes must be an int or two ints, got {axes!r}")
        self.axes = axes if isinstance(axes, int) else list(pair)
        self._pair = pair
        self.normalize = bool(normalize)

    def _axes(self, shapes) -> tuple[int, int]:
        out = []
        for ax, s in zip(self._pair, shapes):
            a = ax % len(s)
            if a == 0:
                raise ValueError(f"{self.describe()}: cannot take the dot over the batch axis")
            out.append(a)
        if shapes[0][out[0]] != shapes[1][out[1]]:
            raise ValueError(
                f"{self.describe()}: sizes along axes {self._pair} differ: shapes {shapes}"
            )
        return out[0], out[1]

    def _check_shapes(self, shapes):
        if len(shapes) != 2 or any(len(s) != 2 for s in shapes):
            raise ValueError(
                f"{self.describe()}: supports two inputs of shape (N, d), got {shapes}"
            )
        self._axes(shapes)

    def forward(self, inputs, **kwargs):
        a, b = self._check(inputs)
        self._check_shapes([tuple(a.shape), tuple(b.shape)])
        if self.normalize:
            a = _l2_normalize(a, 1)
            b = _l2_normalize(b, 1)
        return ops.sum(ops.mul(a, b), axis=1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _l2_normalize(x, axis: int):
    sq = ops.sum(ops.mul(x, x), axis=axis, keepdims=True)
    return ops.div(x, ops.sqrt(ops.maximum(sq, 1e-12)))


def concatenate(inputs, axis: int = -1, **kwargs):
    """``Concatenate(axis=axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes=-1, normalize: bool = False, **kwargs):
    """``Dot(axes=axes, normalize=normalize, **kwargs)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
