"""Scaling curves: time per epoch against batch size, hidden width and depth, saved as PNG.

Each point trains the same data with chainrule and PyTorch, interleaved, and keeps the median.
The defaults vary one thing around the 784-512-512-10 MLP at batch 128.
"""

from __future__ import annotations

import os

from .common import interleaved, mnist_shaped
from .contenders import available

BATCHES = [16, 32, 64, 128, 256, 512, 1024]
WIDTHS = [64, 128, 256, 512, 1024]
DEPTHS = [1, 2, 3, 4, 6]


def _point(sizes, batch, x, y, names, repeats) -> dict:
    built = {n: cls(sizes, batch, x, y) for n, cls in available(names).items()}
    times = interleaved({n: c.epoch for n, c in built.items()}, repeats, warmup=1)
    return {n: t["median"] for n, t in times.items()}


def run_scaling(
    samples: int,
    repeats: int,
    names: list[str],
    batches: list[int] = BATCHES,
    widths: list[int] = WIDTHS,
    depths: list[int] = DEPTHS,
) -> dict:
    """Seconds per epoch: ``{"batch": {b: {name: s}}, "width": {...}, "depth": {...}}``."""
    x, y = mnist_shaped(samples)
    return {
        "batch": {b: _point([784, 512, 512, 10], b, x, y, names, repeats) for b in batches},
        "width": {w: _point([784, w, w, 10], 128, x, y, names, repeats) for w in widths},
        "depth": {d: _point([784] + [512] * d + [10], 128, x, y, names, repeats) for d in depths},
    }


def save_plots(curves: dict, folder: str, samples: int) -> list[str]:
    """One PNG per curve (``scaling_batch.png`` …) in ``folder``; returns the paths written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("the scaling plots need matplotlib: pip install chainrule[plot]") from err
    os.makedirs(folder, exist_ok=True)
    labels = {
        "batch": "batch size",
        "width": "hidden width (2 layers)",
        "depth": "hidden layers of 512",
    }
    paths = []
    for key, points in curves.items():
        fig, ax = plt.subplots(figsize=(5, 3.5))
        xs = list(points)
        names = sorted({n for p in points.values() for n in p})
        for name in names:
            ax.plot(xs, [points[v].get(name) for v in xs], marker="o", label=name)
        ax.set_xlabel(labels[key])
        ax.set_ylabel(f"seconds per epoch ({samples} samples)")
        if key == "batch":
            ax.set_xscale("log", base=2)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        path = os.path.join(folder, f"scaling_{key}.png")
        tmp = path + ".tmp.png"
        fig.savefig(tmp, dpi=100)
        os.replace(tmp, path)  # atomic: a reader never sees half a file
        plt.close(fig)
        paths.append(path)
    return paths
