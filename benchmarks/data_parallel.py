"""Data-parallel training speed: samples/s of the mnist-mlp preset's model on 1, 2, ... ranks.

Run: ``mpiexec -n R python -m benchmarks.data_parallel [--batch 128] [--steps 60] [--repeats 5]``

The model is the mnist-mlp preset (784-256-128-10 ReLU MLP, Adam, global batch 128) on MNIST-shaped
random data (the same arithmetic as the real set). Each repeat is one ``fit`` epoch of ``steps``
global batches with ``distributed=True``; rank 0 reports the median of the repeats (the slowest
rank's time) as global samples/s, and the median step split into: forward + loss + backward (the
slowest rank), the gradient allreduce (the wait in ``after_backward`` of the rank that waits least:
the last to arrive waits for the communication alone; the difference to the slowest wait is load
imbalance) and the rest (optimizer step, batch slicing, the per-batch stop agreement). Both ranks share this machine's cores,
so set ``OPENBLAS_NUM_THREADS`` per rank (1 for two ranks on two cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def run(batch: int, steps: int, repeats: int, overlap: bool) -> dict:
    import chainrule as cr
    from chainrule import distributed as dist
    from chainrule.nn import Dense

    from .common import mnist_shaped

    comm = dist.get_communicator()
    x, y = mnist_shaped(batch * steps)
    cr.manual_seed(0)
    layers = [Dense(256, activation="relu"), Dense(128, activation="relu")]
    model = cr.Sequential([*layers, Dense(10, activation="softmax")])
    model.compile(cr.optim.Adam(lr=1e-3), "sparse_categorical_crossentropy")
    strategy = dist.DataParallel(overlap=overlap)
    marks: list[list[float]] = []  # per step: [before_step, backward done, allreduce done]
    before, after = strategy.before_step, strategy.after_backward

    def before_step(step, n):
        marks.append([time.perf_counter()])
        before(step, n)

    def after_backward():
        marks[-1].append(time.perf_counter())
        after()
        marks[-1].append(time.perf_counter())

    strategy.before_step, strategy.after_backward = before_step, after_backward
    model.fit(x[: batch * 3], y[: batch * 3], batch_size=batch, epochs=1, verbose=0,
              distributed=strategy)  # warm-up  # fmt: skip
    walls, fb, wait = [], [], []
    for _ in range(repeats):
        marks.clear()
        comm.barrier()
        start = time.perf_counter()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, distributed=strategy)
        wall = time.perf_counter() - start
        walls.append(float(comm.allreduce(np.array([wall]), op="max")[0]))
        m = np.array(marks)
        fb.append(np.median(m[:, 1] - m[:, 0]))
        wait.append(np.median(m[:, 2] - m[:, 1]))
    # forward+backward: the slowest rank's; the pure allreduce: the least-waiting rank's wait
    # (the last rank to arrive waits for the communication alone; the others also for it)
    fb_s = float(comm.allreduce(np.array([statistics.median(fb)]), op="max")[0])
    wait_min = -float(comm.allreduce(np.array([-statistics.median(wait)]), op="max")[0])
    wait_max = float(comm.allreduce(np.array([statistics.median(wait)]), op="max")[0])
    wall = statistics.median(walls)
    per_step = wall / steps
    params = sum(p.data.nbytes for p in model.trainable_parameters())
    return {
        "ranks": comm.size,
        "batch": batch,
        "steps": steps,
        "overlap": overlap,
        "samples_per_s": batch * steps / wall,
        "step_s": per_step,
        "forward_backward_s": fb_s,
        "allreduce_s": wait_min,
        "allreduce_wait_max_s": wait_max,
        "rest_s": per_step - fb_s - wait_max,
        "gradient_bytes": params,
        "walls": walls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-overlap", action="store_true")
    parser.add_argument("--json", help="write the result here (rank 0)")
    args = parser.parse_args()
    r = run(args.batch, args.steps, args.repeats, not args.no_overlap)
    from chainrule.distributed import rank

    if rank() != 0:
        return
    print(f"{r['ranks']} rank(s), global batch {r['batch']}, overlap={r['overlap']}: "
          f"{r['samples_per_s']:.0f} samples/s; per step {r['step_s'] * 1e3:.2f} ms: forward+"
          f"backward {r['forward_backward_s'] * 1e3:.2f}, allreduce {r['allreduce_s'] * 1e3:.3f} "
          f"(slowest wait {r['allreduce_wait_max_s'] * 1e3:.3f}), optimizer and the rest "
          f"{r['rest_s'] * 1e3:.2f} ms; gradients {r['gradient_bytes'] / 1e6:.2f} MB")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
