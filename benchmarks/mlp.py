"""The MLP row: samples/s of one training epoch per contender and batch size, plus GFLOP/s.

The network is 784-512-512-10 (ReLU, softmax cross-entropy, SGD with momentum 0.9). For each batch
size every contender is built on the same data and weights, then the epochs are interleaved
round-robin ``repeats`` times after one warm-up epoch; the median epoch time gives samples/s.
Training FLOPs per epoch are counted as 6·N·Σ(in·out) (forward 2, backward 4 per weight and sample).
"""

from __future__ import annotations

import itertools

from .common import interleaved, mnist_shaped
from .contenders import available

MLP_SIZES = [784, 512, 512, 10]


def training_flops(sizes: list[int], samples: int) -> float:
    """6·N·Σ(in·out): the multiply-adds of forward (2) and backward (4) over the weight matrices."""
    return 6.0 * samples * sum(a * b for a, b in itertools.pairwise(sizes))


def run_mlp(
    batch_sizes: list[int],
    samples: int,
    repeats: int,
    contenders: list[str] | None = None,
    sizes: list[int] | None = None,
) -> dict:
    """Time every contender at every batch size; returns ``{batch: {name: stats}}``.

    ``stats`` holds ``median_s`` (epoch), ``samples_per_s``, ``gflops`` and ``times``.
    """
    sizes = sizes or MLP_SIZES
    x, y = mnist_shaped(samples, sizes[0], sizes[-1])
    flops = training_flops(sizes, samples)
    results = {}
    for batch in batch_sizes:
        built = {name: cls(sizes, batch, x, y) for name, cls in available(contenders).items()}
        times = interleaved({name: c.epoch for name, c in built.items()}, repeats, warmup=1)
        results[batch] = {
            name: {
                "median_s": t["median"],
                "samples_per_s": samples / t["median"],
                "gflops": flops / t["median"] / 1e9,
                "times": t["times"],
            }
            for name, t in times.items()
        }
        del built
    return results
