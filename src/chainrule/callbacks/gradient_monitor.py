"""GradientMonitor: per-layer gradient norms, weight norms and update/weight ratios during fit.

It registers itself on the model as a *gradient observer* (``model._gradient_observers``, called
by the train step after backward and before the optimizer step, while the gradients still exist),
so it sees every layer's gradient; ``on_train_batch_end`` then sees the updated weights.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np

from .base import Callback


def _norm(arrays) -> float:
    return math.sqrt(sum(float(np.vdot(a, a).real) for a in arrays))


class GradientMonitor(Callback):
    """Record, per layer with parameters, every ``every`` training steps:

    - ``grad_norm``: L2 norm of the layer's gradients (all its parameters together),
    - ``weight_norm``: L2 norm of its weights before the step,
    - ``update_ratio``: ||w_after − w_before|| / ||w_before|| (about 1e-3 is the usual healthy
      value; much larger means the step is too big, much smaller that the layer barely learns),
    - ``dead_fraction`` (layers with a ReLU activation and a bias, e.g. ``Dense(..,
      activation="relu")``): the fraction of units whose bias gradient is exactly 0 on the batch —
      units whose ReLU was off for every sample of the batch.

    Warns once per layer and kind (a ``UserWarning`` naming the layer) when a gradient norm falls
    below ``vanish`` or rises above ``explode``, or when ``dead_fraction`` reaches ``dead_relu``.
    ``plot_to``: a PNG path written at the end of training (or call :meth:`plot`).

    After fit: ``steps`` (the global step of each record), ``layers`` (names in model order),
    ``history[layer][quantity]`` (lists aligned with ``steps``), ``warnings`` (the messages).
    """

    def __init__(
        self,
        every: int = 1,
        vanish: float = 1e-7,
        explode: float = 1e3,
        dead_relu: float = 0.5,
        plot_to: str | os.PathLike | None = None,
        verbose: int = 1,
    ):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientMonitor: every must be a positive int, got {every!r}")
        for name, value in (("vanish", vanish), ("explode", explode), ("dead_relu", dead_relu)):
            if not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(
                    f"GradientMonitor: {name} must be a positive number, got {value!r}"
                )
        if vanish >= explode:
            raise ValueError(
                f"GradientMonitor: vanish ({vanish}) must be below explode ({explode})"
            )
        self.every = every
        self.vanish, self.explode, self.dead_relu = float(vanish), float(explode), float(dead_relu)
        self.plot_to = plot_to
        self.verbose = verbose
        self.steps: list[int] = []
        self.layers: list[str] = []
        self.history: dict[str, dict[str, list[float]]] = {}
        self.warnings: list[str] = []
        self._warned: set = set()
        self._step = 0
        self._before: dict | None = None

    # ------------------------------------------------------------------ layer discovery
    def _discover(self) -> None:
        from ..activations import relu

        self._groups = []
        for path, module in self.model.named_modules():
            # the module's own parameters (its sub-modules' are theirs)
            params = [v for _, v in module._children() if _is_param(v) and v.requires_grad]
            if not params:
                continue
            label = getattr(module, "name", None) or path or type(module).__name__
            bias = getattr(module, "bias", None)
            relu_bias = (
                bias if getattr(module, "activation", None) is relu and _is_param(bias) else None
            )
            self._groups.append((label, params, relu_bias))
        labels = [g[0] for g in self._groups]
        self.layers = labels
        for label in labels:
            self.history.setdefault(
                label,
                {"grad_norm": [], "weight_norm": [], "update_ratio": [], "dead_fraction": []},
            )

    def on_train_begin(self, logs=None):
        self._discover()
        observers = self.model.__dict__.setdefault("_gradient_observers", [])
        observers.append(self._observe)

    def on_train_end(self, logs=None):
        observers = self.model.__dict__.get("_gradient_observers", [])
        if self._observe in observers:
            observers.remove(self._observe)
        if self.plot_to is not None and self.steps:
            self.plot(self.plot_to)

    # ------------------------------------------------------------------ measuring
    def _observe(self, params) -> None:
        """Gradient observer: called after backward, before the optimizer step."""
        step = self._step
        self._step += 1
        if step % self.every:
            self._before = None
            return
        self.steps.append(step)
        before = {}
        for label, ps, relu_bias in self._groups:
            rec = self.history[label]
            grads = [p.grad for p in ps if p.grad is not None]
            gnorm = _norm(grads) if grads else 0.0
            wnorm = _norm([p.data for p in ps])
            rec["grad_norm"].append(gnorm)
            rec["weight_norm"].append(wnorm)
            before[label] = [np.array(p.data, copy=True) for p in ps]
            dead = math.nan
            if relu_bias is not None and relu_bias.grad is not None:
                dead = float(np.count_nonzero(relu_bias.grad == 0)) / relu_bias.grad.size
            rec["dead_fraction"].append(dead)
            self._check(label, gnorm, dead, step)
        self._before = before

    def on_train_batch_end(self, batch: int, logs=None):
        before, self._before = self._before, None
        if before is None:
            return
        for label, ps, _ in self._groups:
            old = before[label]
            delta = _norm([p.data - o for p, o in zip(ps, old)])
            wnorm = _norm(old)
            self.history[label]["update_ratio"].append(delta / wnorm if wnorm else math.nan)

    def _check(self, label: str, gnorm: float, dead: float, step: int) -> None:
        if not math.isfinite(gnorm) or gnorm > self.explode:
            self._warn(
                label, "explode", f"gradient norm {gnorm:.3g} is above {self.explode:g}", step
            )
        elif gnorm < self.vanish:
            self._warn(label, "vanish", f"gradient norm {gnorm:.3g} is below {self.vanish:g}", step)
        if not math.isnan(dead) and dead >= self.dead_relu:
            self._warn(
                label,
                "dead",
                f"{dead:.0%} of its ReLU units received no gradient on the whole batch "
                f"(dead ReLUs; threshold {self.dead_relu:.0%})",
                step,
            )

    def _warn(self, label: str, kind: str, what: str, step: int) -> None:
        if (label, kind) in self._warned:
            return
        self._warned.add((label, kind))
        words = {"explode": "exploding", "vanish": "vanishing", "dead": "dying ReLUs"}[kind]
        msg = f"GradientMonitor: {words} in layer '{label}' at step {step}: {what}"
        self.warnings.append(msg)
        if self.verbose:
            warnings.warn(msg, UserWarning, stacklevel=2)

    # ------------------------------------------------------------------ results
    def last(self) -> dict[str, dict[str, float]]:
        """The latest record of each quantity per layer."""
        return {
            label: {k: (v[-1] if v else math.nan) for k, v in rec.items()}
            for label, rec in self.history.items()
        }

    def plot(self, path: str | os.PathLike) -> Path:
        """A PNG with gradient norm, update/weight ratio (log scales) and, when measured, the
        dead-ReLU fraction, per layer against the training step."""
        from ..plotting import new_figure, save_png

        if not self.steps:
            raise ValueError("GradientMonitor.plot: nothing recorded yet (was fit run?)")
        has_dead = any(
            any(not math.isnan(v) for v in rec["dead_fraction"]) for rec in self.history.values()
        )
        panels = [("grad_norm", "gradient norm"), ("update_ratio", "update / weight")]
        if has_dead:
            panels.append(("dead_fraction", "dead ReLU fraction"))
        fig = new_figure(4.6 * len(panels), 3.6)
        colours = _colours(len(self.layers))
        for i, (key, title) in enumerate(panels):
            ax = fig.add_subplot(1, len(panels), i + 1)
            for label, colour in zip(self.layers, colours):
                values = np.asarray(self.history[label][key], dtype=float)
                steps = np.asarray(self.steps[: len(values)])
                if key != "dead_fraction":
                    values = np.where(values > 0, values, np.nan)
                if np.isfinite(values).any():
                    ax.plot(steps, values, color=colour, label=label, linewidth=1.2)
            if key != "dead_fraction":
                ax.set_yscale("log")
            ax.set_xlabel("training step")
            ax.set_title(title)
            ax.grid(alpha=0.3)
        if len(self.layers) <= 12:
            fig.axes[0].legend(fontsize=7)
        return save_png(fig, path)


def _is_param(value) -> bool:
    from ..nn.parameter import Parameter

    return isinstance(value, Parameter)


def _colours(n: int) -> list:
    """n colours from first layer (dark blue) to last (yellow)."""
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(i / max(n - 1, 1) * 0.9) for i in range(n)]
