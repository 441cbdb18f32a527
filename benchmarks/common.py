"""Shared benchmark pieces: the data every contender trains on, the shared initial weights, tables.

Timing and process handling live in :mod:`benchmarks.harness` and :mod:`benchmarks.worker`.
:func:`pin_threads` and :func:`machine_cores` remain for rows not yet ported to the harness.
"""

from __future__ import annotations

import itertools

import numpy as np

from .harness import machine_cores  # noqa: F401  (kept importable from here)

_limits = None  # keeps threadpoolctl's limits alive for the whole process


def pin_threads(n: int, torch: bool = True) -> dict:
    """Use ``n`` threads in every BLAS/OpenMP pool of this process (threadpoolctl) and in PyTorch
    (``torch=True`` imports it); returns what was set. Rows on the harness use
    :func:`benchmarks.worker.apply_threads` instead."""
    global _limits
    info = {"threads": n, "threadpoolctl": False, "torch": False}
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    if threadpool_limits is not None:
        _limits = threadpool_limits(limits=n)
        info["threadpoolctl"] = True
    if torch:
        try:
            import torch as _torch
        except ImportError:
            return info
        _torch.set_num_threads(n)
        info["torch"] = True
    return info


def mnist_shaped(samples: int, features: int = 784, classes: int = 10, seed: int = 0):
    """Random float32 inputs in [0, 1) of shape (samples, features) and int64 labels (samples,).

    Shaped like flattened MNIST; every contender trains on the very same arrays.
    """
    rng = np.random.default_rng(seed)
    x = rng.random((samples, features), dtype=np.float32)
    y = rng.integers(0, classes, size=samples).astype(np.int64)
    return x, y


def load_data(name: str, samples: int | None = None, sizes: list[int] | None = None):
    """Float32 inputs and int64 labels for a row: ``random`` (:func:`mnist_shaped`, ``samples`` rows
    with ``sizes[0]`` features and ``sizes[-1]`` classes), ``xor`` (the 4 points of XOR, 2
    features, 2 classes), ``iris`` (150 × 4, 3 classes, standardised) or ``digits`` (1797 × 64,
    10 classes, scaled to [0, 1]); the last two ship with scikit-learn.
    """
    if name == "random":
        sizes = sizes or [784, 10]
        return mnist_shaped(samples or 16384, sizes[0], sizes[-1])
    if name == "xor":
        x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32)
        return x, np.array([0, 1, 1, 0], np.int64)
    if name in ("iris", "digits"):
        from sklearn import datasets

        bunch = datasets.load_iris() if name == "iris" else datasets.load_digits()
        x = bunch.data.astype(np.float32)
        if name == "iris":
            x = (x - x.mean(axis=0)) / x.std(axis=0)
        else:
            x /= np.float32(16.0)
        return np.ascontiguousarray(x, dtype=np.float32), bunch.target.astype(np.int64)
    raise ValueError(f"unknown data set {name!r}; choose random, xor, iris or digits")


def init_mlp(sizes: list[int], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """One weight (in, out) and bias (out,) per layer, float32, He-uniform: the shared init scheme."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = np.sqrt(6.0 / fan_in)
        w = rng.uniform(-bound, bound, size=(fan_in, fan_out)).astype(np.float32)
        params.append((w, np.zeros(fan_out, dtype=np.float32)))
    return params


def format_table(headers: list[str], rows: list[list]) -> str:
    """A plain-text table with right-aligned numeric columns."""

    def cell(v):
        if isinstance(v, float):
            if v >= 100:
                return f"{v:,.0f}"
            return f"{v:.2f}"
        return "-" if v is None else str(v)

    body = [[cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(headers, widths))
    )
    out = [line, "-" * len(line)]
    for r in body:
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
            )
        )
    return "\n".join(out)
