"""Full CNN training steps at batch 128: LeNet-5 and the Keras "simple MNIST convnet", chainrule
beside PyTorch eager.

One step = forward, cross-entropy loss, backward, Adam update, on a fixed batch of 28×28 digits.
Contenders per model: ``torch`` (``torch.nn`` modules, ``torch.optim.Adam``, channels-first);
``chainrule-keras`` (the Keras door: ``Sequential`` of ``Conv2D``/``MaxPooling2D``/``Dense``,
channels-last, ``model.train_on_batch``); ``chainrule-torch`` (the PyTorch door: ``nn.Conv2d`` …
and ``optim.Adam``, channels-first). Each measurement is a fresh process running one contender
alone; contenders alternate, rotating the start; the table gives medians over processes of each
process's median step time (wall and process CPU). Self-contained (one file) so it can move into
any harness.

    python -m benchmarks.cnn_models [--models lenet5,convnet] [--rounds 3] [--steps 20] [--threads 1]
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

CONTENDERS = ("torch", "chainrule-keras", "chainrule-torch")
MODELS = ("lenet5", "convnet")


def _batch(n: int):
    rng = np.random.default_rng(0)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n).astype(np.int64)


def _torch_like_model(nn, model: str):
    """The model in either torch-style library (``nn`` is torch.nn or chainrule.nn)."""
    if model == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )  # fmt: skip
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
    )  # fmt: skip


def _step(contender: str, model: str, batch: int):
    x, y = _batch(batch)
    if contender == "chainrule-keras":
        import chainrule as keras
        from chainrule import layers

        keras.manual_seed(0)
        if model == "lenet5":
            body = [layers.Conv2D(6, 5, padding="same", activation="relu"), layers.MaxPooling2D(),
                    layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(),
                    layers.Flatten(), layers.Dense(120, activation="relu"),
                    layers.Dense(84, activation="relu")]  # fmt: skip
        else:
            body = [layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                    layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
                    layers.Flatten(), layers.Dropout(0.5)]  # fmt: skip
        net = keras.Sequential([keras.Input((28, 28, 1)), *body, layers.Dense(10)])
        net.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return lambda: net.train_on_batch(x, y)
    if contender == "torch":
        import torch as lib
        from torch import nn
    else:
        import chainrule as lib
        from chainrule import nn
    lib.manual_seed(0)
    net = _torch_like_model(nn, model)
    opt = lib.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = lib.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2))), lib.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(net(xt), yt)
        loss.backward()
        opt.step()
        return loss

    return step


def worker(contender: str, model: str, batch: int, steps: int, threads: int) -> dict:
    """Median wall and CPU seconds per step of one contender, in this process."""
    from benchmarks.common import pin_threads

    pin_threads(threads, torch=contender == "torch")
    step = _step(contender, model, batch)
    for _ in range(3):
        step()
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"median": statistics.median(times), "cpu": statistics.median(cpu)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--rounds", type=int, default=3, help="processes per contender and model")
    ap.add_argument("--steps", type=int, default=20, help="timed steps per process")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None, help="default: the cores available")
    ap.add_argument("--contenders", default=",".join(CONTENDERS))
    ap.add_argument("--worker", nargs=2, metavar=("CONTENDER", "MODEL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    from benchmarks.common import format_table, machine_cores

    threads = args.threads or machine_cores()
    if args.worker:
        print(json.dumps(worker(*args.worker, args.batch, args.steps, threads)))
        return {}
    names = [c.strip() for c in args.contenders.split(",") if c.strip()]
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [c for c in names if c not in CONTENDERS] + [m for m in models if m not in MODELS]
    if bad:
        ap.error(f"unknown contender/model {bad}; contenders {CONTENDERS}, models {MODELS}")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "src"), str(root)]))
    results, rows = {}, []
    for model in models:
        wall = {c: [] for c in names}
        cpus = {c: [] for c in names}
        for r in range(args.rounds):
            for c in names[r % len(names) :] + names[: r % len(names)]:
                cmd = [sys.executable, "-m", "benchmarks.cnn_models", "--worker", c, model,
                       "--batch", str(args.batch), "--steps", str(args.steps),
                       "--threads", str(threads)]  # fmt: skip
                out = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env,
                                     cwd=root)  # fmt: skip
                if out.returncode:
                    raise RuntimeError(f"{c} ({model}) worker failed:\n{out.stderr}")
                rep = json.loads(out.stdout.strip().splitlines()[-1])
                wall[c].append(rep["median"])
                cpus[c].append(rep["cpu"])
        med = {c: statistics.median(v) for c, v in wall.items()}
        cpu = {c: statistics.median(v) for c, v in cpus.items()}
        results[model] = med
        for c in names:
            ratio = med["torch"] / med[c] if "torch" in med else None
            cratio = cpu["torch"] / cpu[c] if "torch" in cpu else None
            rows.append([model, c, med[c] * 1e3, args.batch / med[c], ratio, cpu[c] * 1e3,
                         cratio])  # fmt: skip
    print(f"CNN training steps (forward, loss, backward, Adam), batch {args.batch}, {threads} "
          f"threads, median of {args.rounds} processes × {args.steps} steps")  # fmt: skip
    heads = ["model", "contender", "ms/step", "samples/s", "× torch", "CPU ms/step",
             "× torch (CPU)"]  # fmt: skip
    print(format_table(heads, rows))
    return results


if __name__ == "__main__":
    main()
