"""The harness every cross-library row uses: each contender runs in a fresh process of its own.

A *row module* (``benchmarks/<module>.py``) declares its contenders and metrics and one function
that builds a contender and measures it in the calling process::

    CONTENDERS = {"chainrule": Contender("chainrule"), "torch": Contender("torch", ("torch",))}
    METRICS = {"samples_per_s": Metric("samples/s", higher_is_better=True)}
    def run(contender: str, config: dict) -> dict:  # {"metrics": {...}, ...anything else}

:func:`compare` runs ``python -m benchmarks.worker MODULE CONTENDER --config JSON`` once per
contender and round, alternating the contenders (A B A B …, the first one rotating each round) so
that a noisy machine hurts all of them alike. Each process prints one JSON line (its metrics, its
peak RSS, its interpreter, library versions and BLAS); the parent keeps each metric per round and
summarises it as the median with its spread (min–max over rounds). :func:`ratio` pairs two
contenders round by round (the two processes of one round ran seconds apart) and summarises those
per-round ratios the same way.

Contenders whose libraries are missing are skipped with a reason instead of failing: Keras and
JAX live only in the benchmark venv made by ``benchmarks/setup_peers.sh`` (``.venv-bench`` at the
repository root, or the interpreter named by ``$BENCH_PYTHON``).
"""

from __future__ import annotations

import datetime
import functools
import importlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETUP_HINT = "run benchmarks/setup_peers.sh"


@dataclass(frozen=True)
class Contender:
    """One library (or API of chainrule) in a row.

    ``needs``: modules that must be importable; ``python``: ``"main"`` (this interpreter) or
    ``"bench"`` (the peers' venv); ``env``: extra environment variables for its process.
    """

    name: str
    needs: tuple[str, ...] = ()
    python: str = "main"
    env: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """What a row measures: its unit and which direction is better."""

    unit: str
    higher_is_better: bool = True


class WorkerError(RuntimeError):
    """A worker process failed; the message ends with the last lines of its stderr."""


def machine_cores() -> int:
    """Cores this process may run on (its CPU affinity), the default thread count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def bench_python() -> str | None:
    """The peers' interpreter: ``$BENCH_PYTHON`` or ``.venv-bench/bin/python``; None if absent."""
    path = os.environ.get("BENCH_PYTHON") or os.path.join(ROOT, ".venv-bench", "bin", "python")
    return path if os.path.exists(path) else None


def interpreter(contender: Contender) -> str | None:
    return sys.executable if contender.python == "main" else bench_python()


@functools.cache
def _missing_modules(python: str, needs: tuple[str, ...]) -> tuple[str, ...]:
    if python == sys.executable:
        return tuple(m for m in needs if importlib.util.find_spec(m) is None)
    probe = (
        "import importlib.util as u, sys; print(*(m for m in sys.argv[1:] if not u.find_spec(m)))"
    )
    out = subprocess.run([python, "-c", probe, *needs], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return needs
    return tuple(out.stdout.split())


def skip_reason(contender: Contender) -> str | None:
    """Why ``contender`` cannot run here (``"skipped: keras not installed (…)"``), or None."""
    python = interpreter(contender)
    if python is None:
        first = contender.needs[0] if contender.needs else contender.name
        return f"skipped: {first} not installed ({SETUP_HINT})"
    missing = _missing_modules(python, contender.needs)
    if missing:
        hint = SETUP_HINT if contender.python == "bench" else f"pip install {missing[0]}"
        return f"skipped: {missing[0]} not installed ({hint})"
    return None


def worker_env(contender: Contender) -> dict:
    """The environment of a worker: ours, plus this checkout on PYTHONPATH, plus the contender's."""
    env = dict(os.environ)
    paths = [os.path.join(ROOT, "src"), ROOT, env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    env.update(contender.env)
    return env


def run_worker(
    module: str, contender: Contender, config: dict, threads: int, timeout: float = 1800
) -> dict:
    """Run one contender in a fresh process and return the JSON record it printed."""
    python = interpreter(contender)
    if python is None:
        raise WorkerError(f"{contender.name}: no interpreter ({SETUP_HINT})")
    cmd = [python, "-m", "benchmarks.worker", module, contender.name,
           "--config", json.dumps(config), "--threads", str(threads)]  # fmt: skip
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=worker_env(contender),
                              cwd=ROOT, timeout=timeout, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as err:
        raise WorkerError(f"{module} {contender.name}: timed out after {timeout:.0f} s") from err
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:]) or "no output"
        raise WorkerError(f"{module} {contender.name} exited {proc.returncode}:\n{tail}")
    return json.loads(lines[-1])


def summarize(values: list[float]) -> dict:
    """Median and spread (min, max) of per-round values."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": list(values)}  # fmt: skip


def compare(
    module: str,
    config: dict,
    contenders: list[str] | None = None,
    rounds: int = 3,
    threads: int | None = None,
    log: Callable[[str], None] | None = None,
) -> dict:
    """Run every available contender of ``module`` ``rounds`` times, one fresh process each.

    ``config`` goes to each worker as is; its optional ``"skip"`` ({contender: reason}) names
    contenders that cannot run this configuration (they are reported, not run).

    Returns ``{"module", "config", "threads", "metrics": {name: {"unit", "higher_is_better"}},
    "results": {contender: {metric: summary}}, "records": {contender: [record per round]},
    "skipped": {contender: reason}, "errors": {contender: message}}``.
    """
    mod = importlib.import_module(f"benchmarks.{module}")
    specs: dict[str, Contender] = mod.CONTENDERS
    names = list(specs) if contenders is None else [n for n in specs if n in contenders]
    threads = threads or machine_cores()
    skipped = {n: f"skipped: {why}" for n, why in config.get("skip", {}).items() if n in names}
    skipped.update({n: r for n in names if n not in skipped and (r := skip_reason(specs[n]))})
    run = [n for n in names if n not in skipped]
    records: dict[str, list[dict]] = {n: [] for n in run}
    errors: dict[str, str] = {}
    for r in range(rounds):
        order = run[r % len(run) :] + run[: r % len(run)] if run else []
        for name in order:
            if name in errors:
                continue
            try:
                records[name].append(run_worker(module, specs[name], config, threads))
            except WorkerError as err:
                errors[name] = str(err)
                if log:
                    log(f"  {name}: failed: {str(err).splitlines()[-1]}")
    results = {}
    for name, recs in records.items():
        if recs and name not in errors:
            results[name] = {m: summarize([rec["metrics"][m] for rec in recs]) for m in mod.METRICS}
    return {
        "module": module,
        "config": config,
        "threads": threads,
        "rounds": rounds,
        "metrics": {
            m: {"unit": v.unit, "higher_is_better": v.higher_is_better}
            for m, v in mod.METRICS.items()
        },
        "results": results,
        "records": {n: recs for n, recs in records.items() if n in results},
        "skipped": skipped,
        "errors": errors,
    }


def ratio(result: dict, ours: str, peer: str, metric: str | None = None) -> dict | None:
    """``ours`` against ``peer``, round by round; above 1 means ``ours`` is better.

    For a higher-is-better metric the ratio is ours / peer, otherwise peer / ours. Returns the
    :func:`summarize` of the per-round ratios, or None when either contender has no result.
    """
    metric = metric or next(iter(result["metrics"]))
    if ours not in result["records"] or peer not in result["records"]:
        return None
    higher = result["metrics"][metric]["higher_is_better"]
    pairs = zip(result["records"][ours], result["records"][peer])
    values = [(a["metrics"][metric] / b["metrics"][metric]) if higher
              else (b["metrics"][metric] / a["metrics"][metric]) for a, b in pairs]  # fmt: skip
    return summarize(values) if values else None


def load_average() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # pragma: no cover
        return None


def machine_info() -> dict:
    """The machine: CPU model, cores, memory, OS, when (UTC), and the load average now."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)  # fmt: skip
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            kb = next(int(ln.split()[1]) for ln in f if ln.startswith("MemTotal"))
        mem_gib = round(kb / 2**20, 1)
    except (OSError, StopIteration):
        pass
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"cpu": cpu, "cores": os.cpu_count(), "cores_allowed": machine_cores(),
            "memory_gib": mem_gib, "os": platform.platform(), "utc": now.strftime("%Y-%m-%d %H:%M"),
            "load_average": load_average(),
            "blas_env": {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS_", "OMP_",
                                                                               "MKL_"))}}  # fmt: skip


def environment_line(record: dict) -> str:
    """One line describing the process a record came from: interpreter, versions, BLAS, threads."""
    env = record.get("env", {})
    libs = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
    fields = ("internal_api", "version", "architecture")
    pools = "; ".join(
        " ".join([str(p[k]) for k in fields if p.get(k)] + [f"x{p['num_threads']}"])
        for p in env.get("threadpools", [])
    )
    extra = f", torch threads {env['torch_threads']}" if env.get("torch_threads") else ""
    return f"Python {env.get('python')} ({env.get('executable')}): {libs}; pools: {pools}{extra}"
