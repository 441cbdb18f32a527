"""The per-op overhead row: autograd cost of a small elementwise op, chainrule beside PyTorch.

A chain of ``chain`` ops (alternating ``y * a`` and ``y + b`` on a vector of ``size`` elements, so
the arithmetic is negligible) runs forward and is then backpropagated; the time per op is the
total over ``chain``. Each contender runs in its own process (:mod:`benchmarks.harness`) and
reports the median of ``repeats`` chains in CPU time (``time.process_time``), so other jobs
competing for the cores inflate neither figure; the arrays are too small for any thread pool.

Run alone: ``python -m benchmarks --rows overhead``.
"""

from __future__ import annotations

import statistics
import time

from .harness import Contender, Metric

CONTENDERS = {
    "chainrule": Contender("chainrule", ("numpy",)),
    "torch": Contender("torch", ("torch",)),
}
METRICS = {"us_per_op": Metric("µs/op", higher_is_better=False)}


def _chain_chainrule(chain: int, size: int) -> float:
    import numpy as np

    import chainrule as cr

    x = cr.Tensor(np.linspace(0.5, 1.5, size, dtype=np.float32), requires_grad=True)
    a = cr.Tensor(np.full(size, 1.0001, dtype=np.float32))
    b = cr.Tensor(np.full(size, 1e-4, dtype=np.float32))
    start = time.process_time()
    y = x
    for i in range(chain):
        y = y * a if i % 2 == 0 else y + b
    y.backward(np.ones(size, dtype=np.float32))
    return time.process_time() - start


def _chain_torch(chain: int, size: int) -> float:
    import torch

    x = torch.linspace(0.5, 1.5, size, dtype=torch.float32, requires_grad=True)
    a = torch.full((size,), 1.0001, dtype=torch.float32)
    b = torch.full((size,), 1e-4, dtype=torch.float32)
    start = time.process_time()
    y = x
    for i in range(chain):
        y = y * a if i % 2 == 0 else y + b
    y.backward(torch.ones(size, dtype=torch.float32))
    return time.process_time() - start


def run(contender: str, config: dict) -> dict:
    chain, size = int(config.get("chain", 2000)), int(config.get("size", 8))
    repeats = int(config.get("repeats", 11))
    fn = _chain_chainrule if contender == "chainrule" else _chain_torch
    fn(chain, size)  # warm-up: imports, caches
    times = [fn(chain, size) / chain * 1e6 for _ in range(repeats)]
    return {"metrics": {"us_per_op": statistics.median(times)}, "times_us": times}
