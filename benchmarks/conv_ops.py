"""LeNet-5's convolution and pooling ops, forward + backward, chainrule beside PyTorch.

One training step's worth of the feature extractor at batch 128: conv 1→6 5×5 pad 2, ReLU, 2×2 max
pool, conv 6→16 5×5, ReLU, 2×2 max pool, then backward from a fixed upstream gradient (every
weight and bias gets its gradient; the input needs none, as in training). The dense head is left
out: it is the MLP benchmark's business.

Contenders: ``torch`` (``torch.nn.functional``, channels-first), ``chainrule-nchw`` (the PyTorch
door's layout and weight layout) and ``chainrule-nhwc`` (the Keras door's). Each measurement is a
fresh process running one contender alone (two libraries' thread pools in one process disturb each
other); the contenders alternate, rotating the start, and the table reports medians over rounds of
each process's median step time, in wall-clock time and in process CPU time (the latter hardly
moves when other jobs share the cores, but counts spinning worker threads, so compare it at
``--threads 1``). The machine may be shared: absolute times mean little, ratios more.

    python -m benchmarks.conv_ops [--rounds 5] [--steps 30] [--threads 2] [--batch 128]
    python -m benchmarks.conv_ops --profile chainrule-nhwc   # where chainrule's time goes
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CONTENDERS = ("torch", "chainrule-nchw", "chainrule-nhwc")


def _arrays(batch: int):
    """Input, upstream gradient and weights (PyTorch layout), float32, from a fixed seed."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    g = rng.standard_normal((batch, 16, 5, 5)).astype(np.float32)
    w1 = (rng.standard_normal((6, 1, 5, 5)) * 0.2).astype(np.float32)
    w2 = (rng.standard_normal((16, 6, 5, 5)) * 0.08).astype(np.float32)
    b1, b2 = np.zeros(6, np.float32), np.zeros(16, np.float32)
    return x, g, w1, b1, w2, b2


def _torch_step(batch: int):
    import torch
    import torch.nn.functional as F

    x, g, *params = (torch.from_numpy(a) for a in _arrays(batch))
    w1, b1, w2, b2 = (p.requires_grad_() for p in params)

    def step():
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, b1, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, b2)), 2)
        h.backward(g)
        for p in (w1, b1, w2, b2):
            p.grad = None

    return step


def _chainrule_step(batch: int, layout: str):
    import chainrule as cr
    import chainrule.functional as F

    x, g, w1, b1, w2, b2 = _arrays(batch)
    fmt = "channels_first" if layout == "nchw" else "channels_last"
    if layout == "nhwc":  # the Keras door's layouts: (N, H, W, C) and kernels (kh, kw, in, out)
        x, g = x.transpose(0, 2, 3, 1).copy(), g.transpose(0, 2, 3, 1).copy()
        w1, w2 = w1.transpose(2, 3, 1, 0).copy(), w2.transpose(2, 3, 1, 0).copy()
    xt = cr.Tensor(x)
    params = [cr.Tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]

    def step():
        p1, q1, p2, q2 = params
        h = F.max_pool2d(F.relu(F.conv2d(xt, p1, q1, padding=2, data_format=fmt)), 2,
                         data_format=fmt)  # fmt: skip
        h = F.max_pool2d(F.relu(F.conv2d(h, p2, q2, data_format=fmt)), 2, data_format=fmt)
        h.backward(g)
        for p in params:
            p.grad = None

    return step


def worker(contender: str, batch: int, steps: int, threads: int) -> dict:
    """Time ``steps`` steps of one contender in this process; median seconds per step."""
    from benchmarks.common import pin_threads

    pin_threads(threads, torch=contender == "torch")
    if contender == "torch":
        step = _torch_step(batch)
    else:
        step = _chainrule_step(batch, contender.split("-")[1])
    for _ in range(3):
        step()
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "contender": contender,
        "median": statistics.median(times),
        "min": min(times),
        "cpu": statistics.median(cpu),
    }


def profile(contender: str, batch: int, steps: int, threads: int) -> None:
    """cProfile of a chainrule contender's steps: the functions that take the time."""
    import cProfile
    import pstats

    from benchmarks.common import pin_threads

    pin_threads(threads, torch=False)
    step = _chainrule_step(batch, contender.split("-")[1])
    step()
    prof = cProfile.Profile(time.thread_time)  # CPU time: robust to a shared machine
    prof.enable()
    for _ in range(steps):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(18)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5, help="processes per contender")
    ap.add_argument("--steps", type=int, default=30, help="timed steps per process")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None, help="default: the cores available")
    ap.add_argument("--contenders", default=",".join(CONTENDERS))
    ap.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    ap.add_argument("--profile", choices=CONTENDERS[1:])
    args = ap.parse_args(argv)
    from benchmarks.common import format_table, machine_cores

    threads = args.threads or machine_cores()
    if args.worker:
        print(json.dumps(worker(args.worker, args.batch, args.steps, threads)))
        return {}
    if args.profile:
        profile(args.profile, args.batch, args.steps, threads)
        return {}
    names = [c.strip() for c in args.contenders.split(",") if c.strip()]
    bad = [c for c in names if c not in CONTENDERS]
    if bad:
        ap.error(f"unknown contender(s) {bad}; choose from {','.join(CONTENDERS)}")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "src"), str(root)]))
    medians = {c: [] for c in names}
    cpus = {c: [] for c in names}
    for r in range(args.rounds):
        for c in names[r % len(names) :] + names[: r % len(names)]:
            cmd = [sys.executable, "-m", "benchmarks.conv_ops", "--worker", c,
                   "--batch", str(args.batch), "--steps", str(args.steps),
                   "--threads", str(threads)]  # fmt: skip
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root)
            if out.returncode:
                raise RuntimeError(f"{c} worker failed:\n{out.stderr}")
            report = json.loads(out.stdout.strip().splitlines()[-1])
            medians[c].append(report["median"])
            cpus[c].append(report["cpu"])
    result = {c: statistics.median(ts) for c, ts in medians.items()}
    cpu = {c: statistics.median(ts) for c, ts in cpus.items()}
    ref, ref_cpu = result.get("torch"), cpu.get("torch")
    rows = []
    for c, t in result.items():
        ratio = None if ref is None else ref / t
        cpu_ratio = None if ref_cpu is None else ref_cpu / cpu[c]
        rows.append([c, t * 1e3, args.batch / t, ratio, cpu[c] * 1e3, cpu_ratio])
    print(f"LeNet-5 conv/pool ops, forward + backward, batch {args.batch}, {threads} threads, "
          f"median of {args.rounds} processes × {args.steps} steps")  # fmt: skip
    heads = ["contender", "ms/step", "samples/s", "× torch", "CPU ms/step", "× torch (CPU)"]
    print(format_table(heads, rows))
    print("CPU ms/step: process CPU time per step (all threads; a loaded machine inflates wall "
          "time, CPU time much less)")
    return result


if __name__ == "__main__":
    main()
