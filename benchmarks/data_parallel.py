"""Data-parallel training speed: samples/s of the mnist-mlp preset's model on 1, 2, ... ranks.

Run: ``mpiexec -n R python -m benchmarks.data_parallel [--batch 128] [--steps 60] [--repeats 5]``

The model is the mnist-mlp preset's (784-256-128-10 ReLU MLP, Adam, global batch 128) on
MNIST-shaped random data (the same arithmetic as the real set). Each repeat is one ``fit`` epoch of
``steps`` global batches with ``distributed=True``. Rank 0 reports:

* samples/s from the median of the repeats' wall times (the slowest rank's): what this machine
  delivered, including time lost to other processes;
* compute per step: CPU time of a rank outside communication waits (forward, backward, optimizer,
  batch slicing), the slowest rank's — hardly affected by other processes' time slices;
* communication per step: wall time in the communicator's waits of the rank that waits least (the
  last to arrive at a collective waits for the transfer alone);
  and the same counting every wait at the median wait (the uninterrupted case);
* ``B / (compute + median communication)``: the rate on the same cores without other load.

Both ranks share this machine's cores, so set ``OPENBLAS_NUM_THREADS`` per rank (1 for two ranks
on two cores).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np


def run(batch: int, steps: int, repeats: int, overlap: bool, bucket_cap_mb: float = 25.0) -> dict:
    import chainrule as cr
    from chainrule import distributed as dist
    from chainrule.layers import Dense

    from .common import mnist_shaped

    comm = dist.get_communicator()
    x, y = mnist_shaped(batch * steps)
    cr.manual_seed(0)
    layers = [Dense(256, activation="relu"), Dense(128, activation="relu")]
    model = cr.Sequential([*layers, Dense(10, activation="softmax")])
    model.compile(cr.optim.Adam(lr=1e-3), "sparse_categorical_crossentropy")
    strategy = dist.DataParallel(overlap=overlap, bucket_cap_mb=bucket_cap_mb)
    waited = {"wall": 0.0, "cpu": 0.0}  # in the communicator's waits (every collective)
    each: list[float] = []  # every single wait's wall time
    inner_wait = comm.wait

    def wait(request, what):
        w, c = time.perf_counter(), time.process_time()
        inner_wait(request, what)
        each.append(time.perf_counter() - w)
        waited["wall"] += each[-1]
        waited["cpu"] += time.process_time() - c

    comm.wait = wait
    after, buckets = strategy.after_backward, []

    def after_backward():
        buckets[:] = [len(strategy._sync.buckets)]
        after()

    strategy.after_backward = after_backward
    model.fit(x[: batch * 3], y[: batch * 3], batch_size=batch, epochs=1, verbose=0,
              distributed=strategy)  # warm-up  # fmt: skip
    walls, cpus, waits, typical = [], [], [], []
    for _ in range(repeats):
        comm.barrier()
        waited.update(wall=0.0, cpu=0.0)
        each.clear()
        start, cpu0 = time.perf_counter(), time.process_time()
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, distributed=strategy)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu0
        walls.append(float(comm.allreduce(np.array([wall]), op="max")[0]))
        cpus.append((cpu - waited["cpu"]) / steps)
        waits.append(waited["wall"] / steps)
        typical.append(statistics.median(each) * len(each) / steps if each else 0.0)
    comm.wait = inner_wait
    # compute: this rank's CPU time outside waits (not inflated by other processes' time slices);
    # the slowest rank counts. Communication: the least-waiting rank's wait (the last to arrive
    # at a collective waits for the transfer alone; the others also for it).
    compute = float(comm.allreduce(np.array([statistics.median(cpus)]), op="max")[0])
    comm_s = -float(comm.allreduce(np.array([-statistics.median(waits)]), op="max")[0])
    # the same with each wait at the median wait: the steps no other process interrupted
    typical_s = -float(comm.allreduce(np.array([-statistics.median(typical)]), op="max")[0])
    wall = statistics.median(walls)
    return {
        "ranks": comm.size,
        "batch": batch,
        "steps": steps,
        "overlap": overlap,
        "buckets": buckets[0],
        "samples_per_s": batch * steps / wall,
        "wall_step_s": wall / steps,
        "compute_cpu_s": compute,
        "communication_s": comm_s,
        "communication_median_s": typical_s,
        "unloaded_samples_per_s": batch / (compute + typical_s),
        "gradient_bytes": sum(p.data.nbytes for p in model.trainable_parameters()),
        "walls": walls,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-overlap", action="store_true")
    parser.add_argument("--bucket-cap-mb", type=float, default=25.0)
    parser.add_argument("--json", help="write the result here (rank 0)")
    args = parser.parse_args()
    r = run(args.batch, args.steps, args.repeats, not args.no_overlap, args.bucket_cap_mb)
    from chainrule.distributed import rank

    if rank() != 0:
        return
    print(f"{r['ranks']} rank(s), global batch {r['batch']}, {r['buckets']} bucket(s), "
          f"overlap={r['overlap']}: "
          f"{r['samples_per_s']:.0f} samples/s ({r['wall_step_s'] * 1e3:.2f} ms per step); per "
          f"step: compute {r['compute_cpu_s'] * 1e3:.2f} ms CPU (slowest rank), communication "
          f"{r['communication_s'] * 1e3:.3f} ms (at the median wait "
          f"{r['communication_median_s'] * 1e3:.3f} ms); without other load: "
          f"{r['unloaded_samples_per_s']:.0f} samples/s; gradients "
          f"{r['gradient_bytes'] / 1e6:.2f} MB")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
