"""Training curves as PNG. matplotlib is an optional extra (``pip install chainrule[plot]``) and is
imported only here, without pyplot (no global figure state, no display needed)."""

from __future__ import annotations

import io
import os
from pathlib import Path


def new_figure(width: float, height: float):
    """A matplotlib Figure (width × height inches) on the Agg canvas; no pyplot involved."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            "plotting needs matplotlib, an optional extra: pip install chainrule[plot]"
        ) from e
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def save_png(fig, path: str | os.PathLike) -> Path:
    """Render ``fig`` to PNG and write it atomically (temporary file, fsync, rename)."""
    from .io.atomic import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return atomic_write_bytes(path, buf.getvalue())


def plot_history(history, path: str | os.PathLike, metrics: list[str] | None = None) -> Path:
    """One panel per quantity (loss, then each metric): training and ``val_`` curves per epoch.

    ``history`` is a History or its ``.history`` dict. ``metrics`` picks the panels (default: every
    key without the ``val_`` prefix, loss first).
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history: the history is empty (was fit run?)")
    keys = metrics or sorted(
        (k for k in logs if not k.startswith("val_")), key=lambda k: k != "loss"
    )
    unknown = [k for k in keys if k not in logs]
    if unknown:
        raise ValueError(f"plot_history: {unknown} not in the history (has {sorted(logs)})")
    epochs_list = getattr(history, "epoch", None)
    fig = new_figure(4.5 * len(keys), 3.5)
    for i, key in enumerate(keys):
        ax = fig.add_subplot(1, len(keys), i + 1)
        x = [e + 1 for e in epochs_list] if epochs_list else list(range(1, len(logs[key]) + 1))
        ax.plot(x, logs[key], marker="o", label="train")
        if f"val_{key}" in logs:
            ax.plot(x, logs[f"val_{key}"], marker="o", label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
    return save_png(fig, path)
