"""The float32 matrix-product peak of this machine, measured in the benchmark's own process.

The MLP rows report achieved training GFLOP/s as a share of this number: a NumPy engine cannot beat
the GEMM it calls, so the share says how much of the time goes to anything else.
"""

from __future__ import annotations

import math
import time

import numpy as np

from .common import interleaved


def _block(call, seconds: float = 0.05):
    """``call`` repeated enough times to take about ``seconds`` (one small product is too short)."""
    call()
    t0 = time.perf_counter()
    call()
    k = max(1, math.ceil(seconds / max(time.perf_counter() - t0, 1e-7)))

    def run():
        for _ in range(k):
            call()

    return run, k


def gemm_peak(n: int = 1024, repeats: int = 7, torch: bool = True) -> dict:
    """GFLOP/s of an (n, n) @ (n, n) float32 product (2·n³ FLOPs), best of ``repeats``.

    A peak is what the machine *can* do, so the fastest repeat is kept (on a shared machine the
    median would understate it and inflate every share computed from it).

    Returns ``{"n": n, "numpy": gflops, "torch": gflops or None}``; both libraries interleaved.
    """
    rng = np.random.default_rng(0)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    out = np.empty((n, n), np.float32)
    runs = {"numpy": lambda: np.matmul(a, b, out=out)}
    if torch:
        try:
            import torch as _torch
        except ImportError:
            _torch = None
        if _torch is not None:
            ta, tb, tout = _torch.from_numpy(a), _torch.from_numpy(b), _torch.empty(n, n)
            runs["torch"] = lambda: _torch.matmul(ta, tb, out=tout)
    blocks = {name: _block(call) for name, call in runs.items()}
    times = interleaved({name: blk for name, (blk, _) in blocks.items()}, repeats, warmup=1)
    flops = 2.0 * n**3
    result = {"n": n, "numpy": None, "torch": None}
    for name, (_, k) in blocks.items():
        result[name] = k * flops / times[name]["min"] / 1e9
    return result
