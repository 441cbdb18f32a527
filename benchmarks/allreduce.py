"""Allreduce latency and bandwidth between the ranks of an MPI job (chainrule's communicator).

Run: ``mpiexec -n 2 python -m benchmarks.allreduce [--repeats 50] [--json out.json]``

For each message size (float32 buffers, 8 B to 16 MB) rank 0 reports the median time of one
in-place sum-allreduce through :class:`chainrule.distributed.Communicator` (non-blocking, polled
against a deadline, as training uses it) and through mpi4py's blocking ``Allreduce`` directly.
Bandwidth is bytes / time ("algorithm bandwidth"); a ring allreduce moves 2(p−1)/p of the buffer
per rank ("bus bandwidth"). The fit ``t(n) = α + n / β`` over the sizes (least relative error) gives the latency α and the
asymptotic bandwidth β the scaling model in docs/distributed.md uses.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

SIZES = [8, 1 << 10, 16 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20]


def _time(fn, repeats: int, comm) -> float:
    for _ in range(3):
        fn()
    times = []
    for _ in range(repeats):
        comm.barrier()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    # the slowest rank decides the step: take the max over ranks of each rank's median
    med = np.array([statistics.median(times)])
    return float(comm.allreduce(med, op="max")[0])


def run(repeats: int) -> dict:
    from chainrule.distributed import get_communicator

    comm = get_communicator()
    raw = comm.comm
    rows = []
    for nbytes in SIZES:
        buf = np.ones(nbytes // 4, dtype=np.float32)
        reps = max(5, repeats if nbytes <= (1 << 20) else repeats // 5)
        ours = _time(lambda b=buf: comm.allreduce(b), reps, comm)
        from mpi4py import MPI

        mpi = _time(lambda b=buf: raw.Allreduce(MPI.IN_PLACE, b), reps, comm)
        rows.append({"bytes": nbytes, "chainrule_s": ours, "mpi4py_s": mpi})
    p = comm.size
    sizes = np.array([r["bytes"] for r in rows], dtype=float)
    t = np.array([r["chainrule_s"] for r in rows])
    slope, alpha = np.polyfit(sizes, t, 1, w=1 / t)  # relative error: every size counts
    return {
        "ranks": p,
        "rows": rows,
        "latency_s": float(rows[0]["chainrule_s"]),
        "fit_alpha_s": float(alpha),
        "fit_bandwidth_Bps": float(1 / slope),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", help="write the results here (rank 0)")
    args = parser.parse_args()
    result = run(args.repeats)
    from chainrule.distributed import rank

    if rank() != 0:
        return
    p = result["ranks"]
    print(f"allreduce (sum, float32, in place) over {p} ranks; median per call")
    print(f"{'bytes':>10} {'chainrule':>12} {'mpi4py':>12} {'alg GB/s':>9} {'bus GB/s':>9}")
    for r in result["rows"]:
        alg = r["bytes"] / r["chainrule_s"] / 1e9
        bus = alg * 2 * (p - 1) / p
        print(f"{r['bytes']:>10} {r['chainrule_s'] * 1e6:>10.1f}µs {r['mpi4py_s'] * 1e6:>10.1f}µs "
              f"{alg:>9.2f} {bus:>9.2f}")  # fmt: skip
    print(f"latency (8 B): {result['latency_s'] * 1e6:.1f} µs; fit t = α + n/β: "
          f"α = {result['fit_alpha_s'] * 1e6:.1f} µs, β = {result['fit_bandwidth_Bps'] / 1e9:.2f} GB/s")  # fmt: skip
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
