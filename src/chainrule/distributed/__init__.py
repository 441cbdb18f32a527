"""Data-parallel training over MPI (mpi4py): ``Model.fit(..., distributed=True)`` or, in a
hand-written loop, :class:`DistributedDataParallel` with a :class:`DistributedSampler`.

Launch with ``mpiexec -n 4 python train.py`` (or ``chainrule train PRESET --distributed``); see
docs/distributed.md. Without a launcher everything runs as one rank and needs no MPI. mpi4py is an
optional extra (``pip install 'chainrule[mpi]'``), imported only when a communicator is made.
"""

from .comm import (
    CollectiveTimeout,
    Communicator,
    LocalCommunicator,
    get_communicator,
    is_main_process,
    launched_by_mpi,
    rank,
    world_size,
)
from .ddp import DistributedDataParallel
from .faults import abort_on_error, install_abort_handler
from .reducer import GradientReducer, GradientSynchronizer, MPIReducer
from .sampler import DistributedSampler
from .strategy import DataParallel, broadcast_arrays
from .sync_batchnorm import convert_sync_batchnorm, restore_batchnorm

__all__ = [
    "CollectiveTimeout", "Communicator", "DataParallel", "DistributedDataParallel",
    "DistributedSampler", "GradientReducer", "GradientSynchronizer", "LocalCommunicator",
    "MPIReducer", "abort_on_error", "broadcast_arrays", "convert_sync_batchnorm",
    "get_communicator", "install_abort_handler", "is_main_process", "launched_by_mpi", "rank",
    "restore_batchnorm", "world_size",
]  # fmt: skip
