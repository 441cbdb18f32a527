"""Array transforms: scaling to [0, 1], standardisation, one-hot encoding, train/validation split.

They work on NumPy arrays (the data pipeline sits below the Tensor world) and keep float32 as the
default: an integer input becomes float32, a float input keeps its dtype.
"""

from __future__ import annotations

import numpy as np

from .. import random as _random


def _float_dtype(x: np.ndarray, dtype) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)


def scale_to_unit(x: np.ndarray, max_value: float | None = None, dtype=None) -> np.ndarray:
    """Divide by ``max_value`` so values land in [0, 1]: ``uint8`` images → ``x / 255``.

    ``max_value`` defaults to the largest value of an unsigned integer dtype (255 for uint8) and is
    required for other dtypes. Returns a new array of ``dtype`` (default: float32 for integer input,
    the input's dtype for float input); shape unchanged.
    """
    x = np.asarray(x)
    if max_value is None:
        if x.dtype.kind != "u":
            raise ValueError(
                f"scale_to_unit: max_value is required for dtype {x.dtype} "
                "(it defaults only for unsigned integers, e.g. 255 for uint8)"
            )
        max_value = np.iinfo(x.dtype).max
    if not max_value > 0:
        raise ValueError(f"scale_to_unit: max_value must be positive, got {max_value}")
    out = x.astype(_float_dtype(x, dtype), copy=True)
    out *= out.dtype.type(1.0 / max_value)
    return out


class Standardizer:
    """Per-feature standardisation ``(x - mean) / std``, fitted on training data only.

    ``fit(x_train)`` computes mean and standard deviation over ``axis`` (default 0: over samples,
    one statistic per feature/pixel; pass e.g. ``axis=(0, 1, 2)`` for per-channel NHWC statistics).
    ``transform`` applies them to any array of matching trailing shape (train, validation, test).
    Features with zero spread are left centred but unscaled (``std`` is replaced by 1).
    """

    def __init__(self, axis: int | tuple[int, ...] = 0, eps: float = 1e-12):
        self.axis = axis
        self.eps = eps
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: np.ndarray) -> Standardizer:
        """Compute mean and std of ``x`` over ``self.axis`` (accumulated in float64)."""
        x = np.asarray(x)
        if x.size == 0:
            raise ValueError(f"Standardizer.fit: got an empty array of shape {x.shape}")
        dtype = _float_dtype(x, None)
        mean = x.mean(axis=self.axis, dtype=np.float64, keepdims=True)
        std = x.std(axis=self.axis, dtype=np.float64, keepdims=True)
        std[std < self.eps] = 1.0
        self.mean, self.std = mean.astype(dtype), std.astype(dtype)
        return self

    def _check(self, x: np.ndarray, op: str) -> np.ndarray:
        if self.mean is None:
            raise ValueError(f"Standardizer.{op}: call fit(x_train) first")
        x = np.asarray(x)
        try:
            np.broadcast_shapes(x.shape, self.mean.shape)
        except ValueError:
            raise ValueError(
                f"Standardizer.{op}: fitted on feature shape {self.mean.shape} (axis={self.axis}), "
                f"got an array of shape {x.shape}"
            ) from None
        return x

    def transform(self, x: np.ndarray) -> np.ndarray:
        """``(x - mean) / std`` as a new array (float32 for integer input; float dtypes kept)."""
        x = self._check(x, "transform")
        out = x.astype(_float_dtype(x, None), copy=True)
        out -= self.mean.astype(out.dtype, copy=False)
        out /= self.std.astype(out.dtype, copy=False)
        return out

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """``z * std + mean``: undo :meth:`transform`."""
        z = self._check(z, "inverse_transform")
        out = z.astype(_float_dtype(z, None), copy=True)
        out *= self.std.astype(out.dtype, copy=False)
        out += self.mean.astype(out.dtype, copy=False)
        return out


def one_hot(labels: np.ndarray, num_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """One-hot encode integer labels of any shape ``S`` into an array of shape ``S + (num_classes,)``.

    ``num_classes`` defaults to ``labels.max() + 1``. Labels must be integers in
    ``[0, num_classes)``.
    """
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}), got values in "
            f"[{labels.min()}, {labels.max()}]"
        )
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, labels[..., None].astype(np.intp, copy=False), 1, axis=-1)
    return out


def _rng(seed: int | None) -> np.random.Generator:
    return _random.get_generator() if seed is None else np.random.default_rng(seed)


def split_indices(
    n: int,
    val_fraction: float,
    stratify: np.ndarray | None = None,
    shuffle: bool = True,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays ``(train_idx, val_idx)`` splitting ``range(n)``; see :func:`train_val_split`."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in (0, 1), got {val_fraction}")
    n_val = round(val_fraction * n)
    if not 0 < n_val < n:
        raise ValueError(
            f"train_val_split: val_fraction={val_fraction} of {n} samples leaves an empty split"
        )
    rng = _rng(seed) if shuffle else None
    if stratify is None:
        if not shuffle:
            return np.arange(n - n_val), np.arange(n - n_val, n)
        order = rng.permutation(n)
        return order[n_val:], order[:n_val]
    strat = np.asarray(stratify)
    if strat.shape != (n,):
        raise ValueError(f"train_val_split: stratify must have shape ({n},), got {strat.shape}")
    _classes, inverse, counts = np.unique(strat, return_inverse=True, return_counts=True)
    # Each class gets val_fraction of its samples; leftover slots go to the largest remainders.
    ideal = counts * val_fraction
    per_class = np.floor(ideal).astype(np.int64)
    leftover = n_val - int(per_class.sum())
    per_class[np.argsort(-(ideal - per_class), kind="stable")[:leftover]] += 1
    by_class = np.argsort(inverse, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    train_parts, val_parts = [], []
    for start, count, k in zip(starts, counts, per_class):
        members = by_class[start : start + count]
        if shuffle:
            members = rng.permutation(members)
        val_parts.append(members[:k])
        train_parts.append(members[k:])
    train, val = np.concatenate(train_parts), np.concatenate(val_parts)
    if shuffle:
        return rng.permutation(train), rng.permutation(val)
    return np.sort(train), np.sort(val)


def train_val_split(
    *arrays: np.ndarray,
    val_fraction: float = 0.2,
    stratify: np.ndarray | None = None,
    shuffle: bool = True,
    seed: int | None = None,
) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """Split aligned arrays (same first dimension N) into train and validation parts.

    Returns ``(train_arrays, val_arrays)``, e.g. ``(x_tr, y_tr), (x_val, y_val) =
    train_val_split(x, y, val_fraction=0.1, stratify=y)``. ``round(val_fraction * N)`` samples go to
    validation; with ``stratify`` (labels of shape ``(N,)``) each class keeps its proportion.
    ``shuffle=False`` keeps the original order (and without ``stratify`` takes the last samples for
    validation). Shuffling uses ``np.random.default_rng(seed)``, or the library generator
    (``chainrule.manual_seed``) when ``seed`` is None.
    """
    if not arrays:
        raise ValueError("train_val_split: give at least one array")
    arrays = tuple(np.asarray(a) if not isinstance(a, np.ndarray) else a for a in arrays)
    n = len(arrays[0])
    for i, a in enumerate(arrays):
        if a.ndim == 0 or len(a) != n:
            raise ValueError(
                f"train_val_split: all arrays need the same first dimension; array 0 has shape "
                f"{arrays[0].shape}, array {i} has shape {a.shape}"
            )
    train_idx, val_idx = split_indices(n, val_fraction, stratify, shuffle, seed)
    return tuple(a[train_idx] for a in arrays), tuple(a[val_idx] for a in arrays)
