"""``python -m benchmarks``: cross-library rows, each contender in a fresh process of its own.

Rows: ``mlp`` (samples/s of a 784-512-512-10 MLP per batch size), ``tiny`` (steps/s of XOR 2-8-2,
Iris 4-16-3 and digits 64-128-10, where per-step overhead dominates), ``startup`` (import time and
RSS), ``overhead`` (autograd µs per elementwise op), ``memory`` (peak RSS while training, from the
MLP row at batch 128), ``gflops`` (training GFLOP/s as a share of the float32 GEMM peak),
``cnn`` (samples/s of LeNet-5 and the Keras MNIST convnet at batch 128: both chainrule doors,
PyTorch eager, Keras-JAX), ``scaling`` (time per epoch against batch, width and depth, PNGs; not
in the default set), ``seq`` (training tokens/s of issue 13's char-LSTM and tiny GPT,
:mod:`benchmarks.rows_seq`).

Every row prints, per contender, the median over ``--repeats`` rounds with its spread (min–max),
then chainrule's ratio to each peer: the ratio of the two processes of each round, summarised
the same way (above 1: chainrule better). ``--quick`` is a smoke run of every row in seconds.

Example: ``python -m benchmarks --rows mlp --batch-sizes 32,128,1024 --repeats 3 --json r.json``
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from .common import format_table
from .harness import compare, environment_line, load_average, machine_cores, machine_info, ratio

ROWS = ("mlp", "tiny", "cnn", "startup", "overhead", "memory", "gflops", "scaling", "seq")
DEFAULT_ROWS = ("mlp", "tiny", "cnn", "startup", "overhead", "memory", "gflops", "seq")
OURS = ("chainrule-fit", "chainrule-loop", "chainrule-keras", "chainrule-torch", "chainrule")
PEERS = ("torch", "keras-torch", "keras-jax", "sklearn", "numpy")
#: the tiny rows: label -> (sizes, batch, data, epochs per timed call, quick epochs per call)
TINY = {
    "xor 2-8-2 (batch 4)": ([2, 8, 2], 4, "xor", 200, 10),
    "iris 4-16-3 (batch 32)": ([4, 16, 3], 32, "iris", 40, 2),
    "digits 64-128-10 (batch 32)": ([64, 128, 10], 32, "digits", 2, 1),
}


def _csv(kind):
    def parse(text: str) -> list:
        items = [v.strip() for v in text.split(",") if v.strip()]
        if not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
        if kind is int:
            try:
                items = [int(v) for v in items]
            except ValueError:
                raise argparse.ArgumentTypeError(f"expected integers, got {text!r}") from None
            if min(items) < 1:
                raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
        return items

    return parse


def _all_contenders() -> list[str]:
    from . import cnn, gemm, mlp, overhead, rows_seq, startup

    seen = {}
    for mod in (mlp, cnn, startup, overhead, gemm, rows_seq):
        seen.update(dict.fromkeys(mod.CONTENDERS))
    return list(seen)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=_csv(str), default=list(DEFAULT_ROWS),
                   help=f"comma list from {','.join(ROWS)} (default: all but scaling)")  # fmt: skip
    p.add_argument("--contenders", type=_csv(str), default=None,
                   help="comma list (default: every installed one; 'chainrule' and "
                        "'chainrule-fit'/'chainrule-loop' select each other's rows)")  # fmt: skip
    p.add_argument("--batch-sizes", type=_csv(int), default=None,
                   help="MLP batch sizes (default 32,128,1024; 128 with --quick)")  # fmt: skip
    p.add_argument("--repeats", type=int, default=3, help="rounds: fresh processes per contender")
    p.add_argument("--epochs", type=int, default=5, help="timed epochs (calls) per process")
    p.add_argument("--samples", type=int, default=16384, help="samples per MLP epoch")
    p.add_argument("--cnn-models", type=_csv(str), default=["lenet5", "convnet"],
                   help="models of the cnn row (default lenet5,convnet)")  # fmt: skip
    p.add_argument("--cnn-samples", type=int, default=2048,
                   help="samples per epoch of the cnn row (default 2048: 16 steps of 128)")  # fmt: skip
    p.add_argument("--threads", type=int, default=machine_cores(),
                   help="threads for every contender (default: the cores this process may use)")  # fmt: skip
    p.add_argument("--json", default=None, help="also write everything measured to this file")
    p.add_argument("--plots", default=os.path.join("benchmarks", "out"), help="folder for PNGs")
    p.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run of every row")
    args = p.parse_args(argv)
    bad_rows = [r for r in args.rows if r not in ROWS]
    if bad_rows:
        p.error(f"unknown row(s) {bad_rows}; choose from {','.join(ROWS)}")
    if min(args.repeats, args.epochs, args.samples, args.threads, args.cnn_samples) < 1:
        p.error("--repeats, --epochs, --samples, --cnn-samples and --threads must be positive")
    from .cnn import MODELS as cnn_models

    bad_models = [m for m in args.cnn_models if m not in cnn_models]
    if bad_models:
        p.error(f"unknown cnn model(s) {bad_models}; choose from {','.join(cnn_models)}")
    if args.contenders:
        known = _all_contenders()
        unknown = [n for n in args.contenders if n not in known]
        if unknown:
            p.error(f"unknown contender(s) {unknown}; choose from {','.join(known)}")
    if args.batch_sizes is None:
        args.batch_sizes = [128] if args.quick else [32, 128, 1024]
    if args.quick:
        args.samples, args.epochs = min(args.samples, 1024), min(args.epochs, 2)
        args.cnn_samples = min(args.cnn_samples, 256)
        args.repeats = min(args.repeats, 2)
    return args


def _chosen(module: str, wanted: list[str] | None) -> list[str] | None:
    """The contenders of ``module`` to run: either chainrule API selects a row's 'chainrule', and
    'chainrule' selects both APIs (chainrule-fit, chainrule-loop) where a row has them."""
    if wanted is None:
        return None
    import importlib

    names = importlib.import_module(f"benchmarks.{module}").CONTENDERS
    ours = any(w.startswith("chainrule") for w in wanted)
    both = "chainrule" in wanted
    return [n for n in names if n in wanted or (n == "chainrule" and ours)
            or (n.startswith("chainrule-") and both)]  # fmt: skip


def _cell(s: dict | None, digits: int = 0) -> str:
    if s is None:
        return "-"
    if digits == 0 and s["median"] >= 100:
        return f"{s['median']:,.0f} ({s['min']:,.0f}–{s['max']:,.0f})"
    d = digits or 2
    return f"{s['median']:.{d}f} ({s['min']:.{d}f}–{s['max']:.{d}f})"


def _ratio_rows(results: dict[str, dict], metric: str) -> list[list]:
    """One line per (ours, peer) pair present in every column."""
    cols = list(results.values())
    present = set.intersection(*(set(r["results"]) for r in cols)) if cols else set()
    rows = []
    for ours in (n for n in OURS if n in present):
        for peer in (n for n in PEERS if n in present):
            rows.append([f"{ours} / {peer}"] + [_cell(ratio(r, ours, peer, metric)) for r in cols])
    return rows


def _print_table(title: str, results: dict[str, dict], metric: str, digits: int = 0) -> None:
    """Contenders down, columns across (one compare() result per column), then the ratios."""
    print(f"\n{title}")
    cols = list(results)
    names = []
    for r in results.values():
        names += [n for n in (*r["results"], *r["errors"]) if n not in names]
    rows = [[n] + [_cell(results[c]["results"].get(n, {}).get(metric), digits) for c in cols]
            for n in names]  # fmt: skip
    print(format_table(["contender (median (min–max))"] + cols, rows))
    ratio_rows = _ratio_rows(results, metric)
    if ratio_rows:
        print(format_table(["ratio per round (above 1: chainrule better)"] + cols, ratio_rows))
    notes = {}
    for r in results.values():
        notes.update(r["skipped"])
        notes.update({n: f"failed: {e.splitlines()[-1]}" for n, e in r["errors"].items()})
    for n, why in notes.items():
        print(f"  {n}: {why}")


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    info = machine_info()
    print(f"chainrule benchmarks, {info['utc']} UTC: {info['cpu']}, {info['cores']} cores "
          f"({info['cores_allowed']} allowed), {info['memory_gib']} GiB, {args.threads} threads "
          f"per contender, load average {info['load_average']}, BLAS env {info['blas_env']}")  # fmt: skip
    print(f"each contender in its own process: {args.repeats} rounds × {args.epochs} timed calls")
    t0 = time.perf_counter()
    rounds, threads, report = args.repeats, args.threads, {"machine": info, "rows": {}}
    report["config"] = {k: v for k, v in vars(args).items() if k != "json"}
    mlp = {}

    def run(label: str, module: str, cfg: dict, rnds: int = rounds) -> dict:
        _log(f"running {label} ...")
        res = compare(module, cfg, _chosen(module, args.contenders), rnds, threads, log=_log)
        report["rows"][label] = res
        return res

    base = {"samples": args.samples, "epochs": args.epochs}
    if "mlp" in args.rows or "gflops" in args.rows:
        for b in args.batch_sizes:
            mlp[f"batch {b}"] = run(f"mlp batch {b}", "mlp", {**base, "batch": b})
        _print_table(f"MLP 784-512-512-10 training, samples/s ({args.samples} samples per epoch)",
                     mlp, "samples_per_s")  # fmt: skip
        _print_table("The same, samples per CPU-second of each process (all its threads): robust "
                     "to other jobs with --threads 1; counts spinning threads as busy",
                     mlp, "samples_per_cpu_s")  # fmt: skip
    if "tiny" in args.rows:
        tiny = {}
        for label, (sizes, batch, data, per_call, quick_per_call) in TINY.items():
            cfg = {"sizes": sizes, "batch": batch, "data": data, "epochs": args.epochs,
                   "per_call": quick_per_call if args.quick else per_call}  # fmt: skip
            if data == "xor":
                cfg["skip"] = {"sklearn": "MLPClassifier gives two classes one logistic output "
                                          "(a 2-8-1 network, not this 2-8-2 one)"}  # fmt: skip
            tiny[label] = run(f"tiny {label}", "mlp", cfg)
        _print_table("Tiny models (real data, SGD momentum), training steps/s", tiny, "steps_per_s")
        _print_table("The same, steps per CPU-second", tiny, "steps_per_cpu_s")
    if "cnn" in args.rows:
        cnn = {}
        for model in args.cnn_models:
            cfg = {"model": model, "batch": 128, "samples": args.cnn_samples,
                   "epochs": args.epochs}  # fmt: skip
            cnn[model] = run(f"cnn {model}", "cnn", cfg)
        _print_table(f"CNN training at batch 128 (Adam), samples/s ({args.cnn_samples} samples per "
                     "epoch)", cnn, "samples_per_s")  # fmt: skip
        _print_table("The same, samples per CPU-second of each process", cnn, "samples_per_cpu_s")
    if "startup" in args.rows:
        res = {"import": run("startup", "startup", {}, max(rounds, 2 if args.quick else 5))}
        _print_table("import time, fresh process, seconds", res, "import_s", digits=3)
        _print_table("RSS after the import, MiB", res, "rss_mb", digits=1)
    if "overhead" in args.rows:
        cfg = {"chain": 200, "repeats": 3} if args.quick else {"chain": 2000, "repeats": 11}
        res = {"per op": run("overhead", "overhead", cfg)}
        _print_table("Autograd overhead per elementwise op (forward + backward), µs of CPU time",
                     res, "us_per_op", digits=2)  # fmt: skip
    if "memory" in args.rows:
        batch = 128 if 128 in args.batch_sizes else args.batch_sizes[0]
        res = mlp.get(f"batch {batch}") or run(
            f"mlp batch {batch}", "mlp", {**base, "batch": batch, "epochs": 2}, 1
        )
        _print_table(f"Peak RSS while training the MLP (batch {batch}), MiB", {"peak": res},
                     "peak_mb", digits=1)  # fmt: skip
        added = [[n, f"{r['setup_mb']['median']:.1f}",
                  f"{r['peak_mb']['median'] - r['setup_mb']['median']:.1f}"]
                 for n, r in res["results"].items()]  # fmt: skip
        print(format_table(["contender", "after setup MiB", "added by training MiB"], added))
    if "gflops" in args.rows:
        from .mlp import MLP_SIZES, training_flops

        gemm = run("gemm", "gemm", {"n": 512 if args.quick else 1024})
        _print_table("float32 GEMM peak, GFLOP/s (best of 7 in each process)", {"peak": gemm},
                     "gflops")  # fmt: skip
        peak = gemm["results"].get("numpy", {}).get("gflops", {}).get("median")
        if peak:
            per_sample = training_flops(MLP_SIZES, 1) / 1e9
            rows = [[n] + [f"{r['results'][n]['samples_per_s']['median'] * per_sample:.0f} "
                           f"({100 * r['results'][n]['samples_per_s']['median'] * per_sample / peak:.0f}%)"
                           if n in r["results"] else "-" for r in mlp.values()]
                    for n in dict.fromkeys(n for r in mlp.values() for n in r["results"])]  # fmt: skip
            print(f"training GFLOP/s (6·N·Σ in·out) and share of NumPy's GEMM peak ({peak:.0f})")
            print(format_table(["contender"] + list(mlp), rows))
    if "seq" in args.rows:
        from .rows_seq import print_rows

        print_rows(run, _print_table, args.quick)
    if "scaling" in args.rows:
        from .scaling import run_scaling, save_plots

        names = _chosen("mlp", args.contenders) or ["chainrule-fit", "torch"]
        kw = {"batches": [32, 128], "widths": [64, 128], "depths": [1, 2]} if args.quick else {}
        samples = min(args.samples, 4096)
        curves = run_scaling(samples, args.epochs, 1, names, threads, **kw)
        report["scaling"] = {k: {str(v): t for v, t in pts.items()} for k, pts in curves.items()}
        print(f"\nScaling curves written: {', '.join(save_plots(curves, args.plots, samples))}")
    envs = {}
    for res in report["rows"].values():
        for name, recs in res["records"].items():
            envs.setdefault(name, environment_line(recs[0]))
    print("\nProcesses (interpreter, libraries, thread pools seen by threadpoolctl):")
    for name, line in envs.items():
        print(f"  {name}: {line}")
    report["load_average_end"] = load_average()
    report["wall_s"] = time.perf_counter() - t0
    print(f"load average at the end {report['load_average_end']}; {report['wall_s']:.0f} s")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=1)
        os.replace(tmp, args.json)
        print(f"JSON written to {args.json}")
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
