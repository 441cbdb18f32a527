"""The float32 matrix-product peak of this machine, per library, in a process of its own.

The MLP rows' GFLOP/s are reported as a share of NumPy's peak: a NumPy engine cannot beat the GEMM
it calls, so the share says how much of the time goes to anything else. PyTorch (MKL here) is
measured beside it because its sgemm is what PyTorch eager trains with.

Config: ``n`` (1024: an (n, n) @ (n, n) product, 2·n³ FLOPs), ``repeats`` (7; the best is kept,
since a peak is what the machine *can* do), ``seconds`` (0.05: each repeat loops the product
for about this long).
"""

from __future__ import annotations

import math
import time

from .harness import Contender, Metric

CONTENDERS = {"numpy": Contender("numpy", ("numpy",)), "torch": Contender("torch", ("torch",))}
METRICS = {"gflops": Metric("GFLOP/s")}


def run(contender: str, config: dict) -> dict:
    import numpy as np

    from .worker import apply_threads

    n, repeats = int(config.get("n", 1024)), int(config.get("repeats", 7))
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    if contender == "torch":
        import torch

        ta, tb, out = torch.from_numpy(a), torch.from_numpy(b), torch.empty(n, n)

        def call():
            torch.matmul(ta, tb, out=out)
    else:
        out = np.empty((n, n), np.float32)

        def call():
            np.matmul(a, b, out=out)

    apply_threads()
    call()
    t0 = time.perf_counter()
    call()
    k = max(1, math.ceil(float(config.get("seconds", 0.05)) / max(time.perf_counter() - t0, 1e-7)))
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(k):
            call()
        best = min(best, (time.perf_counter() - t0) / k)
    return {"metrics": {"gflops": 2.0 * n**3 / best / 1e9}, "n": n}
