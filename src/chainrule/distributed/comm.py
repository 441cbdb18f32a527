"""The communicator: rank, size and the few collectives data-parallel training needs, over MPI.

:func:`get_communicator` returns the process-wide :class:`Communicator`. Under ``mpiexec`` (or
Slurm's ``srun --mpi=pmi2``/``pmix``) it wraps mpi4py's ``COMM_WORLD``; started without a launcher it
is a one-rank communicator (every collective is then a copy), which needs no MPI at all.

Every collective is posted non-blocking and polled against a deadline (``timeout`` seconds,
default ``$CHAINRULE_DIST_TIMEOUT`` or 300): a rank that died, hung or left the job early is
reported within that bound — :class:`CollectiveTimeout` names the operation and this rank — instead
of the job waiting forever. An uncaught error then aborts the whole job (see :mod:`.faults`).
"""

from __future__ import annotations

import os
import time

import numpy as np

from . import codec

_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS")


class CollectiveTimeout(RuntimeError):
    """A collective did not complete within the communicator's timeout (a rank is gone or hung)."""


def _default_timeout() -> float:
    raw = os.environ.get("CHAINRULE_DIST_TIMEOUT", "300")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"CHAINRULE_DIST_TIMEOUT must be a number of seconds, got {raw!r}"
        ) from None
    if not value > 0:
        raise ValueError(f"CHAINRULE_DIST_TIMEOUT must be > 0 seconds, got {raw!r}")
    return value


class Communicator:
    """Collectives over an mpi4py communicator (``comm``; default ``MPI.COMM_WORLD``).

    ``rank`` and ``size`` come from the MPI environment. Buffers are NumPy arrays, reduced or
    broadcast in place. ``timeout``: seconds any one collective may take (see the module doc).
    """

    def __init__(self, comm=None, timeout: float | None = None):
        from mpi4py import MPI

        self._MPI = MPI
        self.comm = MPI.COMM_WORLD if comm is None else comm
        self.rank: int = self.comm.Get_rank()
        self.size: int = self.comm.Get_size()
        self.timeout = _default_timeout() if timeout is None else float(timeout)

    # ------------------------------------------------------------------ waiting with a deadline
    def wait(self, request, what: str) -> None:
        """Complete ``request``, polling it; raise CollectiveTimeout after ``timeout`` seconds.

        Polls tightly for the first millisecond (small collectives finish there), then sleeps
        between polls so a waiting rank leaves the CPU to the ranks still computing.
        """
        if request.Test():
            return
        start = time.perf_counter()
        deadline = start + self.timeout
        nap = 0.0
        while not request.Test():
            now = time.perf_counter()
            if now > deadline:
                raise CollectiveTimeout(
                    f"chainrule.distributed: rank {self.rank} of {self.size}: {what} did not "
                    f"complete within {self.timeout:g} s; another rank has stopped responding "
                    "(crashed, hung or left the job early)"
                )
            if now - start > 1e-3:
                nap = min(2e-4, nap * 2 or 2e-5)
                time.sleep(nap)

    # ------------------------------------------------------------------ array collectives
    def iallreduce(self, buf: np.ndarray, op: str = "sum"):
        """Start summing (or ``op="max"``) ``buf`` across ranks in place; returns a request."""
        mpi_op = self._MPI.SUM if op == "sum" else self._MPI.MAX
        return self.comm.Iallreduce(self._MPI.IN_PLACE, buf, op=mpi_op)

    def allreduce(self, buf: np.ndarray, op: str = "sum") -> np.ndarray:
        """Sum (or max) ``buf`` across ranks, in place; returns it."""
        self.wait(self.iallreduce(buf, op), f"allreduce of {buf.size} {buf.dtype} values")
        return buf

    def broadcast(self, buf: np.ndarray, root: int = 0) -> np.ndarray:
        """Overwrite ``buf`` on every rank with ``root``'s values, in place; returns it."""
        self.wait(self.comm.Ibcast(buf, root=root), f"broadcast of {buf.size} {buf.dtype} values")
        return buf

    def barrier(self) -> None:
        self.wait(self.comm.Ibarrier(), "barrier")

    # ------------------------------------------------------------------ Python objects
    def broadcast_object(self, obj, root: int = 0):
        """``root``'s ``obj`` on every rank (small state: configs, optimizer state), sent in the
        JSON-based format of :mod:`.codec` — never pickled."""
        data = codec.encode(obj) if self.rank == root else b""
        n = self.broadcast(np.array([len(data)], dtype=np.int64), root)[0]
        buf = np.frombuffer(data, dtype=np.uint8).copy() if self.rank == root else None
        if buf is None:
            buf = np.empty(int(n), dtype=np.uint8)
        self.broadcast(buf, root)
        return obj if self.rank == root else codec.decode(buf.tobytes())

    def allgather_object(self, obj) -> list:
        """Every rank's ``obj``, in rank order (sent as :mod:`.codec`, never pickled)."""
        data = np.frombuffer(codec.encode(obj), dtype=np.uint8)
        sizes = np.zeros(self.size, dtype=np.int64)
        sizes[self.rank] = data.size
        self.allreduce(sizes)
        out = np.empty(int(sizes.sum()), dtype=np.uint8)
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        req = self.comm.Iallgatherv(data, [out, (sizes, offsets), self._MPI.BYTE])
        self.wait(req, "allgather")
        return [
            codec.decode(out[o : o + s].tobytes()) for o, s in zip(offsets.tolist(), sizes.tolist())
        ]

    # ------------------------------------------------------------------ faults
    def abort(self, code: int = 1) -> None:
        """End every rank of the job now (MPI_Abort)."""
        self.comm.Abort(code)


class LocalCommunicator:
    """The one-rank communicator of a process started without a launcher: collectives are copies."""

    rank = 0
    size = 1
    timeout = float("inf")

    def allreduce(self, buf: np.ndarray, op: str = "sum") -> np.ndarray:
        return buf

    def iallreduce(self, buf: np.ndarray, op: str = "sum"):
        return _Done()

    def wait(self, request, what: str) -> None:
        return None

    def broadcast(self, buf: np.ndarray, root: int = 0) -> np.ndarray:
        return buf

    def barrier(self) -> None:
        return None

    def broadcast_object(self, obj, root: int = 0):
        return obj

    def allgather_object(self, obj) -> list:
        return [obj]

    def abort(self, code: int = 1) -> None:
        os._exit(code)


class _Done:
    def Test(self) -> bool:  # mpi4py's name
        return True


_WORLD = None


def launched_by_mpi() -> bool:
    """Whether a launcher (mpiexec, srun) started this process as one rank of a job."""
    return any(v in os.environ for v in _LAUNCHER_VARS)


def get_communicator():
    """The process-wide communicator: MPI's COMM_WORLD, or a one-rank one without a launcher."""
    global _WORLD
    if _WORLD is None:
        try:
            _WORLD = Communicator()
        except ImportError:
            if launched_by_mpi():
                raise ImportError(
                    "chainrule.distributed: this process was started by an MPI launcher but "
                    "mpi4py is not installed; pip install 'chainrule[mpi]'"
                ) from None
            _WORLD = LocalCommunicator()
    return _WORLD


def rank() -> int:
    """This process's rank (0 without a launcher)."""
    return get_communicator().rank


def world_size() -> int:
    """The number of ranks in the job (1 without a launcher)."""
    return get_communicator().size


def is_main_process() -> bool:
    """True on rank 0: the one rank that prints progress and writes files."""
    return get_communicator().rank == 0
