"""Peak resident memory (RSS) of an MLP training run, one fresh subprocess per contender.

Each child imports only what its contender needs, builds it, records its RSS after setup
(``baseline``: interpreter, libraries, data, weights), trains for ``epochs`` epochs and reports its
high-water mark (``VmHWM`` from /proc/self/status, or ``ru_maxrss`` elsewhere). ``peak - baseline``
is what training itself added.

Child entry point: ``python -m benchmarks.memory CONTENDER --batch B --samples N --threads T``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0  # kB
    except OSError:
        return None
    return None


def _peak_mb() -> float:
    hwm = _status_mb("VmHWM")
    if hwm is not None:
        return hwm
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports kB


def _child(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("contender")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    from .common import mnist_shaped, pin_threads
    from .contenders import available
    from .mlp import MLP_SIZES

    pin_threads(args.threads, torch=args.contender == "torch")
    cls = available([args.contender])[args.contender]
    x, y = mnist_shaped(args.samples)
    trainer = cls(MLP_SIZES, args.batch, x, y)
    baseline = _status_mb("VmRSS") or _peak_mb()
    for _ in range(args.epochs):
        trainer.epoch()
    print(json.dumps({"contender": args.contender, "baseline_mb": baseline, "peak_mb": _peak_mb()}))


def run_memory(
    contenders: list[str], batch: int, samples: int, threads: int, epochs: int = 2
) -> dict:
    """Run each contender in its own process; returns ``{name: {"baseline_mb", "peak_mb"}}``.

    A child that fails reports ``{"error": last line of its stderr}`` instead.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    results = {}
    for name in contenders:
        cmd = [sys.executable, "-m", "benchmarks.memory", name, "--batch", str(batch),
               "--samples", str(samples), "--threads", str(threads), "--epochs", str(epochs)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=root, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            results[name] = {"error": tail}
            continue
        rec = json.loads(proc.stdout.strip().splitlines()[-1])
        results[name] = {"baseline_mb": rec["baseline_mb"], "peak_mb": rec["peak_mb"]}
    return results


if __name__ == "__main__":
    _child()
