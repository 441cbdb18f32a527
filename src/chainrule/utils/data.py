"""``torch.utils.data`` for chainrule: ``Dataset``, ``TensorDataset``, ``DataLoader`` with PyTorch's
defaults (``batch_size=1``, no shuffling), ``Subset``, ``random_split`` and the samplers.

Batches are what PyTorch yields: a sample ``(x, y)`` collates to ``[x_batch, y_batch]`` Tensors;
ints collate to int64, floats to float64, arrays and Tensors keep their dtype, dicts collate by key.
Shuffling draws each epoch's order from ``generator`` (a :class:`chainrule.Generator`) or else
from the library generator, so ``chainrule.manual_seed`` makes it reproducible. A
:class:`TensorDataset` with the default collate is batched by array indexing (no per-sample loop).
Workers: ``num_workers`` is accepted and the data are loaded in the main process.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ..data.dataset import TensorDataset as _ArrayDataset
from ..data.dataset import fetch_batch
from ..random import get_generator
from ..tensor import Tensor


def _rng(generator) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (a chainrule.Generator), or the library one."""
    if generator is None:
        return get_generator()
    rng = getattr(generator, "rng", generator)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"expected a chainrule.Generator, got {type(generator).__name__}")
    return rng


class Dataset:
    """Base class of map-style datasets: override ``__getitem__`` (and ``__len__``)."""

    def __getitem__(self, index):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Tensors indexed along their first dim: ``ds[i] == (t0[i], t1[i], …)``."""

    def __init__(self, *tensors):
        self._arrays = _ArrayDataset(*tensors)  # checks the shared first dim
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(a)
                             for t, a in zip(tensors, self._arrays.arrays))  # fmt: skip

    def __len__(self) -> int:
        return len(self._arrays)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def get_batch(self, indices) -> tuple[np.ndarray, ...]:
        return self._arrays.get_batch(indices)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset, self.indices = dataset, [int(i) for i in indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def get_batch(self, indices) -> tuple[np.ndarray, ...]:
        return fetch_batch(self.dataset, np.asarray(self.indices, dtype=np.int64)[indices])


class ConcatDataset(Dataset):
    """Datasets one after another."""

    def __init__(self, datasets: Iterable):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, idx: int):
        if idx < 0:
            idx += len(self)
        if not 0 <= idx < len(self):
            raise IndexError(f"ConcatDataset: index {idx} out of range for {len(self)} samples")
        d = int(np.searchsorted(self.cumulative_sizes, idx, side="right"))
        start = 0 if d == 0 else int(self.cumulative_sizes[d - 1])
        return self.datasets[d][idx - start]


def random_split(dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split into non-overlapping random subsets of the given lengths (or fractions summing to 1;
    leftover samples go round-robin to the first subsets, as in PyTorch)."""
    n = len(dataset)
    lengths = list(lengths)
    if (
        math.isclose(sum(lengths), 1)
        and sum(lengths) <= 1
        and not all(isinstance(x, int) for x in lengths)
    ):
        sizes = [math.floor(n * frac) for frac in lengths]
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: sum of input lengths {sum(lengths)} does not equal the length of the "
            f"dataset ({n})"
        )
    order = _rng(generator).permutation(n)
    out, start = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[start : start + length]))
        start += length
    return out


# ------------------------------------------------------------------ samplers
class Sampler:
    """Base class: iterates over dataset indices."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self) -> Iterator[int]:  # pragma: no cover - abstract
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random order each epoch (or ``num_samples`` draws with replacement)."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None):
        self.data_source, self.replacement = data_source, bool(replacement)
        self._num_samples, self.generator = num_samples, generator
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(
                f"RandomSampler: num_samples must be a positive int, got {num_samples}"
            )

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def indices(self) -> np.ndarray:
        n, rng = len(self.data_source), _rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, self.num_samples)
        reps = -(-self.num_samples // n) if n else 0
        return np.concatenate([rng.permutation(n) for _ in range(reps)] or [np.zeros(0, int)])[
            : self.num_samples
        ]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    def __init__(self, indices: Sequence[int], generator=None):
        self.indices, self.generator = list(indices), generator

    def __iter__(self) -> Iterator[int]:
        order = _rng(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self) -> int:
        return len(self.indices)


class BatchSampler(Sampler):
    """Groups a sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, bool(drop_last)

    def __iter__(self) -> Iterator[list[int]]:
        batch = []
        for idx in self.sampler:
            batch.append(int(idx))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


# ------------------------------------------------------------------ collation
def _to_tensor(arr: np.ndarray) -> Tensor:
    return Tensor(np.ascontiguousarray(arr))


def default_collate(batch: list) -> Any:
    """Stack a list of samples as PyTorch does (tuples → lists of batched Tensors)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return Tensor(np.stack([b.data for b in batch]))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "USO":
            return batch
        return Tensor(np.stack(batch))
    if isinstance(elem, (bool, np.bool_)):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(elem, (int, np.integer)):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(elem, (float, np.floating)):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, dict):
        return {k: default_collate([b[k] for b in batch]) for k in elem}
    if isinstance(elem, Sequence):
        if any(len(b) != len(elem) for b in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size"
            )
        return [default_collate(list(s)) for s in zip(*batch)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(elem).__name__}")


class DataLoader:
    """Iterates over ``dataset`` in batches, with PyTorch's arguments and defaults.

    ``batch_size=1``; ``shuffle=False`` (a new random order each epoch when True); ``sampler`` /
    ``batch_sampler`` to choose indices; ``drop_last``; ``collate_fn`` (default
    :func:`default_collate`); ``generator`` for the shuffling order. ``batch_size=None`` yields
    single samples un-batched.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ):
        if not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must be indexable, got {type(dataset).__name__}")
        if batch_size is not None and (
            isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0
        ):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer value, got {batch_size!r}"
            )
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be an int >= 0, got {num_workers!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                "shuffle, sampler, and drop_last"
            )
        self.dataset, self.num_workers, self.generator = dataset, num_workers, generator
        self.drop_last, self.pin_memory, self.timeout = bool(drop_last), pin_memory, timeout
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if sampler is None:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else (
                SequentialSampler(dataset))  # fmt: skip
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.sampler, self.batch_sampler = batch_size, sampler, batch_sampler
        self._auto_collate = collate_fn is None
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self) -> int:
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _fast_batches(self) -> Iterator | None:
        """Whole-batch indexing for a default-collated TensorDataset (views when sequential)."""
        if not (self._auto_collate and _batchable(self.dataset)):
            return None
        if type(self.batch_sampler) is not BatchSampler:
            return None
        bs, sampler = self.batch_sampler, self.batch_sampler.sampler
        n = len(self.dataset)
        if type(sampler) is SequentialSampler:
            order = None
        elif type(sampler) is RandomSampler and not sampler.replacement:
            order = sampler.indices()
        else:
            return None
        total = n if order is None else len(order)
        stop_at = total - total % bs.batch_size if bs.drop_last else total

        def gen():
            for start in range(0, stop_at, bs.batch_size):
                end = min(start + bs.batch_size, total)
                index = slice(start, end) if order is None else order[start:end]
                yield [_to_tensor(a) for a in fetch_batch(self.dataset, index)]

        return gen()

    def __iter__(self) -> Iterator:
        fast = self._fast_batches()
        if fast is not None:
            yield from fast
            return
        if self.batch_sampler is None:  # batch_size=None: samples one at a time
            for idx in self.sampler:
                sample = self.dataset[idx]
                yield self.collate_fn(sample) if not self._auto_collate else _convert(sample)
            return
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])


def _batchable(ds) -> bool:
    """Whether ``ds`` is array-backed all the way down (batches by indexing are exact)."""
    if isinstance(ds, (TensorDataset, _ArrayDataset)):
        return True
    return isinstance(ds, Subset) and _batchable(ds.dataset)


def _convert(sample):
    """Arrays in an un-batched sample become Tensors (PyTorch's default_convert)."""
    if isinstance(sample, np.ndarray):
        return Tensor(sample)
    if isinstance(sample, tuple):
        return tuple(_convert(s) for s in sample)
    if isinstance(sample, list):
        return [_convert(s) for s in sample]
    if isinstance(sample, dict):
        return {k: _convert(v) for k, v in sample.items()}
    return sample


__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "RandomSampler", "Sampler",
    "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset", "default_collate",
    "random_split",
]  # fmt: skip
