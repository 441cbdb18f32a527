"""DistributedDataParallel: data-parallel training for a hand-written loop (the PyTorch door).

``model = DistributedDataParallel(module)`` broadcasts rank 0's parameters and buffers, then
delegates ``model(x)`` to ``module``. Each forward with gradients enabled arms the reduction; during
``loss.backward()`` buckets of gradients are summed across ranks as they become ready, and when
backward returns every ``.grad`` holds the average over the ranks (PyTorch's semantics: the mean
of the per-rank gradients). ``opt.step()`` then takes the same step everywhere::

    sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    model = DistributedDataParallel(net)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for idx in batches_of(list(sampler), b):
            loss = loss_fn(model(x[idx]), y[idx])
            opt.zero_grad(); loss.backward(); opt.step()

``no_sync()`` skips the reduction (gradient accumulation); the next armed backward averages the
accumulated gradients. ``sync_batchnorm=True`` synchronises BatchNorm statistics over ranks.
"""

from __future__ import annotations

import contextlib

from ..function import is_grad_enabled
from ..nn.module import Module
from .comm import get_communicator
from .faults import install_abort_handler
from .reducer import GradientSynchronizer, MPIReducer
from .strategy import broadcast_arrays


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training (see the module docstring).

    Args:
        module: the network (built: its parameters exist; build lazy layers with one forward).
        bucket_cap_mb: largest gradient bucket in MB (PyTorch's default 25).
        overlap: reduce buckets during backward as their gradients become ready.
        sync_batchnorm: BatchNorm statistics over the global batch instead of per rank.
        broadcast_buffers: give every rank rank 0's buffers (e.g. BatchNorm running statistics)
            at each training forward, as PyTorch does.
        comm: a communicator (default: from the MPI environment).
    """

    def __init__(self, module: Module, bucket_cap_mb: float = 25.0, overlap: bool = True,
                 sync_batchnorm: bool = False, broadcast_buffers: bool = True, comm=None):  # fmt: skip
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: module must be a chainrule Module, got "
                f"{type(module).__name__}"
            )
        params = module.trainable_parameters()
        if not params:
            raise ValueError(
                f"DistributedDataParallel: {type(module).__name__} has no trainable parameters yet; "
                "build it first (one forward pass on a batch) so every rank has the same weights"
            )
        self.module = module
        self.comm = get_communicator() if comm is None else comm
        install_abort_handler(self.comm)
        shapes = self.comm.allgather_object([tuple(p.shape) for p in params])
        if any(s != shapes[0] for s in shapes):
            raise ValueError(
                "DistributedDataParallel: the ranks hold different models (parameter counts per "
                f"rank: {[len(s) for s in shapes]}); build the same model on every rank"
            )
        broadcast_arrays(self.comm, [p.data for p in module.parameters()])
        broadcast_arrays(self.comm, [b for _, b in module.named_buffers()])
        self.broadcast_buffers = bool(broadcast_buffers)
        self.weight = 1.0
        self._sync = GradientSynchronizer(params, MPIReducer(self.comm), bucket_cap_mb, overlap)
        self._sync.auto_finish = True
        self._no_sync = False
        if sync_batchnorm:
            from .sync_batchnorm import convert_sync_batchnorm

            convert_sync_batchnorm(module, self)

    @property
    def rank(self) -> int:
        return self.comm.rank

    @property
    def world_size(self) -> int:
        return self.comm.size

    def forward(self, *args, **kwargs):
        if is_grad_enabled() and not self._no_sync:
            if self.broadcast_buffers and self.module.training:
                broadcast_arrays(self.comm, [b for _, b in self.module.named_buffers()])
            self._sync.begin(self.weight)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Forward/backward inside this block accumulate gradients locally, without reducing."""
        previous = self._no_sync
        self._no_sync = True
        try:
            yield
        finally:
            self._no_sync = previous
