"""DataParallel: the strategy ``Model.fit(..., distributed=...)`` follows on every rank.

Each rank holds the whole model. Per global batch (``batch_size`` samples, the same batches as a
one-process run: rank 0's epoch permutation is broadcast), rank r takes the r-th of ``size``
contiguous, near-equal parts — disjoint, covering, seeded by the one shared permutation. The
gradients are combined as ``Σ_r n_r · grad_r / Σ_r n_r`` (n_r: the rank's samples), which is the
gradient of the global batch's mean loss even when the parts differ by one; every rank then takes
the same optimizer step from the same state. Before the first step rank 0's weights, buffers and
optimizer state are broadcast, so ranks start identical (and a job resumed from rank 0's
checkpoint continues on any number of ranks: batches are global, so the resume point is too).

Logs (loss and metrics) are reduced over all ranks' samples; validation data are split between
the ranks and reduced the same way. ``stop_training`` is agreed after every batch (any rank's
callback may set it). Only rank 0 prints and runs the callbacks that write files (progress bar,
CSV logger, checkpoints — or any callback with ``rank_zero_only = True``); the others run
everywhere (learning-rate schedules, early stopping, NaN checks), and see the same reduced logs.

BatchNorm: ``sync_batchnorm=False`` keeps per-rank batch statistics (each rank normalises its part;
rank 0's running statistics are broadcast at each epoch end so every rank holds the same model);
``True`` computes them over the global batch (see :mod:`.sync_batchnorm`).
"""

from __future__ import annotations

import numpy as np

from .comm import get_communicator
from .faults import install_abort_handler
from .logs import local_state, reduced_logs
from .reducer import GradientSynchronizer, MPIReducer


def _rank_zero_only(callback) -> bool:
    """Callbacks that print or write files (``rank_zero_only = True``: the progress bar,
    CSVLogger, ModelCheckpoint, BackupAndRestore, TensorBoard, or a user's) run on rank 0 alone."""
    return bool(getattr(callback, "rank_zero_only", False))


class DataParallel:
    """Data-parallel training over MPI for ``Model.fit`` (see the module docstring).

    Args:
        sync_batchnorm: compute BatchNorm statistics over the global batch (default: per rank).
        bucket_cap_mb: largest gradient bucket, in MB (several buckets let reduction overlap).
        overlap: start reducing a bucket during backward as soon as its gradients are ready.
        comm: a communicator (default: the process-wide one, from the MPI environment).
    """

    def __init__(self, sync_batchnorm: bool = False, bucket_cap_mb: float = 25.0,
                 overlap: bool = True, comm=None):  # fmt: skip
        if not isinstance(sync_batchnorm, bool):
            raise TypeError(f"DataParallel: sync_batchnorm must be a bool, got {sync_batchnorm!r}")
        if (
            isinstance(bucket_cap_mb, bool)
            or not isinstance(bucket_cap_mb, (int, float))
            or not (bucket_cap_mb > 0)
        ):
            raise ValueError(f"DataParallel: bucket_cap_mb must be > 0, got {bucket_cap_mb!r}")
        self.sync_batchnorm = sync_batchnorm
        self.bucket_cap_mb = float(bucket_cap_mb)
        self.overlap = bool(overlap)
        self.comm = get_communicator() if comm is None else comm
        self.weight = 1.0  # this rank's sample count in the current step (read by SyncBatchNorm)
        self._sync: GradientSynchronizer | None = None
        self._model = None

    @property
    def rank(self) -> int:
        return self.comm.rank

    @property
    def size(self) -> int:
        return self.comm.size

    def __repr__(self) -> str:
        return (
            f"DataParallel(rank={self.rank}, size={self.size}, sync_batchnorm="
            f"{self.sync_batchnorm}, bucket_cap_mb={self.bucket_cap_mb:g}, overlap={self.overlap})"
        )

    # ------------------------------------------------------------------ fit's hooks
    def callbacks(self, callbacks: list, verbose: int) -> tuple[list, int]:
        """The callbacks and verbosity for this rank (writers and printing on rank 0 only)."""
        if self.rank == 0:
            return callbacks, verbose
        return [cb for cb in callbacks if not _rank_zero_only(cb)], 0

    def begin(self, model, step) -> None:
        """After ``on_train_begin``: agree on the resume point; attach to the step."""
        install_abort_handler(self.comm)
        self._model = model
        self._sync = None
        step.strategy = self
        model.resume_state = self.comm.broadcast_object(model.resume_state)
        if self.sync_batchnorm:
            from .sync_batchnorm import convert_sync_batchnorm

            convert_sync_batchnorm(model, self)

    def agree(self, flag: bool) -> bool:
        """True on every rank when ``flag`` is true on any rank."""
        return bool(self.comm.allreduce(np.array([float(bool(flag))]), op="max")[0])

    def order(self, order):
        """Rank 0's epoch permutation on every rank (None, without shuffling, stays None)."""
        if order is None:
            return None
        return self.comm.broadcast(np.ascontiguousarray(order, dtype=np.int64))

    def shard(self, idx, n: int):
        """This rank's contiguous part of the global batch ``idx`` (a slice or index array)."""
        if isinstance(idx, slice):
            idx = np.arange(*idx.indices(n))
        k = len(idx)
        if self.sync_batchnorm and k < self.size:
            raise ValueError(
                f"DataParallel(sync_batchnorm=True): a global batch of {k} samples leaves some of "
                f"the {self.size} ranks without data; use a batch_size (and a last batch) of at "
                f"least {self.size} samples"
            )
        lo, hi = k * self.rank // self.size, k * (self.rank + 1) // self.size
        return idx[lo:hi]

    def shard_loader_batch(self, loader, xb: list, yb: list, wb):
        """This rank's part of a DataLoader batch. Without a DistributedSampler every rank's
        loader must yield the same batches (same seed), and each rank keeps its contiguous part;
        with one (``loader.sampler``), each rank already loads its own samples."""
        from .sampler import DistributedSampler

        if isinstance(getattr(loader, "sampler", None), DistributedSampler):
            return xb, yb, wb
        k = len(xb[0])
        lo, hi = k * self.rank // self.size, k * (self.rank + 1) // self.size
        return [a[lo:hi] for a in xb], [a[lo:hi] for a in yb], None if wb is None else wb[lo:hi]

    def shard_prepared(self, prepared):
        """This rank's contiguous part of prepared validation data ``(xs, ys, w, n)``."""
        if not isinstance(prepared, tuple):
            return prepared  # a DataLoader: every rank evaluates it (the reduction averages)
        xs, ys, w, n = prepared
        lo, hi = n * self.rank // self.size, n * (self.rank + 1) // self.size
        return (
            [a[lo:hi] for a in xs],
            [a[lo:hi] for a in ys],
            None if w is None else w[lo:hi],
            (hi - lo),
        )

    def before_step(self, step, n_local: int) -> None:
        """Arm the gradient reduction for a step on ``n_local`` samples (set up on first use)."""
        if self._sync is None:
            self._first_step(step)
        self.weight = float(n_local)
        self._sync.begin(float(n_local))

    def after_backward(self) -> None:
        """Average the gradients over every rank's samples (then the optimizer steps)."""
        self._sync.finish()

    def _first_step(self, step) -> None:
        model, comm = step.model, self.comm
        params = step.params
        arrays = [p.data for p in params] + [b for _, b in model.named_buffers()]
        shapes = self.comm.allgather_object([(a.shape, str(a.dtype)) for a in arrays])
        if any(s != shapes[0] for s in shapes):
            raise ValueError(
                "DataParallel: the ranks hold different models (parameter shapes per rank: "
                f"{[len(s) for s in shapes]} arrays); build the same model on every rank"
            )
        broadcast_arrays(comm, arrays)
        opt = model.optimizer
        state = comm.broadcast_object(opt.state_dict())
        if comm.rank != 0:
            opt.load_state_dict(state)
        self._sync = GradientSynchronizer(
            params, MPIReducer(comm), self.bucket_cap_mb, self.overlap
        )

    def batch_logs(self, step) -> dict:
        """The running batch logs (cheap metrics) over the samples of every rank."""
        return reduced_logs(step, self.comm.allgather_object(local_state(step)), cheap=True)

    def logs(self, step) -> dict:
        """``step.logs()`` over the samples of every rank."""
        return reduced_logs(step, self.comm.allgather_object(local_state(step)))

    def epoch_end(self, model) -> None:
        """Per-rank BatchNorm: give every rank rank 0's running statistics."""
        if not self.sync_batchnorm:
            broadcast_arrays(self.comm, [b for _, b in model.named_buffers()])

    def end(self, model) -> None:
        """After training: hooks removed, BatchNorm layers plain again."""
        if self._sync is not None:
            self._sync.remove_hooks()
            self._sync = None
        if self.sync_batchnorm:
            from .sync_batchnorm import restore_batchnorm

            restore_batchnorm(model)


def broadcast_arrays(comm, arrays: list) -> None:
    """Overwrite each array in place with rank 0's values (one broadcast per dtype)."""
    by_dtype: dict = {}
    for a in arrays:
        by_dtype.setdefault(a.dtype, []).append(a)
    for group in by_dtype.values():
        flat = np.concatenate([a.reshape(-1) for a in group])
        if flat.size == 0:
            continue
        comm.broadcast(flat)
        offset = 0
        for a in group:
            a[...] = flat[offset : offset + a.size].reshape(a.shape)
            offset += a.size


def resolve(distributed):
    """``fit``'s ``distributed=`` argument as a strategy (None when training in one process)."""
    if distributed is None or distributed is False:
        return None
    if distributed is True:
        return DataParallel()
    if isinstance(distributed, DataParallel):
        return distributed
    raise TypeError(
        "fit: distributed must be True, False, None or a chainrule.distributed.DataParallel, got "
        f"{type(distributed).__name__}"
    )
