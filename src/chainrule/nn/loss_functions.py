"""PyTorch's loss functions (``F.cross_entropy``, ``F.nll_loss``, …) with its names, defaults and
reductions. Class axis 1: input (N, C) or (N, C, d1, …); class-index targets (N,) or (N, d1, …)
(int64), or probability targets of the input's shape.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import ops
from ..ops._convert import ensure_tensor
from ..ops.nll import nll
from ..tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """PyTorch's deprecated ``size_average`` / ``reduce`` flags mapped onto ``reduction``."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _check_reduction(op: str, reduction: str, extra: tuple = ()) -> None:
    if reduction not in _REDUCTIONS + extra:
        raise ValueError(
            f"{op}: reduction must be one of {list(_REDUCTIONS + extra)}, got {reduction!r}"
        )


def _reduce(values: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return values.mean()
    if reduction == "sum":
        return values.sum()
    return values


def _weighted(op: str, loss: Tensor, weight, reduction: str, x: Tensor) -> Tensor:
    """PyTorch's elementwise ``weight`` (the input's shape): 'mean' divides by its sum."""
    w = ensure_tensor(weight, x)
    if tuple(w.shape) != tuple(x.shape):
        raise ValueError(f"{op}: weights and input must have the same size, got {w.shape} and "
                         f"{x.shape}")  # fmt: skip
    loss = loss * w
    if reduction == "mean":
        return loss.sum() / w.sum()
    return _reduce(loss, reduction)


def _weight_like(op: str, weight, x: Tensor) -> Tensor:
    w = ensure_tensor(weight, x)
    if tuple(w.shape) != tuple(x.shape):
        raise ValueError(f"{op}: weights and input must have the same size")
    return w


def _pair(op: str, input, target) -> tuple[Tensor, Tensor]:
    """Input and float target; a shape mismatch broadcasts with PyTorch's warning."""
    x = ensure_tensor(input)
    t = ensure_tensor(target, x)
    if t.data.dtype != x.data.dtype and not t.requires_grad:
        t = Tensor._wrap(t.data.astype(x.data.dtype))
    if t.shape != x.shape:
        try:
            np.broadcast_shapes(t.shape, x.shape)
        except ValueError:
            raise ValueError(
                f"{op}: input {x.shape} and target {t.shape} do not broadcast"
            ) from None
        warnings.warn(
            f"{op}: using a target size {tuple(t.shape)} that is different to the input size "
            f"{tuple(x.shape)}; this will likely lead to incorrect results due to broadcasting",
            UserWarning,
            stacklevel=3,
        )
    return x, t


def _as_batched(input: Tensor, target):
    """An unbatched (C,) input with a 0-d target becomes a batch of one."""
    if input.ndim == 1:
        t = target.data if isinstance(target, Tensor) else np.asarray(target)
        if t.ndim == 0:
            return ops.unsqueeze(input, 0), t.reshape(1), True
        if t.shape == input.shape and t.dtype.kind == "f":
            return ops.unsqueeze(input, 0), ensure_tensor(target).reshape(1, -1), True
    return input, target, False


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` (N, C, …) at integer ``target``.

    ``reduction='mean'`` divides by the summed class weights of the non-ignored targets.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("nll_loss", reduction)
    input = ensure_tensor(input)
    input, target, unbatched = _as_batched(input, target)
    loss, w = nll(input, target, weight, ignore_index, "nll_loss")
    if reduction == "none":
        return loss[0] if unbatched else loss
    total = loss.sum()
    return total / float(w.sum()) if reduction == "mean" else total


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,
    size_average=None,
    ignore_index: int = -100,
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from logits ``input`` (N, C) or (N, C, d1, …).

    ``target``: integer classes (N,) / (N, d1, …), or class probabilities of the input's shape.
    ``weight`` (C,) rescales each class; ``ignore_index`` drops targets with that class (index
    targets only); ``label_smoothing`` ε mixes the target with the uniform distribution.
    """
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = ensure_tensor(input)
    x, target, unbatched = _as_batched(x, target)
    if x.ndim < 2:
        raise ValueError(f"cross_entropy: input needs shape (N, C, ...), got {x.shape}")
    c = x.shape[1]
    t_arr = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t_arr.dtype.kind == "f" and t_arr.shape == x.shape:  # class probabilities
        out = _soft_cross_entropy(x, target, weight, reduction, label_smoothing)
    elif weight is None and label_smoothing == 0.0 and not (t_arr == ignore_index).any():
        if t_arr.dtype.kind not in "iu":  # the fused softmax + NLL node (fast path)
            raise TypeError(
                f"cross_entropy: targets must be int64 class indices or float probabilities of "
                f"the input's shape {x.shape}; got dtype {t_arr.dtype}, shape {t_arr.shape}"
            )
        expected = (x.shape[0],) + x.shape[2:]
        if t_arr.shape != expected:
            raise ValueError(
                f"cross_entropy: input of shape {x.shape} needs targets of shape {expected}, "
                f"got {t_arr.shape}"
            )
        per = ops.sparse_softmax_cross_entropy(x, t_arr, axis=1)
        out = _reduce(per, reduction)
    else:
        logp = ops.log_softmax(x, 1)
        loss, w = nll(logp, target, weight, ignore_index, "cross_entropy")
        if label_smoothing > 0:
            wc = None if weight is None else ensure_tensor(weight).data.astype(x.data.dtype)
            lp = logp if wc is None else logp * Tensor._wrap(wc.reshape((c,) + (1,) * (x.ndim - 2)))
            keep = Tensor._wrap((t_arr != ignore_index).astype(x.data.dtype))
            smooth = -lp.sum(axis=1) * keep
            eps = float(label_smoothing)
            if reduction == "none":
                out = loss * (1.0 - eps) + smooth * (eps / c)
            else:
                s_nll, s_smooth = loss.sum(), smooth.sum()
                if reduction == "mean":
                    denom = float(w.sum())
                    s_nll, s_smooth = s_nll / denom, s_smooth / denom
                out = s_nll * (1.0 - eps) + s_smooth * (eps / c)
        elif reduction == "none":
            out = loss
        else:
            out = loss.sum()
            if reduction == "mean":
                out = out / float(w.sum())
    return out[0] if unbatched and reduction == "none" else out


def _soft_cross_entropy(x: Tensor, target, weight, reduction: str, eps: float) -> Tensor:
    """−Σ_c w_c t_c log softmax(x)_c; 'mean' divides by the number of (sample, position) pairs."""
    c = x.shape[1]
    t = ensure_tensor(target, x)
    if eps > 0:
        t = t * (1.0 - eps) + eps / c
    logp = ops.log_softmax(x, 1)
    prod = logp * t
    if weight is not None:
        wd = ensure_tensor(weight).data
        if wd.shape != (c,):
            raise ValueError(f"cross_entropy: weight must have shape ({c},), got {wd.shape}")
        wd = wd.astype(x.data.dtype).reshape((c,) + (1,) * (x.ndim - 2))
        prod = prod * Tensor._wrap(wd)
    per = -prod.sum(axis=1)
    return _reduce(per, reduction)


def mse_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None
) -> Tensor:
    """Mean of (input − target)² (weighted by ``weight``, of the input's shape, if given)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("mse_loss", reduction)
    x, t = _pair("mse_loss", input, target)
    d = x - t
    if weight is not None:
        return _weighted("mse_loss", d * d, weight, reduction, x)
    return _reduce(d * d, reduction)


def l1_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", weight=None
) -> Tensor:
    """Mean of |input − target| (weighted by ``weight``, of the input's shape, if given)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("l1_loss", reduction)
    x, t = _pair("l1_loss", input, target)
    if weight is not None:
        return _weighted("l1_loss", ops.abs(x - t), weight, reduction, x)
    return _reduce(ops.abs(x - t), reduction)


def smooth_l1_loss(
    input, target, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0
) -> Tensor:
    """0.5 d²/β where |d| < β, |d| − 0.5 β elsewhere (d = input − target)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    x, t = _pair("smooth_l1_loss", input, target)
    d = ops.abs(x - t)
    if beta == 0:
        return _reduce(d, reduction)
    quad = Tensor._wrap(d.data < beta)
    return _reduce(ops.where(quad, d * d * (0.5 / beta), d - 0.5 * beta), reduction)


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0, weight=None) -> Tensor:
    """0.5 d² where |d| < δ, δ(|d| − 0.5 δ) elsewhere."""
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    x, t = _pair("huber_loss", input, target)
    d = ops.abs(x - t)
    quad = Tensor._wrap(d.data < delta)
    loss = ops.where(quad, d * d * 0.5, (d - 0.5 * delta) * delta)
    if weight is not None:
        if reduction == "mean":  # PyTorch's weighted Huber averages over elements
            return _reduce(loss * _weight_like("huber_loss", weight, x), "mean")
        return _weighted("huber_loss", loss, weight, reduction, x)
    return _reduce(loss, reduction)


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction: str = "mean"
) -> Tensor:
    """−w [t log p + (1 − t) log(1 − p)] on probabilities; each log is clamped at −100 as in
    PyTorch, so p = 0 or 1 gives a finite loss."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy", reduction)
    x, t = _pair("binary_cross_entropy", input, target)
    if x.shape != t.shape:
        raise ValueError(
            f"binary_cross_entropy: target size {t.shape} must equal input size {x.shape}"
        )
    d = x.data
    if d.size and (d.min() < 0 or d.max() > 1):
        raise ValueError("binary_cross_entropy: all input values must lie in [0, 1]")
    log_p = ops.clip(ops.log(x), -100.0, None)
    log_q = ops.clip(ops.log(1.0 - x), -100.0, None)
    loss = -(t * log_p + (1.0 - t) * log_q)
    if weight is not None:
        loss = loss * ensure_tensor(weight, x)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
) -> Tensor:
    """Binary cross-entropy from logits, stable for any logit; ``pos_weight`` (broadcast along
    the last axis, e.g. (C,)) multiplies the positive term."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    x, t = _pair("binary_cross_entropy_with_logits", input, target)
    if x.shape != t.shape:
        raise ValueError(
            f"binary_cross_entropy_with_logits: target size {t.shape} must equal input size "
            f"{x.shape}"
        )
    if pos_weight is None:
        loss = ops.binary_cross_entropy_with_logits(x, t)
    else:  # (1 − t)·x + (1 + (pw − 1)·t)·softplus(−x)
        pw = ensure_tensor(pos_weight, x)
        loss = (1.0 - t) * x + (1.0 + (pw - 1.0) * t) * ops.softplus(-x, 1.0, 20.0)
    if weight is not None:
        loss = loss * ensure_tensor(weight, x)
    return _reduce(loss, reduction)


def kl_div(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """Pointwise t (log t − input) with ``input`` log-probabilities (0 where t = 0).
    ``reduction='batchmean'`` divides the sum by the batch size (the true KL divergence)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    _check_reduction("kl_div", reduction, ("batchmean",))
    x, t = _pair("kl_div", input, target)
    if log_target:
        loss = ops.exp(t) * (t - x)
    else:
        td = t.data
        positive = Tensor._wrap(td > 0)
        safe_t = ops.where(positive, t, 1.0)
        loss = ops.where(positive, t * (ops.log(safe_t) - x), 0.0 * x)
    if reduction == "batchmean":
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _reduce(loss, reduction)
