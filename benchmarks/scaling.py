"""Scaling curves: time per epoch against batch size, hidden width and depth, saved as PNG.

Each point is an MLP row (:mod:`benchmarks.mlp`) with one size changed around 784-512-512-10 at
batch 128, each contender in its own process (:func:`benchmarks.harness.compare`); a point keeps
the median over rounds of each process's median epoch.
"""

from __future__ import annotations

import os

from .harness import compare

BATCHES = [16, 32, 64, 128, 256, 512, 1024]
WIDTHS = [64, 128, 256, 512, 1024]
DEPTHS = [1, 2, 3, 4, 6]


def _point(sizes, batch, samples, epochs, names, rounds, threads) -> dict:
    cfg = {"sizes": sizes, "batch": batch, "samples": samples, "epochs": epochs}
    res = compare("mlp", cfg, names, rounds, threads)
    return {n: samples / r["samples_per_s"]["median"] for n, r in res["results"].items()}


def run_scaling(
    samples: int,
    epochs: int,
    rounds: int,
    names: list[str],
    threads: int | None = None,
    batches: list[int] = BATCHES,
    widths: list[int] = WIDTHS,
    depths: list[int] = DEPTHS,
) -> dict:
    """Seconds per epoch: ``{"batch": {b: {name: s}}, "width": {...}, "depth": {...}}``."""
    args = (samples, epochs, names, rounds, threads)
    return {
        "batch": {b: _point([784, 512, 512, 10], b, *args) for b in batches},
        "width": {w: _point([784, w, w, 10], 128, *args) for w in widths},
        "depth": {d: _point([784] + [512] * d + [10], 128, *args) for d in depths},
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
    labels = {"batch": "batch size", "width": "hidden width (2 layers)",
              "depth": "hidden layers of 512"}  # fmt: skip
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
