"""nn.Linear (PyTorch layout, weight (out, in)) against Dense (Keras layout, kernel (in, out)):
the same 784-256-10 MLP trained with SGD, median step time of each, in one process (both are
chainrule). Prints the ratio; about 1.0 means the transposed view costs nothing.

    PYTHONPATH=src python benchmarks/linear_layouts.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import layers, nn


def _step_times(model, params, x, y, steps: int = 60) -> float:
    opt = cr.optim.SGD(params, lr=0.01, momentum=0.9)
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times[10:])


def main() -> None:
    cr.manual_seed(0)
    x = cr.tensor(np.random.default_rng(0).standard_normal((128, 784)).astype(np.float32))
    y = cr.tensor(np.random.default_rng(1).integers(0, 10, 128))
    torch_style = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    keras_style = cr.Sequential(
        [layers.Dense(256, activation="relu", input_dim=784), layers.Dense(10, input_dim=256)]
    )
    results = {}
    for _ in range(3):  # alternate, medians of medians
        for name, model in (("nn.Linear", torch_style), ("Dense", keras_style)):
            results.setdefault(name, []).append(_step_times(model, model.parameters(), x, y))
    lin, dense = (statistics.median(results[k]) for k in ("nn.Linear", "Dense"))
    print(f"nn.Linear step {lin * 1e3:.2f} ms, Dense step {dense * 1e3:.2f} ms, "
          f"ratio {lin / dense:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
