"""DataLoader: iterate over a dataset in (optionally shuffled) batches of NumPy arrays.

Shuffling is reproducible. The loader owns a generator seeded by its ``seed`` argument, or, when
``seed`` is None, by a seed drawn once from the library generator at construction (so
``chainrule.manual_seed(s)`` fixes it). Each epoch draws a fresh permutation from that generator:
iterating twice gives two different orders, and the same seed gives the same sequence of orders.
:meth:`DataLoader.state_dict` captures where the loader is, so a checkpoint resumes mid-epoch.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator

import numpy as np

from .. import random as _random
from .dataset import Dataset, TensorDataset, fetch_batch


class DataLoader:
    """Batches of ``dataset``.

    Args:
        dataset: a :class:`~chainrule.data.Dataset`; an array or a tuple of arrays is wrapped in
            a :class:`~chainrule.data.TensorDataset`.
        batch_size: samples per batch (``1`` = stochastic), or ``None`` for one full batch.
        shuffle: draw a new random order every epoch.
        drop_last: skip the final batch when it is smaller than ``batch_size``.
        seed: seed of the loader's own generator (None: drawn from ``chainrule.random`` when
            ``shuffle`` is set).
        transform: optional callable applied to each batch tuple (e.g. augmentation); it must
            return a tuple.
        sampler: an iterable of dataset indices giving each epoch's order (e.g. a
            :class:`chainrule.distributed.DistributedSampler`: this rank's share); it replaces
            ``shuffle``, as in PyTorch.

    Yields tuples of arrays, one per dataset field: ``(x_batch, y_batch)`` of shapes
    ``(B, ...)``. Without shuffling, batches of a :class:`TensorDataset` are views (no copies).
    """

    def __init__(
        self,
        dataset: Dataset | np.ndarray | tuple,
        batch_size: int | None = 32,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        *,
        transform: Callable[[tuple], tuple] | None = None,
        sampler=None,
    ):
        if isinstance(dataset, np.ndarray):
            dataset = TensorDataset(dataset)
        elif isinstance(dataset, tuple):
            dataset = TensorDataset(*dataset)
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must define __len__ and __getitem__, got {type(dataset).__name__}"
            )
        if batch_size is not None and (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size < 1
        ):
            raise ValueError(
                f"DataLoader: batch_size must be a positive int or None, got {batch_size!r}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"DataLoader: seed must be an int or None, got {type(seed).__name__}")
        if sampler is not None:
            if shuffle:
                raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(
                    f"DataLoader: sampler must be an iterable of indices with a length, got "
                    f"{type(sampler).__name__}"
                )
        self.sampler = sampler
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.transform = transform
        # Only a shuffling loader draws from the library generator, so a plain loader leaves the
        # library-wide stream (weight init, dropout) untouched.
        if seed is None and self.shuffle:
            seed = _random.spawn_seed()
        self.seed = None if seed is None else int(seed)
        # (An unshuffled loader never draws from its generator; 0 just keeps it deterministic.)
        self._rng = np.random.default_rng(0 if self.seed is None else self.seed)
        self._epochs_started = 0
        self._skip = 0  # batches to skip in the next epoch (set by load_state_dict)
        # The epoch in progress: its index, generator state at its start, batches handed out.
        self._current: dict | None = None

    def __len__(self) -> int:
        """Number of batches per epoch."""
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        size = n if self.batch_size is None else self.batch_size
        if n == 0:
            return 0
        return n // size if self.drop_last else -(-n // size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        size = n if self.batch_size is None else self.batch_size
        n_batches = len(self)
        start_state = copy.deepcopy(self._rng.bit_generator.state)
        order = self._rng.permutation(n) if self.shuffle else None
        if self.sampler is not None:
            order = np.fromiter(iter(self.sampler), dtype=np.int64, count=n)
        skip, self._skip = self._skip, 0
        current = {"epoch": self._epochs_started, "rng_state": start_state, "batches_done": skip}
        self._epochs_started += 1
        self._current = current
        for b in range(skip, n_batches):
            start, stop = b * size, min((b + 1) * size, n)
            index = slice(start, stop) if order is None else order[start:stop]
            batch = fetch_batch(self.dataset, index)
            if self.transform is not None:
                batch = self.transform(batch)
            current["batches_done"] = b + 1
            yield batch
        if self._current is current:
            self._current = None

    @property
    def epoch(self) -> int:
        """Number of epochs started so far (the index of the next epoch when none is running)."""
        return self._epochs_started

    def state_dict(self) -> dict:
        """JSON-serialisable position: seed, epoch, generator state and batches done this epoch.

        Taken mid-epoch, it describes the epoch in progress, so that :meth:`load_state_dict`
        followed by iteration yields exactly the remaining batches of that epoch.
        """
        if self._current is not None and self._current["batches_done"] < len(self):
            return {
                "seed": self.seed,
                "epoch": self._current["epoch"],
                "rng_state": copy.deepcopy(self._current["rng_state"]),
                "batches_done": self._current["batches_done"],
            }
        # Between epochs (or after the last batch was handed out): the next epoch starts from the
        # generator's current state.
        return {
            "seed": self.seed,
            "epoch": self._epochs_started,
            "rng_state": copy.deepcopy(self._rng.bit_generator.state),
            "batches_done": self._skip if self._current is None else 0,
        }

    def load_state_dict(self, state: dict) -> None:
        """Resume from :meth:`state_dict`: the next iteration continues exactly where it left off."""
        missing = {"seed", "epoch", "rng_state", "batches_done"} - set(state)
        if missing:
            raise ValueError(f"DataLoader.load_state_dict: missing keys {sorted(missing)}")
        n_batches = len(self)
        if not 0 <= int(state["batches_done"]) <= n_batches:
            raise ValueError(
                f"DataLoader.load_state_dict: batches_done={state['batches_done']} but an epoch has "
                f"{n_batches} batches"
            )
        rng = np.random.default_rng(0)
        rng.bit_generator.state = state["rng_state"]  # validates it before anything changes
        self.seed = None if state["seed"] is None else int(state["seed"])
        self._rng = rng
        self._epochs_started = int(state["epoch"])
        self._skip = int(state["batches_done"])
        self._current = None
