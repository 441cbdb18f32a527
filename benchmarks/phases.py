"""Where a training step's time goes: a per-phase breakdown of chainrule's MLP step.

For each batch size it times, interleaved and as medians per step:

- ``gemm``: the step's eight matrix products alone (3 forward, 3 weight gradients, 2 input
  gradients), in raw NumPy with preallocated outputs: the floor set by the BLAS;
- ``forward``, ``backward``, ``optimizer``: the phases of chainrule's own step (Dense layers with
  fused ReLU, fused sparse cross-entropy, SGD with momentum), timed one after the other;
- ``fit``: ``Model.fit`` per step, everything included.

Run: ``python -m benchmarks.phases [--batch-sizes 32,128,1024] [--steps 64] [--repeats 5]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from .common import init_mlp, mnist_shaped
from .contenders import ChainruleFit
from .harness import machine_cores
from .mlp import MLP_SIZES


def _gemm_step(sizes, batch):
    """The step's matrix products in NumPy with out= buffers; returns a callable doing one step."""
    rng = np.random.default_rng(0)
    ws = [w for w, _ in init_mlp(sizes)]
    acts = [rng.random((batch, s), dtype=np.float32) for s in sizes]
    gws = [np.empty_like(w) for w in ws]
    gxs = [np.empty((batch, s), np.float32) for s in sizes]

    def run():
        for i, w in enumerate(ws):
            np.matmul(acts[i], w, out=acts[i + 1])
        for i in range(len(ws) - 1, -1, -1):
            np.matmul(acts[i].T, acts[i + 1], out=gws[i])
            if i > 0:
                np.matmul(acts[i + 1], ws[i].T, out=gxs[i])

    return run


def breakdown(batch: int, steps: int, repeats: int, sizes=None) -> dict:
    """Median milliseconds per step of each phase (see the module docstring)."""
    from chainrule.losses import SparseCategoricalCrossentropy

    sizes = sizes or MLP_SIZES
    x, y = mnist_shaped(batch * steps, sizes[0], sizes[-1])
    fit = ChainruleFit(sizes, batch, x, y)
    model, opt = fit.model, fit.model.optimizer
    loss_fn = SparseCategoricalCrossentropy(from_logits=True)
    gemm = _gemm_step(sizes, batch)
    fit.epoch()  # warm-up (also builds the optimiser state)
    times = {k: [] for k in ("gemm", "forward", "backward", "optimizer", "fit")}
    params = model.trainable_parameters()
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(steps):
            gemm()
        times["gemm"].append((time.perf_counter() - t0) / steps)
        fw = bw = op = 0.0
        for s in range(0, len(x), batch):
            t0 = time.perf_counter()
            loss = loss_fn(y[s : s + batch], model(x[s : s + batch]))
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            opt.step()
            for p in params:
                p.grad = None
            t3 = time.perf_counter()
            fw, bw, op = fw + t1 - t0, bw + t2 - t1, op + t3 - t2
        times["forward"].append(fw / steps)
        times["backward"].append(bw / steps)
        times["optimizer"].append(op / steps)
        t0 = time.perf_counter()
        fit.epoch()
        times["fit"].append((time.perf_counter() - t0) / steps)
    return {k: 1e3 * statistics.median(v) for k, v in times.items()}


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.phases", description=__doc__.split("\n")[0]
    )
    p.add_argument("--batch-sizes", default="32,128,1024")
    p.add_argument("--steps", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=machine_cores())
    args = p.parse_args(argv)
    import chainrule

    chainrule.set_num_threads(args.threads)  # in-process: chainrule alone, no peer loaded
    out = {}
    print(f"ms per step, MLP {'-'.join(map(str, MLP_SIZES))}, {args.threads} threads, "
          f"median of {args.repeats}")  # fmt: skip
    print(f"{'batch':>6} {'gemm':>7} {'forward':>8} {'backward':>9} {'optimizer':>10} {'fit':>7}"
          f" {'gemm/fit':>9}")  # fmt: skip
    for b in (int(v) for v in args.batch_sizes.split(",")):
        r = out[b] = breakdown(b, args.steps, args.repeats)
        print(f"{b:>6} {r['gemm']:7.3f} {r['forward']:8.3f} {r['backward']:9.3f} "
              f"{r['optimizer']:10.3f} {r['fit']:7.3f} {r['gemm'] / r['fit']:9.0%}")  # fmt: skip
    return out


if __name__ == "__main__":
    main()
