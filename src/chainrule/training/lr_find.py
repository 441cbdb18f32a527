"""The learning-rate range test (Smith, 2017): train briefly while raising the learning rate
geometrically, watch the loss, and suggest a learning rate from where it falls fastest.

``lr_find(model, x, y)`` works on any compiled model and leaves it as it found it: the weights and
buffers, the optimizer (its state and learning rate; the test runs on a fresh copy of it) and the
global random stream are restored afterwards.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import random as _random
from .step import Step


@dataclass
class LRFindResult:
    """``lrs`` (the learning rate of each step), ``losses`` (smoothed, bias-corrected batch loss),
    ``raw_losses`` (the batch losses), ``suggestion`` (the learning rate where the smoothed loss
    falls fastest against log(lr)), ``min_loss_lr`` (where it is lowest) and ``diverged`` (the test
    stopped early because the loss blew up)."""

    lrs: list[float] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    raw_losses: list[float] = field(default_factory=list)
    suggestion: float = math.nan
    min_loss_lr: float = math.nan
    diverged: bool = False

    def plot(self, path: str | os.PathLike, ax=None) -> Path | None:
        """Loss against learning rate (log scale) with the suggestion marked; draws into ``ax``
        when given (returns None), otherwise writes a PNG to ``path``."""
        from ..plotting import new_figure, save_png

        fig = None
        if ax is None:
            fig = new_figure(5.0, 3.6)
            ax = fig.add_subplot(1, 1, 1)
        ax.plot(self.lrs, self.raw_losses, color="0.75", linewidth=0.8, label="batch loss")
        ax.plot(self.lrs, self.losses, color="C0", label="smoothed")
        if math.isfinite(self.suggestion):
            ax.axvline(self.suggestion, color="C3", linestyle="--",
                       label=f"suggestion {self.suggestion:.2g}")  # fmt: skip
        ax.set_xscale("log")
        finite = [v for v in self.losses if math.isfinite(v)]
        if finite:
            ax.set_ylim(min(finite) * 0.9, min(max(finite), 4 * min(finite)) * 1.1)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("learning-rate range test")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        return save_png(fig, path) if fig is not None else None


def lr_find(
    model,
    x,
    y,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size: int = 32,
    smoothing: float = 0.98,
    diverge_factor: float = 4.0,
    sample_weight=None,
) -> LRFindResult:
    """Run the range test on a compiled ``model`` over ``(x, y)`` and return an LRFindResult.

    ``num_steps`` training steps on random batches of ``batch_size``, the learning rate rising
    geometrically from ``start_lr`` to ``end_lr``; the test stops early once the smoothed loss
    exceeds ``diverge_factor`` times its best value. The model is restored afterwards.
    """
    if not getattr(model, "compiled", False):
        raise ValueError("lr_find: compile the model (optimizer, loss) first")
    if not (0 < start_lr < end_lr) or not math.isfinite(end_lr):
        raise ValueError(
            f"lr_find: need 0 < start_lr < end_lr (finite), got {start_lr!r}, {end_lr!r}"
        )
    if isinstance(num_steps, bool) or not isinstance(num_steps, int) or num_steps < 2:
        raise ValueError(f"lr_find: num_steps must be an int >= 2, got {num_steps!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"lr_find: batch_size must be a positive int, got {batch_size!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"lr_find: smoothing must be in [0, 1), got {smoothing!r}")
    if not diverge_factor > 1:
        raise ValueError(f"lr_find: diverge_factor must be > 1, got {diverge_factor!r}")

    step = Step(model)
    xs, ys, w, n = step.prepare(x, y, sample_weight, None, "lr_find")
    saved_state = {k: np.array(v, copy=True) for k, v in model.state_dict().items()}
    saved_opt = model.optimizer
    saved_rng = _random.get_state()
    saved_training = model.training
    model.optimizer = type(saved_opt).from_config(saved_opt.get_config())
    result = LRFindResult()
    lrs = np.geomspace(start_lr, end_lr, num_steps)
    gen = _random.get_generator()
    avg, best = 0.0, math.inf
    try:
        model.train()
        for i, lr in enumerate(lrs):
            model.optimizer.lr = float(lr)
            idx = gen.choice(n, size=min(batch_size, n), replace=False)
            step.reset_metrics()
            step.train([a[idx] for a in xs], [a[idx] for a in ys], None if w is None else w[idx])
            loss = step.loss_sum / max(step.seen, 1)
            avg = smoothing * avg + (1 - smoothing) * loss
            smooth = avg / (1 - smoothing ** (i + 1))
            result.lrs.append(float(lr))
            result.raw_losses.append(float(loss))
            result.losses.append(float(smooth))
            if not math.isfinite(smooth) or smooth > diverge_factor * best:
                result.diverged = True
                break
            best = min(best, smooth)
    finally:
        model.load_state_dict(saved_state)
        model.optimizer = saved_opt
        _random.set_state(saved_rng)
        model.train(saved_training)
    _suggest(result)
    return result


def _suggest(result: LRFindResult) -> None:
    losses = np.asarray(result.losses, dtype=float)
    lrs = np.asarray(result.lrs, dtype=float)
    finite = np.isfinite(losses)
    if finite.sum() < 3:
        return
    i_min = int(np.nanargmin(np.where(finite, losses, np.nan)))
    result.min_loss_lr = float(lrs[i_min])
    if i_min < 2:  # the loss never fell: the range started too high
        result.suggestion = float(lrs[0])
        return
    slope = np.gradient(losses[: i_min + 1], np.log10(lrs[: i_min + 1]))
    result.suggestion = float(lrs[int(np.argmin(slope))])
