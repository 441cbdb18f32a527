"""Losses, as functions returning per-sample values and as classes that weight and reduce them.

Shapes: ``y_pred`` is (N, ...) and ``y_true`` has the same shape (integer labels (N,) for the sparse
loss). The functions (``mean_squared_error(y_true, y_pred)``, …) return one loss per sample: the
mean over the last axis for elementwise losses, the sum over the class axis (last) for the
cross-entropies; a 1-D ``y_pred`` is one value per sample already.

The classes are called as ``loss(y_true, y_pred, sample_weight=None)`` and apply the reduction:
``"mean"`` (Keras's "sum_over_batch_size": Σ wᵢ·lᵢ / number of per-sample values), ``"sum"`` or
``"none"`` (the weighted per-sample values). ``y_true`` and ``sample_weight`` may be NumPy arrays.
``loss.kind`` tells the training API which accuracy fits ("regression", "binary", "categorical",
"sparse_categorical"); binary losses also carry ``threshold`` (the decision boundary of y_pred).

Losses from logits are fused and stable (:mod:`chainrule.ops.loss`); from probabilities,
predictions are clipped to [1e-7, 1 − 1e-7] as Keras does, except that probabilities produced by a
softmax over the last axis send the (sparse) categorical cross-entropy to its from-logits form, as
TF-Keras's backend does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import custom_objects as _custom
from . import ops
from .ops.loss import (
    SparseSoftmaxCrossEntropy,
    binary_cross_entropy_with_logits,
    check_labels,
    softmax_cross_entropy,
)
from .tensor import Tensor

EPSILON = 1e-7
REDUCTIONS = ("mean", "sum", "none")
#: Keras 3's reduction names → ours ("sum_over_batch_size" is Keras's default: Σ w·l / N).
_KERAS_REDUCTIONS = {"sum_over_batch_size": "mean", "mean": "mean", "sum": "sum", "none": "none",
                     None: "none", "mean_with_sample_weight": "mean"}  # fmt: skip


# ------------------------------------------------------------------ input handling
def _pred(y_pred, name: str) -> Tensor:
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(y_pred)
    if y_pred.data.dtype.kind != "f":
        raise TypeError(f"{name}: y_pred must be floating point, got dtype {y_pred.dtype}")
    return y_pred


def _logits_behind(y_pred) -> Tensor | None:
    """The logits of a softmax (over the last axis) that produced ``y_pred``, else None.

    A cross-entropy "from probabilities" then computes from these logits, exactly and stably, as
    TF-Keras does for a softmax output: clipping probabilities to [1e-7, 1 − 1e-7] would give no
    gradient at all to a sample whose true class has fallen below 1e-7.
    """
    source = getattr(y_pred, "softmax_logits", None)
    if source is None:
        return None
    logits, axis = source
    return logits if axis in (-1, y_pred.ndim - 1) else None


def _target(y_true, y_pred: Tensor, name: str) -> Tensor:
    """y_true as a Tensor of y_pred's dtype and shape ((N,) is accepted for (N, 1) predictions)."""
    data = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    shape = y_pred.shape
    if data.shape != shape:
        if data.ndim == 1 and shape == (data.shape[0], 1):
            data = data.reshape(shape)
        else:
            raise ValueError(f"{name}: y_true has shape {data.shape} but y_pred has shape {shape}")
    if isinstance(y_true, Tensor) and y_true.requires_grad:
        return y_true.reshape(shape).astype(y_pred.dtype)
    return Tensor._wrap(data.astype(y_pred.data.dtype, copy=False))


def _per_sample(elementwise: Tensor) -> Tensor:
    return elementwise.mean(axis=-1) if elementwise.ndim >= 2 else elementwise


def _sparse_labels(y_true, y_pred: Tensor, name: str) -> np.ndarray:
    data = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if y_pred.ndim < 1:
        raise ValueError(f"{name}: y_pred needs a class axis, got shape {y_pred.shape}")
    expected = y_pred.shape[:-1]
    if data.shape != expected and data.shape == expected + (1,):
        data = data.reshape(expected)
    if data.shape != expected:
        raise ValueError(
            f"{name}: y_pred {y_pred.shape} needs integer labels of shape {expected}, got {data.shape}"
        )
    return check_labels(data, y_pred.shape[-1], name)


# ------------------------------------------------------------------ per-sample loss functions
def mean_squared_error(y_true, y_pred) -> Tensor:
    """mean((y_pred − y_true)², axis=-1)."""
    p = _pred(y_pred, "mean_squared_error")
    d = p - _target(y_true, p, "mean_squared_error")
    return _per_sample(d * d)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """mean(|y_pred − y_true|, axis=-1)."""
    p = _pred(y_pred, "mean_absolute_error")
    return _per_sample((p - _target(y_true, p, "mean_absolute_error")).abs())


def huber(y_true, y_pred, delta: float = 1.0) -> Tensor:
    """mean over the last axis of ½d² where |d| ≤ δ, else δ(|d| − ½δ); d = y_pred − y_true."""
    p = _pred(y_pred, "huber")
    a = (p - _target(y_true, p, "huber")).abs()
    quad = ops.minimum(a, delta)  # |d| up to δ
    return _per_sample(quad * quad * 0.5 + (a - quad) * delta)


def _check_axis(axis, name: str) -> None:
    if axis != -1:
        raise ValueError(
            f"{name}: only axis=-1 (classes on the last axis) is supported, got {axis}"
        )


def _smooth(y_true, label_smoothing: float, toward: float, name: str):
    """Targets pulled toward ``toward``: y·(1 − s) + s·toward (Keras's label smoothing)."""
    s = float(label_smoothing)
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if s == 0.0:
        return y_true
    data = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true, dtype=np.float32)
    return data * (1.0 - s) + s * toward


def binary_crossentropy(y_true, y_pred, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: int = -1) -> Tensor:  # fmt: skip
    """Binary cross-entropy, mean over the last axis; y_true in [0, 1]. ``label_smoothing`` s
    replaces the targets by y·(1 − s) + s/2."""
    _check_axis(axis, "binary_crossentropy")
    y_true = _smooth(y_true, label_smoothing, 0.5, "binary_crossentropy")
    p = _pred(y_pred, "binary_crossentropy")
    t = _target(y_true, p, "binary_crossentropy")
    outside = (t.data < 0) | (t.data > 1)
    if outside.any():
        raise ValueError(
            f"binary_crossentropy: y_true must lie in [0, 1], got {float(t.data[outside].flat[0])}"
        )
    if from_logits:
        return _per_sample(binary_cross_entropy_with_logits(p, t))
    p = ops.clip(p, EPSILON, 1 - EPSILON)
    return _per_sample(-(t * p.log() + (1 - t) * (1 - p).log()))


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:  # fmt: skip
    """−Σ y_true · log softmax(y_pred) over the class (last) axis; y_true one-hot or soft.
    ``label_smoothing`` s replaces the targets by y·(1 − s) + s/C for C classes."""
    _check_axis(axis, "categorical_crossentropy")
    p = _pred(y_pred, "categorical_crossentropy")
    if label_smoothing and p.ndim:
        y_true = _smooth(y_true, label_smoothing, 1.0 / p.shape[-1], "categorical_crossentropy")
    t = _target(y_true, p, "categorical_crossentropy")
    if not from_logits and (logits := _logits_behind(p)) is not None:
        p, from_logits = logits, True
    if from_logits:
        return softmax_cross_entropy(p, t, axis=-1)
    p = ops.clip(p / p.sum(axis=-1, keepdims=True), EPSILON, 1 - EPSILON)
    return -(t * p.log()).sum(axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Tensor:  # fmt: skip
    """−log p[label] with integer labels in [0, C); y_pred (N, C) logits or probabilities.
    Samples whose label is ``ignore_class`` get a loss of 0 (and no gradient)."""
    name = "sparse_categorical_crossentropy"
    _check_axis(axis, name)
    p = _pred(y_pred, name)
    if ignore_class is not None:
        data = np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)
        keep = data != ignore_class
        values = sparse_categorical_crossentropy(np.where(keep, data, 0), p, from_logits)
        return values * Tensor._wrap(keep.reshape(values.shape).astype(values.data.dtype))
    labels = _sparse_labels(y_true, p, name)
    if not from_logits and (logits := _logits_behind(p)) is not None:
        p, from_logits = logits, True
    if from_logits:
        return SparseSoftmaxCrossEntropy.apply(p, labels=labels, axis=p.ndim - 1)
    p = ops.clip(p / p.sum(axis=-1, keepdims=True), EPSILON, 1 - EPSILON)
    picked = ops.getitem(p.log(), tuple(np.indices(labels.shape)) + (labels,))
    return -picked


def kl_divergence(y_true, y_pred) -> Tensor:
    """Σ y_true · log(y_true / y_pred) over the last axis, both clipped to [1e-7, 1]."""
    p = _pred(y_pred, "kl_divergence")
    t = _target(y_true, p, "kl_divergence")
    t = ops.clip(t, EPSILON, 1)
    p = ops.clip(p, EPSILON, 1)
    return (t * (t.log() - p.log())).sum(axis=-1)


def hinge(y_true, y_pred) -> Tensor:
    """mean(max(1 − y_true · y_pred, 0), axis=-1); labels in {−1, 1} (or {0, 1}, mapped to ±1)."""
    p = _pred(y_pred, "hinge")
    t = _target(y_true, p, "hinge")
    if not isinstance(y_true, Tensor) or not y_true.requires_grad:
        values = t.data
        if np.all((values == 0) | (values == 1)):
            t = Tensor._wrap(2 * values - 1)
    return _per_sample(ops.relu(1 - t * p))


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
kld = KLD = kl_divergence


# ------------------------------------------------------------------ reduction
def reduce_loss(values: Tensor, sample_weight=None, reduction: str = "mean", name: str = "loss"):
    """Weight per-sample ``values`` (shape (N, ...)) by ``sample_weight`` ((N,) or values' shape)
    and reduce: "mean" → Σ w·l / values.size, "sum" → Σ w·l, "none" → w·l."""
    if sample_weight is not None:
        w = sample_weight.data if isinstance(sample_weight, Tensor) else np.asarray(sample_weight)
        if w.ndim == 1 and values.ndim >= 1 and w.shape[0] == values.shape[0]:
            w = w.reshape((w.shape[0],) + (1,) * (values.ndim - 1))
        try:
            np.broadcast_shapes(w.shape, values.shape)
        except ValueError:
            raise ValueError(
                f"{name}: sample_weight of shape {w.shape} does not match the per-sample losses of "
                f"shape {values.shape}"
            ) from None
        if isinstance(sample_weight, Tensor) and sample_weight.requires_grad:
            values = values * sample_weight.reshape(w.shape)  # the weights get their gradient
        else:
            values = values * Tensor._wrap(w.astype(values.data.dtype, copy=False))
    if reduction == "none":
        return values
    if reduction == "sum":
        return values.sum()
    return values.mean()


class Loss:
    """Base class: subclasses set ``fn`` (per-sample loss), ``kind`` and their own config."""

    kind = "regression"
    threshold = None
    registered_name = ""

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str | None = None,
                 dtype=None):  # fmt: skip
        mode = _KERAS_REDUCTIONS.get(reduction, reduction)
        if mode not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of "
                f"{sorted(k for k in _KERAS_REDUCTIONS if k)} or None, got {reduction!r}"
            )
        self.reduction = reduction
        self._mode = mode
        self.name = name or self.registered_name

    def call(self, y_true, y_pred) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        """The reduced loss: a 0-d Tensor for "mean"/"sum", per-sample values for "none"."""
        return reduce_loss(self.call(y_true, y_pred), sample_weight, self._mode, self.name)

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MeanSquaredError(Loss):
    """Keras: ``MeanSquaredError(reduction="sum_over_batch_size", name="mean_squared_error")``."""

    registered_name = "mean_squared_error"

    def call(self, y_true, y_pred):
        return mean_squared_error(y_true, y_pred)


class MeanAbsoluteError(Loss):
    registered_name = "mean_absolute_error"

    def call(self, y_true, y_pred):
        return mean_absolute_error(y_true, y_pred)


class Huber(Loss):
    registered_name = "huber_loss"

    def __init__(self, delta: float = 1.0, reduction="sum_over_batch_size",
                 name: str | None = "huber_loss", dtype=None):  # fmt: skip
        if not delta > 0:
            raise ValueError(f"Huber: delta must be positive, got {delta}")
        super().__init__(reduction, name)
        self.delta = float(delta)

    def call(self, y_true, y_pred):
        return huber(y_true, y_pred, self.delta)

    def get_config(self) -> dict:
        return {"delta": self.delta, **super().get_config()}


class _FromLogits(Loss):
    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction="sum_over_batch_size", name: str | None = None, dtype=None):  # fmt: skip
        super().__init__(reduction, name)
        _check_axis(axis, type(self).__name__)
        if not 0.0 <= float(label_smoothing) <= 1.0:
            raise ValueError(
                f"{type(self).__name__}: label_smoothing must be in [0, 1], got {label_smoothing}"
            )
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)
        self.axis = axis

    def get_config(self) -> dict:
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing,
                **super().get_config()}  # fmt: skip


class BinaryCrossentropy(_FromLogits):
    """Keras: ``BinaryCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1,
    reduction="sum_over_batch_size", name="binary_crossentropy")``."""

    registered_name = "binary_crossentropy"
    kind = "binary"

    @property
    def threshold(self) -> float:
        return 0.0 if self.from_logits else 0.5

    def call(self, y_true, y_pred):
        return binary_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing)


class CategoricalCrossentropy(_FromLogits):
    """Keras: ``CategoricalCrossentropy(from_logits=False, label_smoothing=0.0, axis=-1,
    reduction="sum_over_batch_size", name="categorical_crossentropy")``."""

    registered_name = "categorical_crossentropy"
    kind = "categorical"

    def call(self, y_true, y_pred):
        return categorical_crossentropy(y_true, y_pred, self.from_logits, self.label_smoothing)


class SparseCategoricalCrossentropy(Loss):
    """Keras: ``SparseCategoricalCrossentropy(from_logits=False, ignore_class=None,
    reduction="sum_over_batch_size", axis=-1, name="sparse_categorical_crossentropy")``.

    With ``ignore_class``, samples of that label add nothing and the mean is over the others.
    """

    registered_name = "sparse_categorical_crossentropy"
    kind = "sparse_categorical"

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction="sum_over_batch_size", axis: int = -1, name: str | None = None,
                 dtype=None):  # fmt: skip
        super().__init__(reduction, name)
        _check_axis(axis, "SparseCategoricalCrossentropy")
        self.from_logits = bool(from_logits)
        self.ignore_class = None if ignore_class is None else int(ignore_class)
        self.axis = axis

    def call(self, y_true, y_pred):
        return sparse_categorical_crossentropy(y_true, y_pred, self.from_logits,
                                               self.ignore_class)  # fmt: skip

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        if self.ignore_class is None or self._mode != "mean":
            return super().__call__(y_true, y_pred, sample_weight)
        total = reduce_loss(self.call(y_true, y_pred), sample_weight, "sum", self.name)
        kept = np.count_nonzero(np.asarray(getattr(y_true, "data", y_true)) != self.ignore_class)
        return total * (1.0 / max(kept, 1))

    def get_config(self) -> dict:
        return {"from_logits": self.from_logits, "ignore_class": self.ignore_class,
                **super().get_config()}  # fmt: skip


class KLDivergence(Loss):
    registered_name = "kl_divergence"
    kind = "categorical"

    def call(self, y_true, y_pred):
        return kl_divergence(y_true, y_pred)


class Hinge(Loss):
    registered_name = "hinge"
    kind = "binary"
    threshold = 0.0

    def call(self, y_true, y_pred):
        return hinge(y_true, y_pred)


class LossFunctionWrapper(Loss):
    """Wraps a user function ``fn(y_true, y_pred) -> per-sample Tensor`` as a Loss."""

    def __init__(self, fn: Callable, reduction="sum_over_batch_size", name: str | None = None,
                 kind: str = "regression", dtype=None, **kwargs):  # fmt: skip
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"))
        self.fn, self.kind, self.fn_kwargs = fn, kind, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        raise ValueError(f"loss {self.name!r} wraps a plain function and cannot be serialised")


LOSSES: dict[str, type] = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "kullback_leibler_divergence": KLDivergence,
    "hinge": Hinge,
}  # fmt: skip
for _cls in set(LOSSES.values()):
    LOSSES[_cls.__name__] = _cls


def serialize(loss: Loss) -> dict:
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def get(identifier) -> Loss:
    """A Loss object from a Keras name (``"mse"``, ``"sparse_categorical_crossentropy"``, …), a
    serialised dict, a Loss, or a function ``fn(y_true, y_pred) -> per-sample Tensor``."""
    if isinstance(identifier, Loss):
        return identifier
    config = {}
    if isinstance(identifier, dict):
        identifier, config = identifier.get("class_name"), identifier.get("config", {})
    if isinstance(identifier, str):
        cls = LOSSES.get(identifier) or LOSSES.get(identifier.lower())
        if cls is None:
            custom = _custom.lookup(identifier)
            if isinstance(custom, type) and issubclass(custom, Loss):
                cls = custom
            elif custom is not None and not config:
                return LossFunctionWrapper(custom)
        if cls is None:
            raise ValueError(f"unknown loss {identifier!r}; known: {sorted(LOSSES)}")
        return cls.from_config(_custom.check_config(config, f"loss {identifier!r}"))
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise TypeError(
        f"losses.get: expected a name, Loss or function, got {type(identifier).__name__}"
    )
