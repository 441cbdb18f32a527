"""Shared benchmark machinery: thread pinning, data, interleaved timing, tables.

Every contender runs under the same thread count: ``pin_threads(n)`` limits OpenBLAS (NumPy,
scikit-learn) and OpenMP through threadpoolctl when it is installed and calls
``torch.set_num_threads(n)`` when PyTorch is imported. The library itself never touches these
settings; only the benchmark process does.
"""

from __future__ import annotations

import itertools
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

_limits = None  # keeps the threadpoolctl context alive for the whole process
#: default pause (seconds) before each timed call in :func:`interleaved`; ``--settle`` sets it
SETTLE = 0.25


def machine_cores() -> int:
    """Cores this process may run on (its CPU affinity), the default thread count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def pin_threads(n: int, torch: bool = True) -> dict:
    """Use ``n`` threads in every BLAS/OpenMP pool of this process; returns what was set.

    ``torch=False`` leaves PyTorch unimported (the memory row measures processes without it).
    """
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


def init_mlp(sizes: list[int], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """One weight (in, out) and bias (out,) per layer, float32, He-uniform: the shared init scheme."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        bound = np.sqrt(6.0 / fan_in)
        w = rng.uniform(-bound, bound, size=(fan_in, fan_out)).astype(np.float32)
        params.append((w, np.zeros(fan_out, dtype=np.float32)))
    return params


def interleaved(
    runs: dict[str, Callable[[], None]], repeats: int, warmup: int = 1, settle: float | None = None
) -> dict:
    """Time each callable ``repeats`` times, round-robin, rotating the start; seconds per call.

    Returns ``{name: {"median": s, "min": s, "times": [...]}}``. Each callable gets ``warmup``
    untimed calls first. Interleaving spreads the noise of a shared machine over all contenders.
    Before each timed call the process sleeps ``settle`` seconds (default :data:`SETTLE`): the previous contender's thread
    pool (OpenBLAS pthreads, PyTorch's OpenMP) busy-waits for a while after its last call and would
    otherwise steal the cores from the next contender.
    """
    names = list(runs)
    settle = SETTLE if settle is None else settle
    for _ in range(warmup):
        for name in names:
            runs[name]()
    times = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            if settle:
                time.sleep(settle)
            t0 = time.perf_counter()
            runs[name]()
            times[name].append(time.perf_counter() - t0)
    return {
        name: {"median": statistics.median(ts), "min": min(ts), "times": ts}
        for name, ts in times.items()
    }


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
