"""Gradient averaging over a few flat buffers (buckets), overlapped with the backward pass.

:class:`GradientReducer` is the transport interface: ``start(buffer)`` begins summing one flat
buffer across ranks in place and returns a handle; ``wait(handle)`` completes it.
:class:`MPIReducer` implements it with mpi4py's non-blocking ``Iallreduce`` on NumPy arrays; a
CuPy/NCCL implementation for GPU arrays needs only these two methods (docs/distributed.md).

:class:`GradientSynchronizer` owns the buckets. Parameters are assigned to buckets in reverse
order (the order backward tends to produce their gradients), each bucket at most ``bucket_cap_mb``
and of one dtype, with two extra slots: this rank's weight, and a "late gradient" flag. Per step:

1. ``begin(weight)`` — ``weight`` is this rank's share (its number of samples in ``fit``; 1 for
   the plain average of :class:`~.ddp.DistributedDataParallel`);
2. during backward, a hook counts each parameter's gradient accumulations; once a bucket's
   parameters all have their gradient (the counts seen in the first step), the bucket is copied
   in (``grad · weight``) and its reduction starts, in bucket order on every rank — except the
   last bucket (the first layers, whose gradients come last anyway);
3. ``finish()`` (called by ``fit``, or queued to run when backward ends with ``auto_finish``)
   starts the remaining buckets, waits, and writes ``Σ grad·weight / Σ weight`` back into every
   ``.grad``. A gradient that arrived after its bucket left (the graph changed) sets the flag in
   the last bucket, so every rank learns of it from the reduction itself, without an extra
   message, and all buckets are reduced again from the complete gradients.

With ``overlap=False`` nothing starts before ``finish()``. Every rank performs the same
collectives in the same order, whatever its local graph, as MPI requires.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..function import cancel_backward_callback, queue_backward_callback


class GradientReducer:
    """Transport interface: sum flat buffers across ranks, in place, asynchronously."""

    size: int = 1

    def start(self, buffer):
        """Begin summing ``buffer`` (a flat array) across ranks in place; return a handle."""
        raise NotImplementedError

    def wait(self, handle) -> None:
        """Complete the reduction ``handle`` (the buffer then holds the sum)."""
        raise NotImplementedError


class MPIReducer(GradientReducer):
    """:class:`GradientReducer` over a :class:`~.comm.Communicator` (MPI Iallreduce, host arrays)."""

    def __init__(self, comm):
        self.comm = comm
        self.size = comm.size

    def start(self, buffer):
        return self.comm.iallreduce(buffer)

    def wait(self, handle) -> None:
        self.comm.wait(handle, "gradient allreduce")


class _Bucket:
    __slots__ = ("buffer", "handle", "offsets", "params", "ready")

    def __init__(self, params: list, dtype):
        self.params = params
        sizes = [p.data.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        # on the parameters' device (NumPy here; CuPy arrays for a GPU reducer); two more slots:
        # the rank's weight, and (in the last bucket) whether a gradient came after its bucket left
        self.buffer = xp(params[0].data).zeros(self.offsets[-1] + 2, dtype=dtype)
        self.handle = None
        self.ready = 0


class GradientSynchronizer:
    """Average the ``.grad`` of ``params`` across ranks each step (see the module docstring).

    ``params``: the trainable parameters (the same list, in the same order, on every rank).
    ``reducer``: a :class:`GradientReducer`. ``bucket_cap_mb``: largest bucket (25 MB as in
    PyTorch). ``overlap``: start buckets during backward.
    """

    def __init__(self, params: list, reducer: GradientReducer, bucket_cap_mb: float = 25.0,
                 overlap: bool = True):  # fmt: skip
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be > 0, got {bucket_cap_mb!r}")
        self.reducer = reducer
        self.params = list(params)
        self.overlap = bool(overlap)
        cap = bucket_cap_mb * 2**20
        self.buckets: list[_Bucket] = []
        current: list = []
        nbytes = 0
        for p in reversed(self.params):
            if current and (p.data.dtype != current[0].data.dtype or nbytes + p.data.nbytes > cap):
                self.buckets.append(_Bucket(current, current[0].data.dtype))
                current, nbytes = [], 0
            current.append(p)
            nbytes += p.data.nbytes
        if current:
            self.buckets.append(_Bucket(current, current[0].data.dtype))
        self._where = {id(p): i for i, b in enumerate(self.buckets) for p in b.params}
        self._counts = {id(p): 0 for p in self.params}
        self._expected: dict[int, int] | None = None
        self._weight = 1.0
        self._active = False
        self._next = 0  # the next bucket to start (buckets start in order on every rank)
        self._late = False
        self._queued = False
        #: finish by itself when the backward pass ends (the DistributedDataParallel path)
        self.auto_finish = False
        self._handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in self.params]

    def remove_hooks(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    # ------------------------------------------------------------------ per step
    def begin(self, weight: float = 1.0) -> None:
        """Arm for the next backward pass; this rank's gradients count ``weight`` times."""
        self._weight = float(weight)
        if self.reducer.size == 1:  # one rank: the average is the gradient itself
            return
        if self._queued:  # the last backward raised before it ended: forget its finish
            cancel_backward_callback(self.finish)
        self._active = True
        self._next = 0
        self._late = False
        self._queued = False
        for k in self._counts:
            self._counts[k] = 0
        for b in self.buckets:
            b.ready = 0
            b.handle = None

    def _on_grad(self, p) -> None:
        if not self._active:
            return
        if self.auto_finish and not self._queued:
            self._queued = True
            queue_backward_callback(self.finish)
        key = id(p)
        self._counts[key] += 1
        expected = self._expected
        if expected is None or not self.overlap:
            return
        b = self.buckets[self._where[key]]
        n = self._counts[key]
        if n == expected[key]:
            b.ready += 1
            self._start_ready()
        elif n > expected[key] and b.handle is not None:
            self._late = True

    def _start_ready(self) -> None:
        # the last bucket waits for finish(): it carries the "late gradient" flag, and its
        # parameters (the first layers') are the last to get their gradients anyway
        while self._next < len(self.buckets) - 1:
            b = self.buckets[self._next]
            if b.ready < len(b.params):
                return
            self._start(b)
            self._next += 1

    def _start(self, b: _Bucket) -> None:
        buf, off, w = b.buffer, b.offsets, self._weight
        for i, p in enumerate(b.params):
            dst = buf[off[i] : off[i + 1]]
            if p.grad is None:
                dst.fill(0)
            elif w == 1.0:
                dst[...] = p.grad.reshape(-1)
            else:
                xp(dst).multiply(p.grad.reshape(-1), w, out=dst)
        buf[-2] = w
        buf[-1] = 1 if self._late and b is self.buckets[-1] else 0
        b.handle = self.reducer.start(buf)

    def finish(self) -> None:
        """Complete every bucket and write the averaged gradients back into ``.grad``."""
        if self.reducer.size == 1:
            return
        if not self._active:
            raise RuntimeError("GradientSynchronizer.finish: begin() was not called")
        while self._next < len(self.buckets):
            self._start(self.buckets[self._next])
            self._next += 1
        for b in self.buckets:
            self.reducer.wait(b.handle)
        if self.buckets[-1].buffer[-1] > 0:  # on some rank a gradient came after its bucket left
            self._late = False
            for b in self.buckets:  # reduce again, from the complete gradients
                self._start(b)
                self.reducer.wait(b.handle)
            self._expected = dict(self._counts)  # and learn the new counts
        elif self._expected is None:
            self._expected = dict(self._counts)
        self._active = False
        for b in self.buckets:
            self._write_back(b)

    def _write_back(self, b: _Bucket) -> None:
        buf, off = b.buffer, b.offsets
        total = buf[-2]
        if total == 0:  # no rank had a sample: the gradient is zero
            total = 1
        for i, p in enumerate(b.params):
            src = buf[off[i] : off[i + 1]].reshape(p.data.shape)
            g = p.grad
            if g is not None and g.dtype == p.data.dtype and g.flags.writeable:
                xp(g).divide(src, total, out=g)
            else:
                p.grad = src / total
