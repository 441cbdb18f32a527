"""``python -m benchmarks.worker MODULE CONTENDER --config JSON --threads N``: one measurement.

Runs ``benchmarks.<MODULE>.run(CONTENDER, config)`` in this fresh process and prints one JSON line:
the row's record (its ``metrics`` …) plus ``env`` (interpreter, library versions, the BLAS/OpenMP
pools threadpoolctl sees with their kernel and threads, PyTorch's thread count) and ``peak_mb``
(this process's peak RSS). Nothing heavy is imported before the row runs, so a row may time its
own imports.

Threads: with ``N`` below the cores this process may use, the process is first confined to ``N``
cores (``sched_setaffinity``: the only limit every library, XLA included, obeys); the row then
calls :func:`apply_threads` once its libraries are loaded, which sizes every BLAS/OpenMP pool
(threadpoolctl) and PyTorch's intra-op pool to ``N``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time

_THREADS = None
_limits = None  # keeps threadpoolctl's limits referenced for the life of the process


def apply_threads() -> int | None:
    """Size every thread pool loaded so far to the worker's ``--threads``; returns it."""
    global _limits
    if _THREADS is None:
        return None
    try:
        from threadpoolctl import threadpool_limits

        _limits = threadpool_limits(limits=_THREADS)
    except ImportError:
        pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(_THREADS)
    return _THREADS


def status_mb(field: str) -> float | None:
    """A field of /proc/self/status (VmRSS, VmHWM …) in MiB, or None off Linux."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def peak_mb() -> float:
    hwm = status_mb("VmHWM")
    if hwm is not None:
        return hwm
    import resource  # pragma: no cover - not Linux

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def environment() -> dict:
    """Interpreter, versions of the libraries this process loaded, thread pools (threadpoolctl)."""
    versions = {}
    for name in ("numpy", "chainrule", "torch", "keras", "jax", "sklearn"):
        mod = sys.modules.get(name)
        if mod is not None:
            versions[name] = getattr(mod, "__version__", "?")
    if "keras" in sys.modules:
        versions["keras_backend"] = sys.modules["keras"].backend.backend()
    pools = []
    try:
        from threadpoolctl import threadpool_info

        pools = [{k: p.get(k) for k in ("user_api", "internal_api", "version", "architecture",
                                         "threading_layer", "num_threads")}
                 for p in threadpool_info()]  # fmt: skip
    except ImportError:
        pass
    env = {"python": platform.python_version(), "executable": sys.executable,
           "versions": versions, "threadpools": pools, "threads": _THREADS,
           "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None}  # fmt: skip
    if "torch" in sys.modules:
        env["torch_threads"] = sys.modules["torch"].get_num_threads()
    return env


def main(argv: list[str] | None = None) -> dict:
    global _THREADS
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.worker", description=__doc__.split("\n")[0]
    )
    p.add_argument("module", help="row module under benchmarks/, e.g. mlp")
    p.add_argument("contender")
    p.add_argument("--config", default="{}", help="the row's configuration, as JSON")
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            p.error("--threads must be positive")
        _THREADS = args.threads
        if hasattr(os, "sched_getaffinity"):
            allowed = sorted(os.sched_getaffinity(0))
            if args.threads < len(allowed):
                os.sched_setaffinity(0, allowed[: args.threads])
    mod = importlib.import_module(f"benchmarks.{args.module}")
    if args.contender not in mod.CONTENDERS:
        p.error(f"unknown contender {args.contender!r} for {args.module}; "
                f"known: {', '.join(mod.CONTENDERS)}")  # fmt: skip
    started = time.time()
    record = mod.run(args.contender, json.loads(args.config))
    record["started"], record["pid"] = started, os.getpid()
    record.setdefault("peak_mb", peak_mb())
    record["env"] = environment()
    print(json.dumps(record))
    return record


if __name__ == "__main__":
    # run as the importable module, so rows calling apply_threads() see the same _THREADS
    from benchmarks.worker import main as _main

    _main()
