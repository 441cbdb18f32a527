"""``python -m benchmarks``: run chosen benchmark rows and print one table per row.

Rows: ``mlp`` (samples/s of a 784-512-512-10 MLP per contender and batch size, with ratios),
``overhead`` (autograd cost per elementwise op, from :mod:`benchmarks.overhead`), ``gflops``
(training GFLOP/s as a share of this run's float32 GEMM peak), ``memory`` (peak RSS, one process per
contender), ``scaling`` (time per epoch against batch size, width and depth, saved as PNG).

Every contender runs with the same thread count (``--threads``, default: the cores this process may
use), set through threadpoolctl and ``torch.set_num_threads``. Contenders are interleaved round-robin
within each repeat and medians are reported, because the machine may be shared.

Example: ``python -m benchmarks --rows mlp,gflops --batch-sizes 32,128,1024 --repeats 7 --json r.json``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

ROWS = ("mlp", "overhead", "gflops", "memory", "scaling")
OURS = ("chainrule-fit", "chainrule-loop")
OTHERS = ("torch", "sklearn", "numpy")


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _rows(text: str) -> list[str]:
    rows = [r.strip() for r in text.split(",") if r.strip()]
    bad = [r for r in rows if r not in ROWS]
    if bad or not rows:
        raise argparse.ArgumentTypeError(
            f"unknown row(s) {bad or text!r}; choose from {','.join(ROWS)}"
        )
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from .common import machine_cores

    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument(
        "--rows", type=_rows, default=list(ROWS), help=f"comma list from {','.join(ROWS)}"
    )
    p.add_argument("--batch-sizes", type=_int_list, default=[32, 128, 1024])
    p.add_argument("--repeats", type=int, default=7, help="interleaved timed repeats (median)")
    p.add_argument("--samples", type=int, default=16384, help="samples per epoch")
    p.add_argument("--threads", type=int, default=machine_cores())
    p.add_argument("--contenders", default=None, help="comma list (default: all installed)")
    p.add_argument("--json", default=None, help="also write the results to this JSON file")
    p.add_argument("--plots", default=os.path.join("benchmarks", "out"), help="folder for PNGs")
    p.add_argument(
        "--settle",
        type=float,
        default=0.25,
        help="seconds to sleep before each timed call (lets idle thread pools park)",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of every row")
    args = p.parse_args(argv)
    if args.repeats < 1 or args.samples < 1 or args.threads < 1:
        p.error("--repeats, --samples and --threads must be positive")
    if args.quick:
        args.samples, args.repeats = min(args.samples, 1024), min(args.repeats, 3)
        args.settle = min(args.settle, 0.02)
    args.contenders = args.contenders.split(",") if args.contenders else None
    if args.contenders:
        from .contenders import CONTENDERS

        unknown = [n for n in args.contenders if n not in CONTENDERS]
        if unknown:
            p.error(f"unknown contender(s) {unknown}; choose from {','.join(CONTENDERS)}")
    return args


def machine_info(threads: int) -> dict:
    """What the numbers were measured on: cores, CPU, library versions, BLAS."""
    import numpy as np

    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    info = {"cores": os.cpu_count(), "threads": threads, "cpu": cpu, "python": platform.python_version(),
            "numpy": np.__version__}  # fmt: skip
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted({f"{d['internal_api']} {d.get('version')}" for d in threadpool_info()
                               if d["user_api"] == "blas"})  # fmt: skip
    except ImportError:
        info["blas"] = None
    return info


def _print_mlp(mlp: dict, samples: int, repeats: int) -> None:
    from .common import format_table

    batches = list(mlp)
    names = list(mlp[batches[0]])
    print(f"\nMLP 784-512-512-10 training, samples/s (median of {repeats} interleaved epochs of "
          f"{samples} samples)")  # fmt: skip
    rows = [[n] + [mlp[b][n]["samples_per_s"] for b in batches] for n in names]
    print(format_table(["contender"] + [f"batch {b}" for b in batches], rows))
    ratio_rows = []
    for ours in (n for n in OURS if n in names):
        for other in (n for n in OTHERS if n in names):
            ratio_rows.append([f"{ours} / {other}"] + [
                mlp[b][ours]["samples_per_s"] / mlp[b][other]["samples_per_s"] for b in batches])  # fmt: skip
    if ratio_rows:
        print(
            format_table(
                ["ratio (higher: chainrule faster)"] + [f"batch {b}" for b in batches], ratio_rows
            )
        )


def _print_gflops(mlp: dict, gemm: dict) -> None:
    from .common import format_table

    batches = list(mlp)
    names = list(mlp[batches[0]])
    peak = gemm["numpy"]
    extra = f", PyTorch {gemm['torch']:.0f}" if gemm.get("torch") else ""
    print(f"\nTraining GFLOP/s (6·N·Σ in·out per epoch) and share of the float32 GEMM peak "
          f"(NumPy {peak:.0f} GFLOP/s at n={gemm['n']}{extra})")  # fmt: skip
    rows = []
    for n in names:
        row = [n]
        for b in batches:
            g = mlp[b][n]["gflops"]
            row += [g, f"{100 * g / peak:.0f}%"]
        rows.append(row)
    heads = ["contender"]
    for b in batches:
        heads += [f"GFLOP/s b={b}", "share"]
    print(format_table(heads, rows))


def _print_memory(mem: dict, batch: int, samples: int) -> None:
    from .common import format_table

    print(
        f"\nPeak RSS of MLP training (batch {batch}, {samples} samples, 2 epochs), one process each"
    )
    rows = [[n, r.get("peak_mb"), r.get("baseline_mb"),
             r["peak_mb"] - r["baseline_mb"] if "peak_mb" in r else r.get("error")]
            for n, r in mem.items()]  # fmt: skip
    print(format_table(["contender", "peak MB", "after setup MB", "added by training MB"], rows))


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    from . import common
    from .common import pin_threads

    common.SETTLE = args.settle
    pinned = pin_threads(args.threads)
    info = machine_info(args.threads)
    print(f"chainrule benchmarks: {info['cpu']}, {info['cores']} cores, {args.threads} threads "
          f"(threadpoolctl: {pinned['threadpoolctl']}), numpy {info['numpy']}, torch {info['torch']}, "
          f"BLAS {info['blas']}")  # fmt: skip
    report = {"machine": info, "config": {k: v for k, v in vars(args).items() if k != "json"}}
    t0 = time.perf_counter()
    mlp = None
    if "mlp" in args.rows or "gflops" in args.rows:
        from .mlp import run_mlp

        mlp = run_mlp(args.batch_sizes, args.samples, args.repeats, args.contenders)
        report["mlp"] = {str(b): v for b, v in mlp.items()}
        if "mlp" in args.rows:
            _print_mlp(mlp, args.samples, args.repeats)
    if "gflops" in args.rows:
        from .gemm import gemm_peak

        gemm = gemm_peak(256 if args.quick else 1024, args.repeats)
        report["gemm"] = gemm
        _print_gflops(mlp, gemm)
    if "overhead" in args.rows:
        from .overhead import run as run_overhead

        ov = run_overhead(repeats=args.repeats, chain=200 if args.quick else 2000)
        report["overhead"] = ov
        torch_part = (
            f", PyTorch {ov['torch_us']:.2f} us/op, ratio {ov['ratio']:.2f}"
            if ov["torch_us"]
            else ""
        )
        print(f"\nAutograd overhead per elementwise op (forward + backward): chainrule "
              f"{ov['chainrule_us']:.2f} us/op{torch_part}")  # fmt: skip
    if "memory" in args.rows:
        from .contenders import available
        from .memory import run_memory

        names = list(available(args.contenders))
        batch = 128 if 128 in args.batch_sizes else args.batch_sizes[0]
        mem = run_memory(names, batch, args.samples, args.threads, epochs=2)
        report["memory"] = mem
        _print_memory(mem, batch, args.samples)
    if "scaling" in args.rows:
        from .contenders import available
        from .scaling import run_scaling, save_plots

        chosen = available(args.contenders)  # chainrule's highest-level API beside PyTorch
        names = [n for n in ("chainrule-fit", "chainrule-loop") if n in chosen][:1]
        names += ["torch"] if "torch" in chosen else []
        kw = {"batches": [32, 128], "widths": [64, 128], "depths": [1, 2]} if args.quick else {}
        # time per epoch scales linearly with the epoch size: 4096 samples per point keep the
        # 17 points × 2 contenders affordable
        scaling_samples = min(args.samples, 4096)
        curves = run_scaling(scaling_samples, max(3, args.repeats // 2), names, **kw)
        report["scaling"] = {k: {str(v): t for v, t in pts.items()} for k, pts in curves.items()}
        paths = save_plots(curves, args.plots, scaling_samples)
        print(f"\nScaling curves written: {', '.join(paths)}")
    report["wall_s"] = time.perf_counter() - t0
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=1)
        os.replace(tmp, args.json)
        print(f"\nJSON written to {args.json}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
