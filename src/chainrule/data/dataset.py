"""Datasets: anything with a length and indexable samples.

A :class:`Dataset` needs ``__len__`` and ``__getitem__(i)`` returning one sample (a tuple of arrays
or scalars). A dataset may also offer ``get_batch(indices)`` returning whole batches at once; the
:class:`~chainrule.data.DataLoader` uses it when present, which is how :class:`TensorDataset` avoids
per-sample Python loops.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Dataset(Protocol):
    """The dataset protocol: ``len(ds)`` samples, ``ds[i]`` the i-th one (0 <= i < len(ds))."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: int) -> Any: ...


def _as_array(a: Any) -> np.ndarray:
    if isinstance(a, np.ndarray):
        return a
    data = getattr(a, "data", None)  # a chainrule Tensor
    if isinstance(data, np.ndarray):
        return data
    arr = np.asarray(a)
    if arr.dtype.kind in "US":  # lists of strings stay Python strings, not fixed-width
        arr = np.asarray(a, dtype=object)
    return arr


class TensorDataset:
    """Aligned arrays indexed along their first dimension: sample ``i`` is ``(a[i], b[i], ...)``.

    ``TensorDataset(x, y)`` with ``x`` of shape ``(N, ...)`` and ``y`` of shape ``(N, ...)``. Arrays are
    kept as given (no copy); lists become arrays and chainrule Tensors contribute their ``.data``.
    """

    def __init__(self, *arrays: Any):
        if not arrays:
            raise ValueError("TensorDataset: give at least one array")
        converted = tuple(_as_array(a) for a in arrays)
        shapes = [a.shape for a in converted]
        if any(len(s) == 0 for s in shapes) or len({s[0] for s in shapes}) != 1:
            raise ValueError(
                "TensorDataset: every array needs the same first dimension (number of samples), "
                f"got shapes {shapes}"
            )
        self.arrays = converted

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: int) -> tuple:
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices: np.ndarray | slice) -> tuple[np.ndarray, ...]:
        """The samples at ``indices`` (an int array or a slice), one array per field."""
        return tuple(a[indices] for a in self.arrays)


class Subset:
    """The samples of ``dataset`` at ``indices`` (e.g. from :func:`~chainrule.data.split_indices`)."""

    def __init__(self, dataset: Dataset, indices: np.ndarray):
        indices = np.asarray(indices)
        if indices.ndim != 1 or indices.dtype.kind not in "iu":
            raise ValueError(
                f"Subset: indices must be a 1-D integer array, got shape {indices.shape} "
                f"dtype {indices.dtype}"
            )
        n = len(dataset)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise ValueError(f"Subset: indices out of range for a dataset of {n} samples")
        self.dataset, self.indices = dataset, indices

    def __len__(self) -> int:
        return self.indices.shape[0]

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices: np.ndarray | slice) -> tuple[np.ndarray, ...]:
        return fetch_batch(self.dataset, self.indices[indices])


def collate(samples: list) -> tuple[np.ndarray, ...]:
    """Stack a list of samples (tuples of equal length) field by field into batch arrays."""
    if not samples:
        raise ValueError("collate: got no samples")
    first = samples[0]
    if not isinstance(first, tuple):
        return (np.stack([np.asarray(s) for s in samples]),)
    return tuple(np.stack([np.asarray(s[k]) for s in samples]) for k in range(len(first)))


def fetch_batch(dataset: Dataset, indices: np.ndarray | slice) -> tuple[np.ndarray, ...]:
    """A batch of ``dataset``: its ``get_batch`` when it has one, else per-sample indexing + stack."""
    get_batch = getattr(dataset, "get_batch", None)
    if get_batch is not None:
        return get_batch(indices)
    if isinstance(indices, slice):
        indices = range(*indices.indices(len(dataset)))
    return collate([dataset[int(i)] for i in indices])
