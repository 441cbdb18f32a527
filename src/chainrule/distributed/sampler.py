"""DistributedSampler: each rank's share of a dataset's indices, with PyTorch's semantics.

Every rank draws the same permutation (seeded by ``seed + epoch``; call :meth:`set_epoch` at each
epoch start for a new order), pads it by repeating its start so it divides evenly (or drops the tail
with ``drop_last=True``), and keeps every ``num_replicas``-th index starting at ``rank``. The
shares are disjoint (up to the padding) and together cover the dataset.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np


class DistributedSampler:
    """Indices of ``dataset`` (anything with ``len``) for this rank.

    Args:
        num_replicas: number of ranks (default: the job's size). rank: this rank (default: the
            job's rank). shuffle: a new seeded order per epoch. seed: the shared seed.
        drop_last: drop the tail so every rank has ``len(dataset) // num_replicas`` indices;
            otherwise pad to ``ceil(len / num_replicas)`` by repeating indices.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):  # fmt: skip
        if num_replicas is None or rank is None:
            from .comm import get_communicator

            comm = get_communicator()
            num_replicas = comm.size if num_replicas is None else num_replicas
            rank = comm.rank if rank is None else rank
        for name, v in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"DistributedSampler: {name} must be an int, got {v!r}")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}]"
            )
        if not hasattr(dataset, "__len__"):
            raise TypeError(
                f"DistributedSampler: dataset must have a length, got {type(dataset).__name__}"
            )
        self.dataset = dataset
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch (the order is seeded by ``seed + epoch``)."""
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, an int64 array of ``len(self)``."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > n:
            pad = self.total_size - n
            order = np.concatenate([order, np.resize(order, pad)]) if n else order
        return order[self.rank : self.total_size : self.num_replicas].astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples
