"""``keras.utils.PyDataset`` (alias ``Sequence``): a dataset of ready-made batches.

Subclass it with ``__len__`` (the number of batches) and ``__getitem__(i)`` returning batch ``i``
as ``(x, y)`` or ``(x, y, sample_weight)``; ``fit`` iterates it once per epoch (in order) and calls
``on_epoch_end()`` at the end of each epoch. ``workers``/``use_multiprocessing``/``max_queue_size`` are
accepted and ignored: batches are produced in the calling thread.
"""

from __future__ import annotations


class PyDataset:
    """Base class for batch datasets (see the module docstring)."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10):  # fmt: skip
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __len__(self) -> int:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index: int):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    @property
    def num_batches(self) -> int:
        return len(self)

    def on_epoch_end(self) -> None:
        """Called after each full pass (shuffle your indices here)."""

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset
