"""Sequence ops, chainrule beside PyTorch eager: forward + backward tokens/s, with ratios.

Cases (the sizes of issue 13's speed targets):

- ``lstm``: the LSTM op alone, embedding 64 → hidden 256, batch 32, length 64 (time-major);
- ``charlstm``: a char-LSTM step without the optimiser: embedding (vocab 65, dim 64) → LSTM 256 →
  linear to 65 logits → mean cross-entropy → backward;
- ``charlstm-proj``: the same step, with the embedding table projected once
  (``ops.lstm(ops.embedding(tokens, table @ w_ih), None, ...)``; PyTorch runs its ``charlstm``);
- ``attention``: causal scaled dot-product attention of a tiny GPT (batch 32, 4 heads, context 64,
  head size 32), forward + backward;
- ``train-charlstm``, ``train-gpt``: a whole training step (forward, backward, Adam update) of
  the char-LSTM and of the tiny GPT of :mod:`benchmarks.rows_seq` (the harness row
  ``python -m benchmarks --rows seq`` measures the same steps, each library in its own process).

Each library runs in its own fresh process (their thread pools disturb each other in one process),
the processes alternate (chainrule, torch, torch, chainrule, …) and each reports the median time of
its timed calls; the table gives the median over processes. The machine may be shared: the absolute
numbers are noisy, the ratio less so.

``python -m benchmarks.seq_ops [--cases lstm,charlstm,attention] [--repeats 5] [--iters 15]``
``python -m benchmarks.seq_ops --profile lstm`` prints where chainrule's time goes (cProfile).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

CASES = ("lstm", "charlstm", "charlstm-proj", "attention", "train-charlstm", "train-gpt")
VOCAB, EMB, HID, BATCH, SEQ = 65, 64, 256, 32, 64
HEADS, CTX, HEAD_DIM = 4, 64, 32


def _data(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    s = 1 / np.sqrt(HID)
    return {
        "tokens": rng.integers(0, VOCAB, (SEQ, BATCH)),
        "targets": rng.integers(0, VOCAB, (SEQ, BATCH)),
        "table": rng.standard_normal((VOCAB, EMB)).astype(np.float32),
        "w_ih": rng.uniform(-s, s, (4 * HID, EMB)).astype(np.float32),  # torch layout (4H, in)
        "w_hh": rng.uniform(-s, s, (4 * HID, HID)).astype(np.float32),
        "b_ih": rng.uniform(-s, s, 4 * HID).astype(np.float32),
        "b_hh": rng.uniform(-s, s, 4 * HID).astype(np.float32),
        "w_out": rng.uniform(-s, s, (VOCAB, HID)).astype(np.float32),
        "b_out": np.zeros(VOCAB, np.float32),
        "x": rng.standard_normal((SEQ, BATCH, EMB)).astype(np.float32),
        "up": rng.standard_normal((SEQ, BATCH, HID)).astype(np.float32),
        "qkv": rng.standard_normal((3, BATCH, HEADS, CTX, HEAD_DIM)).astype(np.float32),
        "up_att": rng.standard_normal((BATCH, HEADS, CTX, HEAD_DIM)).astype(np.float32),
    }


def _train_step(lib, case: str):
    """One whole training step of ``case`` (``train-charlstm``/``train-gpt``) written once against
    a torch-like module ``lib``: the models of :mod:`benchmarks.rows_seq`."""
    from .rows_seq import build_step

    return build_step(lib, case.removeprefix("train-"))


def chainrule_step(case: str):
    """A closure running one forward + backward of ``case`` in chainrule; it returns one gradient
    (the same one as :func:`torch_step`'s, so a test can check both do the same work)."""
    import chainrule as cr
    from chainrule import ops

    if case.startswith("train-"):
        return _train_step(cr, case)
    d = _data()
    if case == "attention":
        q, k, v = (cr.Tensor(a, requires_grad=True) for a in d["qkv"])

        def step():
            for t in (q, k, v):
                t.grad = None
            ops.scaled_dot_product_attention(q, k, v, is_causal=True).backward(d["up_att"])
            return q.grad

        return step
    p = {n: cr.Tensor(d[n], requires_grad=True) for n in ("table", "w_ih", "w_hh", "b_ih", "b_hh")}
    p["w_out"] = cr.Tensor(d["w_out"].T.copy(), requires_grad=True)
    p["b_out"] = cr.Tensor(d["b_out"], requires_grad=True)
    x = cr.Tensor(d["x"], requires_grad=True)

    def step():
        for t in p.values():
            t.grad = None
        if case == "lstm":
            y = ops.lstm(x, p["w_ih"].T, p["w_hh"].T, p["b_ih"], p["b_hh"])[0]
            y.backward(d["up"])
            return p["w_hh"].grad
        if case == "charlstm-proj":
            e = ops.embedding(d["tokens"], ops.matmul(p["table"], p["w_ih"].T))
            y = ops.lstm(e, None, p["w_hh"].T, p["b_ih"], p["b_hh"])[0]
        else:
            e = ops.embedding(d["tokens"], p["table"])
            y = ops.lstm(e, p["w_ih"].T, p["w_hh"].T, p["b_ih"], p["b_hh"])[0]
        logits = ops.linear(y.reshape((SEQ * BATCH, HID)), p["w_out"], p["b_out"])
        ops.sparse_softmax_cross_entropy(logits, d["targets"].reshape(-1)).mean().backward()
        return p["table"].grad

    return step


def torch_step(case: str):
    """A closure running one forward + backward of ``case`` in PyTorch eager."""
    import torch
    import torch.nn.functional as F

    if case.startswith("train-"):
        return _train_step(torch, case)
    d = _data()
    if case == "attention":
        q, k, v = (torch.tensor(a, requires_grad=True) for a in d["qkv"])
        up = torch.from_numpy(d["up_att"])

        def step():
            for t in (q, k, v):
                t.grad = None
            F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(up)
            return q.grad

        return step
    emb = torch.nn.Embedding(VOCAB, EMB)
    lstm = torch.nn.LSTM(EMB, HID)
    head = torch.nn.Linear(HID, VOCAB)
    with torch.no_grad():
        emb.weight.copy_(torch.from_numpy(d["table"]))
        for name in ("w_ih", "w_hh", "b_ih", "b_hh"):
            getattr(lstm, name.replace("w_", "weight_").replace("b_", "bias_") + "_l0").copy_(
                torch.from_numpy(d[name])
            )
        head.weight.copy_(torch.from_numpy(d["w_out"]))
        head.bias.zero_()
    params = [*emb.parameters(), *lstm.parameters(), *head.parameters()]
    x = torch.tensor(d["x"], requires_grad=True)
    up = torch.from_numpy(d["up"])
    tokens, targets = torch.from_numpy(d["tokens"]), torch.from_numpy(d["targets"]).reshape(-1)

    def step():
        for t in params:
            t.grad = None
        if case == "lstm":
            lstm(x)[0].backward(up)
            return lstm.weight_hh_l0.grad
        y = lstm(emb(tokens))[0]
        F.cross_entropy(head(y.reshape(SEQ * BATCH, HID)), targets).backward()
        return emb.weight.grad

    return step


def worker(lib: str, case: str, iters: int, threads: int) -> float:
    """Median seconds per step over ``iters`` timed calls (after 3 warm-up calls), in this process."""
    from .common import pin_threads

    pin_threads(threads, torch=lib == "torch")
    step = (torch_step if lib == "torch" else chainrule_step)(case)
    for _ in range(3):
        step()
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def tokens_per_step(case: str) -> int:
    return BATCH * (CTX if case in ("attention", "train-gpt") else SEQ)


def compare(cases, repeats: int, iters: int, threads: int) -> list[dict]:
    rows = []
    for case in cases:
        times = {"chainrule": [], "torch": []}
        for r in range(repeats):
            order = ["chainrule", "torch"] if r % 2 == 0 else ["torch", "chainrule"]
            for lib in order:
                cmd = [sys.executable, "-m", "benchmarks.seq_ops", "--worker", lib, "--cases",
                       case, "--iters", str(iters), "--threads", str(threads)]  # fmt: skip
                out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                times[lib].append(json.loads(out.strip().splitlines()[-1])["seconds"])
        tok = tokens_per_step(case)
        med = {lib: statistics.median(ts) for lib, ts in times.items()}
        rows.append({
            "case": case,
            "chainrule_tok_s": tok / med["chainrule"],
            "torch_tok_s": tok / med["torch"],
            "ratio": med["torch"] / med["chainrule"],
            "chainrule_ms": 1e3 * med["chainrule"],
            "torch_ms": 1e3 * med["torch"],
            "process_medians_ms": {k: [round(1e3 * t, 2) for t in v] for k, v in times.items()},
        })  # fmt: skip
    return rows


def _phase_times(case: str, iters: int) -> dict:
    """Milliseconds per step spent in each phase of the LSTM node (methods wrapped with timers)."""
    from chainrule.ops import recurrent_kernels as rk

    spent = {}

    def timed(cls, name, label):
        inner = getattr(cls, name)

        def wrapper(self, *a, **kw):
            t0 = time.perf_counter()
            try:
                return inner(self, *a, **kw)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t0

        return inner, wrapper

    patches = [
        (rk.RecurrentSequence, "forward", "lstm forward (all)"),
        (rk.LSTMSequence, "run_forward", "lstm forward time loop"),
        (rk.RecurrentSequence, "backward", "lstm backward (all)"),
        (rk.LSTMSequence, "run_backward", "lstm backward time loop"),
    ]
    saved = []
    for cls, name, label in patches:
        inner, wrapper = timed(cls, name, label)
        saved.append((cls, name, inner))
        setattr(cls, name, wrapper)
    try:
        step = chainrule_step(case)
        step()
        spent.clear()
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        spent["whole step"] = time.perf_counter() - t0
    finally:
        for cls, name, inner in saved:
            setattr(cls, name, inner)
    return {k: 1e3 * v / iters for k, v in spent.items()}


def _matmul_floor(iters: int) -> dict:
    """Milliseconds per step of the LSTM's matrix products alone, in NumPy, at the same sizes."""
    rng = np.random.default_rng(0)
    h = rng.standard_normal((BATCH, HID)).astype(np.float32)
    u = rng.standard_normal((HID, 4 * HID)).astype(np.float32)
    x = rng.standard_normal((SEQ * BATCH, EMB)).astype(np.float32)
    w = rng.standard_normal((EMB, 4 * HID)).astype(np.float32)
    dz = rng.standard_normal((SEQ * BATCH, 4 * HID)).astype(np.float32)
    hs = rng.standard_normal((SEQ * BATCH, HID)).astype(np.float32)
    buf, dh = np.empty((BATCH, 4 * HID), np.float32), np.empty((BATCH, HID), np.float32)
    parts = {
        "floor: input projection x @ w_ih": lambda: x @ w,
        "floor: 64 step products h @ w_hh": lambda: [np.matmul(h, u, out=buf) for _ in range(SEQ)],
        "floor: 64 step products dz @ w_hhᵀ": lambda: [
            np.matmul(buf, u.T, out=dh) for _ in range(SEQ)
        ],
        "floor: weight grads hᵀdz, xᵀdz, dx": lambda: (hs.T @ dz, x.T @ dz, dz @ w.T),
    }
    out = {}
    for name, f in parts.items():
        f()
        t0 = time.perf_counter()
        for _ in range(iters):
            f()
        out[name] = 1e3 * (time.perf_counter() - t0) / iters
    return out


def profile(case: str, iters: int) -> None:
    """Where chainrule's time goes: the phases of the LSTM node, the same matrix products alone,
    and cProfile's top entries (NumPy's ufuncs are not visible to cProfile; the phases are)."""
    import cProfile
    import pstats

    if case != "attention":
        rows = {**_phase_times(case, iters), **_matmul_floor(iters)}
        for name, ms in rows.items():
            print(f"{name:40s} {ms:8.2f} ms/step")
    step = chainrule_step(case)
    step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(iters):
        step()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(12)


def main(argv=None) -> None:
    from .common import format_table, machine_cores

    p = argparse.ArgumentParser(prog="python -m benchmarks.seq_ops", description=__doc__)
    p.add_argument("--cases", default=",".join(CASES))
    p.add_argument("--repeats", type=int, default=5, help="processes per library (alternating)")
    p.add_argument("--iters", type=int, default=15, help="timed steps per process (median)")
    p.add_argument("--threads", type=int, default=machine_cores())
    p.add_argument("--worker", choices=("chainrule", "torch"), help=argparse.SUPPRESS)
    p.add_argument("--profile", choices=CASES, help="cProfile chainrule on one case")
    p.add_argument("--json", help="also write the rows to this file")
    a = p.parse_args(argv)
    cases = [c for c in a.cases.split(",") if c]
    bad = [c for c in cases if c not in CASES]
    if bad:
        p.error(f"unknown case(s) {bad}; choose from {','.join(CASES)}")
    if a.worker:
        print(json.dumps({"seconds": worker(a.worker, cases[0], a.iters, a.threads)}))
        return
    if a.profile:
        profile(a.profile, a.iters)
        return
    rows = compare(cases, a.repeats, a.iters, a.threads)
    print(f"threads={a.threads}, {a.repeats} processes per library, {a.iters} steps each")
    print(format_table(
        ["case", "chainrule tok/s", "torch tok/s", "ratio", "chainrule ms", "torch ms"],
        [[r["case"], r["chainrule_tok_s"], r["torch_tok_s"], r["ratio"], r["chainrule_ms"],
          r["torch_ms"]] for r in rows],
    ))  # fmt: skip
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
