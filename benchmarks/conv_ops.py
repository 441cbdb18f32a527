"""LeNet-5's convolution and pooling ops, forward + backward, chainrule beside PyTorch.

One training step's worth of the feature extractor at batch 128: conv 1→6 5×5 pad 2, ReLU, 2×2 max
pool, conv 6→16 5×5, ReLU, 2×2 max pool, then backward from a fixed upstream gradient (every
weight and bias gets its gradient; the input needs none, as in training). The dense head is left
out: it is the MLP benchmark's business.

Contenders: ``torch`` (``torch.nn.functional``, channels-first); ``chainrule-torchdoor`` (the
PyTorch door's way: channels-first input, (out, in, kh, kw) weights, ReLU as its own op, as
``nn.ReLU`` gives); ``chainrule-kerasdoor`` (the Keras door's way: channels-last input, (kh, kw, in,
out) kernels, ReLU fused into the convolution, as ``Conv2D(activation="relu")`` gives). Each measurement is a
fresh process running one contender alone (two libraries' thread pools in one process disturb each
other); the contenders alternate, rotating the start, and the table reports medians over rounds of
each process's median step time, in wall-clock time and in process CPU time (the latter hardly
moves when other jobs share the cores, but counts spinning worker threads, so compare it at
``--threads 1``). The machine may be shared: absolute times mean little, ratios more.

    python -m benchmarks.conv_ops [--rounds 5] [--steps 30] [--threads 2] [--batch 128]
    python -m benchmarks.conv_ops --profile chainrule-kerasdoor   # CPU time per op phase
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

CONTENDERS = ("torch", "chainrule-torchdoor", "chainrule-kerasdoor")


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
        grads = [p.grad for p in (w1, b1, w2, b2)]
        for p in (w1, b1, w2, b2):
            p.grad = None
        return grads

    return step


def _chainrule_step(batch: int, door: str):
    import chainrule as cr
    import chainrule.functional as F

    x, g, w1, b1, w2, b2 = _arrays(batch)
    keras = door == "kerasdoor"
    if keras:  # the Keras door's layouts: (N, H, W, C) and kernels (kh, kw, in, out)
        x, g = x.transpose(0, 2, 3, 1).copy(), g.transpose(0, 2, 3, 1).copy()
        w1, w2 = w1.transpose(2, 3, 1, 0).copy(), w2.transpose(2, 3, 1, 0).copy()
    xt = cr.Tensor(x)
    params = [cr.Tensor(a, requires_grad=True) for a in (w1, b1, w2, b2)]

    def conv_relu(h, w, b, padding):
        if keras:
            return F.conv2d(h, w, b, padding=padding, activation="relu")
        return F.relu(F.conv2d(h, w, b, padding=padding, data_format="channels_first"))

    fmt = "channels_last" if keras else "channels_first"

    def step():
        p1, q1, p2, q2 = params
        h = F.max_pool2d(conv_relu(xt, p1, q1, 2), 2, data_format=fmt)
        h = F.max_pool2d(conv_relu(h, p2, q2, 0), 2, data_format=fmt)
        h.backward(g)
        grads = [p.grad for p in params]
        for p in params:
            p.grad = None
        return grads

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
    """Where a chainrule contender's step goes: CPU time (``thread_time``, robust to a shared
    machine) of every op's forward and backward, timed around the graph nodes themselves."""
    from collections import defaultdict

    from benchmarks.common import format_table, pin_threads
    from chainrule.function import Function

    pin_threads(threads, torch=False)
    step = _chainrule_step(batch, contender.split("-")[1])
    spent = defaultdict(float)
    classes = {cls for cls in _subclasses(Function) if "forward" in vars(cls)}
    for cls in classes:
        for phase in ("forward", "backward"):
            if phase in vars(cls):
                setattr(cls, phase, _timed(getattr(cls, phase), f"{cls.__name__}.{phase}", spent))
    step()
    spent.clear()
    t0 = time.thread_time()
    for _ in range(steps):
        step()
    total = (time.thread_time() - t0) / steps
    rows = [[k, v / steps * 1e3, 100 * v / steps / total] for k, v in spent.items()]
    rows.sort(key=lambda r: -r[1])
    rest = total - sum(v for v in spent.values()) / steps
    rows.append(["(graph, Python, everything else)", rest * 1e3, 100 * rest / total])
    print(f"{contender}: {total * 1e3:.2f} ms CPU per step ({threads} threads)")
    print(format_table(["op phase", "ms/step", "%"], rows))


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _timed(fn, name, spent):
    def wrapper(*args, **kwargs):
        t0 = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[name] += time.thread_time() - t0

    return wrapper


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
            out = subprocess.run(
                cmd, check=False, capture_output=True, text=True, env=env, cwd=root
            )
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
    print(
        "CPU ms/step: process CPU time per step (all threads; a loaded machine inflates wall "
        "time, CPU time much less)"
    )
    return result


if __name__ == "__main__":
    main()
