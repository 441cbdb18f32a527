"""The MLP rows: training throughput of one fully connected network per contender, own process each.

The default network is 784-512-512-10 (ReLU, softmax cross-entropy, SGD lr 0.01 momentum 0.9) on
random MNIST-shaped data; the tiny rows (XOR, Iris, digits) use the same code with other sizes
and real data (:func:`benchmarks.common.load_data`). In its process a contender is built on the
shared data and initial weights, trains ``warmup`` untimed calls, then ``epochs`` timed calls of
``per_call`` epochs each (one ``fit(epochs=per_call)`` for the ``fit`` APIs); the process reports
the median call as samples/s and steps/s, plus its RSS after setup and its peak RSS. It also
reports samples per CPU-second (the process's CPU time, all its threads): with ``--threads 1`` on
a machine shared with other jobs, that figure ignores the time spent waiting for a core (but
threads that spin while waiting count as busy, so with more threads it penalises spinning pools).

Config keys (all optional): ``sizes`` [784, 512, 512, 10], ``batch`` 128, ``data`` "random",
``samples`` 16384 (random data only), ``epochs`` 5, ``per_call`` 1, ``warmup`` 1.
"""

from __future__ import annotations

import itertools
import math
import statistics
import time

from .harness import Contender, Metric

MLP_SIZES = [784, 512, 512, 10]

CONTENDERS = {
    "chainrule-fit": Contender("chainrule-fit", ("numpy",)),
    "chainrule-loop": Contender("chainrule-loop", ("numpy",)),
    "torch": Contender("torch", ("torch",)),
    "keras-torch": Contender(
        "keras-torch", ("keras", "torch"), "bench", {"KERAS_BACKEND": "torch"}
    ),
    "keras-jax": Contender("keras-jax", ("keras", "jax"), "bench", {"KERAS_BACKEND": "jax"}),
    "sklearn": Contender("sklearn", ("sklearn",)),
    "numpy": Contender("numpy", ("numpy",)),
}
METRICS = {
    "samples_per_s": Metric("samples/s"),
    "samples_per_cpu_s": Metric("samples per CPU-second"),
    "steps_per_s": Metric("steps/s"),
    "steps_per_cpu_s": Metric("steps per CPU-second"),
    "peak_mb": Metric("MiB", higher_is_better=False),
    "setup_mb": Metric("MiB", higher_is_better=False),
}
DEFAULTS = {"sizes": MLP_SIZES, "batch": 128, "data": "random", "samples": 16384, "epochs": 5,
            "per_call": 1, "warmup": 1}  # fmt: skip


def training_flops(sizes: list[int], samples: int) -> float:
    """6·N·Σ(in·out): the multiply-adds of forward (2) and backward (4) over the weight matrices."""
    return 6.0 * samples * sum(a * b for a, b in itertools.pairwise(sizes))


def run(contender: str, config: dict) -> dict:
    """Build ``contender`` and time it in this process (see the module docstring)."""
    from .common import load_data
    from .contenders import TRAINERS
    from .worker import apply_threads, peak_mb, status_mb

    cfg = {**DEFAULTS, **config}
    sizes, batch = list(cfg["sizes"]), int(cfg["batch"])
    x, y = load_data(cfg["data"], cfg["samples"], sizes)
    if x.shape[1] != sizes[0] or int(y.max()) >= sizes[-1]:
        raise ValueError(f"data {cfg['data']} {x.shape} does not fit sizes {sizes}")
    trainer = TRAINERS[contender](sizes, batch, x, y)
    apply_threads()
    setup_mb = status_mb("VmRSS") or 0.0
    per_call = int(cfg["per_call"])
    for _ in range(int(cfg["warmup"])):
        trainer.train(per_call)
    times, cpu = [], []
    for _ in range(int(cfg["epochs"])):
        c0, t0 = time.process_time(), time.perf_counter()
        trainer.train(per_call)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    med = statistics.median(times)
    n = x.shape[0]
    return {
        "metrics": {
            "samples_per_s": per_call * n / med,
            "samples_per_cpu_s": per_call * n / statistics.median(cpu),
            "steps_per_s": per_call * math.ceil(n / batch) / med,
            "steps_per_cpu_s": per_call * math.ceil(n / batch) / statistics.median(cpu),
            "peak_mb": peak_mb(),
            "setup_mb": setup_mb,
        },
        "times": times,
        "samples": n,
    }
