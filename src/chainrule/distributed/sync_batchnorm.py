"""Synchronised batch normalisation: batch statistics over the global batch of every rank.

``convert_sync_batchnorm(module, context)`` turns each BatchNorm layer in ``module`` into a
synchronised one in place (PyTorch's ``SyncBatchNorm.convert_sync_batchnorm``); its parameters,
running statistics and configuration are kept, and ``restore_batchnorm`` turns them back. In
training, the mean and variance per feature are computed over the samples of all ranks — two
all-reduces in forward and two in backward — so N ranks with B/N samples each normalise exactly
as one process with B samples does. In evaluation the layer is an ordinary BatchNorm.

Gradient scaling. Each rank backpropagates its own loss and the synchroniser later combines the
gradients as ``Σ_r w_r g_r`` with ``w_r = weight_r / Σ weight`` (weight = the rank's sample count
in ``fit``, 1 in DistributedDataParallel). The statistics couple the ranks, so the backward of the
sum over ranks returns ``(Σ_r w_r g_r) / w_r`` on each rank: after the final weighting this is the
exact gradient of the global objective.
"""

from __future__ import annotations

import numpy as np

from ..function import Function

_SYNC_CLASSES: dict[type, type] = {}


def _batchnorm_base() -> type:
    """The Keras-door BatchNormalization layer class (imported late: layers sit above distributed)."""
    from ..layers import BatchNormalization

    return BatchNormalization


class _AllreduceSum(Function):
    """Sum of an array over ranks; backward returns ``allreduce(g · frac) / frac`` (see above)."""

    def forward(self, a, comm=None, frac: float = 1.0):
        self.comm, self.frac = comm, frac
        out = a.copy()
        comm.allreduce(out)
        return out

    def backward(self, grad):
        g = grad * grad.dtype.type(self.frac)
        self.comm.allreduce(g)
        g /= grad.dtype.type(self.frac)
        return g


def _sync_forward(self, x):
    """Training-mode forward of a synchronised BatchNorm (``self`` is the layer)."""
    if not self.training:
        return self._unsynced_forward(x)
    if x.ndim < 2 or not -x.ndim <= self.axis < x.ndim or x.shape[self.axis] != self.num_features:
        return self._unsynced_forward(x)  # raises its own shape error
    ctx = self._sync_context
    comm = ctx.comm
    axis = self.axis % x.ndim
    c = self.num_features
    axes = tuple(i for i in range(x.ndim) if i != axis)
    shape = tuple(c if i == axis else 1 for i in range(x.ndim))
    weight = float(ctx.weight)
    meta = comm.allreduce(np.array([x.data.size // c, weight], dtype=np.float64))
    n, total_weight = float(meta[0]), float(meta[1])
    if n < 2:
        raise ValueError(
            f"{self.describe()} (synchronised): training needs more than one value per feature "
            f"over all ranks, got {int(n)}"
        )
    frac = weight / total_weight
    t = x.data.dtype.type
    mean = _AllreduceSum.apply(x.sum(axis=axes), comm=comm, frac=frac) * t(1 / n)
    d = x - mean.reshape(shape)
    var = _AllreduceSum.apply((d * d).sum(axis=axes), comm=comm, frac=frac) * t(1 / n)
    y = d * ((var + t(self.epsilon)) ** -0.5).reshape(shape)
    if self.gamma is not None:
        y = y * self.gamma.reshape(shape)
    if self.beta is not None:
        y = y + self.beta.reshape(shape)
    m = self.momentum
    self.running_mean *= m
    self.running_mean += (1 - m) * mean.data.astype(self.running_mean.dtype)
    self.running_var *= m
    batch_var = var.data * t(n / (n - 1)) if self.unbiased_running_var else var.data
    self.running_var += (1 - m) * batch_var.astype(self.running_var.dtype)
    return y


def _sync_class(cls: type) -> type:
    if cls not in _SYNC_CLASSES:
        # The same class name: a model saved during training (checkpoints) names the plain layer.
        _SYNC_CLASSES[cls] = type(
            cls.__name__,
            (cls,),
            {"forward": _sync_forward, "_unsynced_forward": cls.forward, "_sync_original": cls,
             "__qualname__": cls.__qualname__, "__module__": cls.__module__},
        )  # fmt: skip
    return _SYNC_CLASSES[cls]


def convert_sync_batchnorm(module, context) -> int:
    """Make every BatchNorm in ``module`` synchronised over ``context.comm`` (in place).

    ``context`` has ``comm`` (a communicator) and ``weight`` (this rank's gradient weight, read at
    each forward). Returns the number of layers converted.
    """
    base = _batchnorm_base()
    count = 0
    for m in module.modules():
        if isinstance(m, base) and not hasattr(type(m), "_sync_original"):
            m.__class__ = _sync_class(type(m))
            m._sync_context = context
            count += 1
    return count


def restore_batchnorm(module) -> None:
    """Undo :func:`convert_sync_batchnorm`: every synchronised layer is a plain BatchNorm again."""
    for m in module.modules():
        original = getattr(type(m), "_sync_original", None)
        if original is not None:
            m.__class__ = original
            m.__dict__.pop("_sync_context", None)
