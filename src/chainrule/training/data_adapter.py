"""Checking and converting fit/evaluate/predict inputs, before anything is trained.

Every check here runs on the whole arrays once per call, so a bad input raises a ValueError that
names the problem before any weight, optimiser state or random draw changes. Arrays are converted
once (floats to the model's dtype, labels to int64); batches are then taken with one fancy index.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


def _raw(a):
    return a.data if isinstance(a, Tensor) else a


def is_loader(x) -> bool:
    """Whether ``x`` is an iterable of batches (a DataLoader) rather than array data."""
    return (
        x is not None
        and not isinstance(x, (np.ndarray, Tensor, list, tuple, dict, str, bytes))
        and hasattr(x, "__iter__")
        and not np.isscalar(x)
    )


def numeric_array(a, what: str) -> np.ndarray:
    """``a`` as an ndarray of numbers; ValueError for strings, objects or ragged data."""
    a = _raw(a)
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{what}: could not make an array ({e})") from None
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind == "O":
            try:
                return np.asarray(arr, dtype=np.float64)
            except (ValueError, TypeError):
                pass
        raise ValueError(f"{what}: expected numeric data, got an array of dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{what}: expected an array with a sample axis, got a scalar")
    return arr


def _all_finite(arr: np.ndarray, block: int = 1 << 16) -> bool:
    """``np.isfinite(arr).all()`` block by block: no boolean temporary the size of the data set."""
    flat = arr.reshape(-1)  # a view for contiguous data (the usual case), else one copy
    mask = np.empty(min(block, flat.size), dtype=bool)
    for start in range(0, flat.size, block):
        part = flat[start : start + block]
        out = mask[: part.size]
        np.isfinite(part, out=out)
        if not out.all():
            return False
    return True


def check_finite(arr: np.ndarray, what: str) -> None:
    """ValueError naming the first NaN/inf entry of a float array."""
    if arr.dtype.kind == "f" and not _all_finite(arr):
        bad = np.argwhere(~np.isfinite(arr))[0]
        value = arr[tuple(bad)]
        raise ValueError(f"{what} contains {value} at index {tuple(int(i) for i in bad)}")


def as_dtype(arr: np.ndarray, dtype, what: str) -> np.ndarray:
    """``arr`` in ``dtype``, checked for NaN/inf *after* the cast: a float64 value beyond the float32
    range is finite before the cast and inf after it, and would turn every weight into NaN."""
    if arr.dtype.kind == "f" and np.dtype(dtype).itemsize < arr.dtype.itemsize:
        check_finite(arr, what)  # name the original value when it was already NaN/inf
        with np.errstate(over="ignore"):
            out = arr.astype(dtype)
        if not _all_finite(out):
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(out))[0])
            raise ValueError(
                f"{what} contains {arr[bad]} at index {bad}, which overflows the model's dtype "
                f"{np.dtype(dtype)} (largest finite value {np.finfo(dtype).max:.4g})"
            )
        return out
    out = arr.astype(dtype, copy=False)
    check_finite(out, what)
    return out


def as_list(data, names: list[str], what: str) -> list:
    """One entry per name from a single array, a list/tuple, or a dict keyed by name."""
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        extra = [k for k in data if k not in names]
        if missing or extra:
            raise ValueError(
                f"{what}: dict keys {sorted(data)} do not match the model's {what} names {names}"
                + (f" (missing {missing})" if missing else "")
                + (f" (unexpected {extra})" if extra else "")
            )
        return [data[n] for n in names]
    if len(names) > 1:
        if not isinstance(data, (list, tuple)) or len(data) != len(names):
            got = len(data) if isinstance(data, (list, tuple)) else "one array"
            raise ValueError(f"{what}: the model has {len(names)} ({names}), got {got}")
        return list(data)
    if isinstance(data, (list, tuple)) and len(data) == 1 and hasattr(_raw(data[0]), "shape"):
        return [data[0]]
    return [data]


def convert_inputs(x, names: list[str], dtype, keep_int: list) -> list[np.ndarray]:
    """x as one numeric array per model input: floats (and ints unless ``keep_int``) in ``dtype``.
    An input whose ``keep_int`` is ``"text"`` (a model that starts with a TextVectorization)
    also takes an array of strings, passed on unchanged."""
    arrays = []
    for name, a, ki in zip(names, as_list(x, names, "inputs"), keep_int):
        what = f"x (input {name!r})" if len(names) > 1 else "x"
        if ki == "text":
            texts = np.asarray(_raw(a))
            if texts.dtype.kind in "USO" and texts.ndim >= 1:
                arrays.append(texts)
                continue
        arr = numeric_array(a, what)
        if arr.dtype.kind == "f" or not ki:
            arr = as_dtype(arr, dtype, what)
        arrays.append(arr)
    return arrays


def convert_targets(y, names: list[str], dtype, sparse: list[bool]) -> list[np.ndarray]:
    """y as one array per output: int64 labels for sparse losses, ``dtype`` otherwise."""
    arrays = []
    for name, a, sp in zip(names, as_list(y, names, "outputs"), sparse):
        what = f"y (output {name!r})" if len(names) > 1 else "y"
        arr = numeric_array(a, what)
        check_finite(arr, what)
        if sp:
            if arr.dtype.kind == "f" and not np.array_equal(arr, np.round(arr)):
                bad = arr.reshape(-1)[arr.reshape(-1) != np.round(arr.reshape(-1))][0]
                raise ValueError(f"{what}: integer class labels expected, got {bad}")
            arr = arr.astype(np.int64, copy=False)
        else:
            arr = as_dtype(arr, dtype, what)
        arrays.append(arr)
    return arrays


def check_lengths(named: list[tuple[str, np.ndarray]]) -> int:
    """The common number of samples; ValueError listing every length when they differ."""
    lengths = {what: len(a) for what, a in named if a is not None}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise ValueError(f"x and y must have the same number of samples: {detail}")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError("fit/evaluate: got 0 samples")
    return n


def check_label_range(labels: np.ndarray, n_classes: int, what: str) -> None:
    """ValueError naming the first label outside [0, n_classes)."""
    bad = labels[(labels < 0) | (labels >= n_classes)]
    if bad.size:
        raise ValueError(
            f"{what}: label {int(bad.reshape(-1)[0])} is outside [0, {n_classes}) for a model with "
            f"{n_classes} outputs"
        )


def _weight_array(sample_weight, y0: np.ndarray, n: int, values_rank: int, dtype) -> np.ndarray:
    """``sample_weight`` checked: (N,), (N, 1), or — for per-timestep losses — a prefix of y's shape
    no longer than the per-sample losses' rank; finite after the cast to ``dtype``; >= 0."""
    w = numeric_array(sample_weight, "sample_weight")
    if w.ndim == 2 and w.shape == (n, 1) and values_rank == 1:
        w = w.reshape(n)
    ok = w.shape == (n,) or (2 <= w.ndim <= values_rank and w.shape == tuple(y0.shape[: w.ndim]))
    if not ok:
        if w.ndim == 1 or len(w) != n:
            raise ValueError(f"sample_weight has {len(w)} entries for {n} samples")
        allowed = f"({n},)" + (
            f" or {tuple(y0.shape[:values_rank])}" if values_rank >= 2 else f" or ({n}, 1)"
        )
        raise ValueError(
            f"sample_weight has shape {w.shape}; expected {allowed} for y of shape {y0.shape}"
        )
    w = as_dtype(w, dtype, "sample_weight")
    if (w < 0).any():
        bad = tuple(int(i) for i in np.argwhere(w < 0)[0])
        raise ValueError(f"sample_weight must be >= 0, got {w[bad]} at index {bad}")
    return w


def check_class_weight(class_weight, n_classes: int | None, dtype) -> dict:
    """``class_weight`` as {int class: float weight}; keys valid class indices, values finite, >= 0."""
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight must be a dict class -> weight, got {type(class_weight).__name__}"
        )
    out = {}
    for k, v in class_weight.items():
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise ValueError(f"class_weight: key {k!r} is not an integer class index")  # noqa: TRY004
        k = int(k)
        if k < 0 or (n_classes is not None and k >= n_classes):
            raise ValueError(
                f"class_weight: class {k} is not a valid class index"
                + (f" for a model with {n_classes} classes" if n_classes is not None else "")
            )
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            raise ValueError(f"class_weight: weight of class {k} is {v!r}, not a number")  # noqa: TRY004
        with np.errstate(over="ignore"):
            cast = np.asarray(v, dtype=dtype)
        if not np.isfinite(cast) or np.isnan(float(v)):
            raise ValueError(
                f"class_weight: weight of class {k} is {v!r}, not finite in {np.dtype(dtype)}"
            )
        if cast < 0:
            raise ValueError(f"class_weight: weight of class {k} is {v!r}; weights must be >= 0")
        out[k] = cast
    return out


def sample_weights(sample_weight, class_weight: dict | None, y0: np.ndarray, n: int, dtype,
                   values_rank: int = 1, n_classes: int | None = None) -> np.ndarray | None:  # fmt: skip
    """Per-sample weights from ``sample_weight`` and/or ``class_weight`` (class → weight).

    ``values_rank``: the rank of the per-sample losses ((N,) → 1, (N, T) → 2), the most dimensions
    a ``sample_weight`` may have; ``n_classes``: the number of classes class_weight keys may name.
    Every check runs before anything is trained; the result is (N,) or (N, T, …).
    """
    w = None
    if sample_weight is not None:
        w = _weight_array(sample_weight, y0, n, values_rank, dtype)
    if class_weight is not None:
        table_in = check_class_weight(class_weight, n_classes, dtype)
        if y0.ndim >= 2 and y0.shape[-1] > 1:
            labels = y0.reshape(n, -1).argmax(axis=1)
        else:
            labels = np.rint(y0.reshape(n)).astype(np.int64)
        present = np.unique(labels)
        missing = [int(c) for c in present if int(c) not in table_in]
        if missing:
            raise ValueError(f"class_weight has no entry for class(es) {missing} present in y")
        table = np.zeros(int(present.max()) + 1, dtype=dtype)
        for c in present:
            table[int(c)] = table_in[int(c)]
        cw = table[labels]
        w = cw if w is None else w * cw.reshape((n,) + (1,) * (w.ndim - 1))
    return w


def split_validation(arrays: list, fraction: float, n: int) -> tuple[list, list]:
    """Keras's validation_split: the last ``fraction`` of the samples (before any shuffle)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {fraction}")
    cut = int(n * (1.0 - fraction))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={fraction} leaves an empty split of {n} samples")
    train = [None if a is None else a[:cut] for a in arrays]
    val = [None if a is None else a[cut:] for a in arrays]
    return train, val
