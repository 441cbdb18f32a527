"""Row ``seq``: sequence-model training throughput, chainrule beside PyTorch eager (issue 13).

Two models at the issue's sizes, each trained with the very same code on both libraries (their
PyTorch-style modules: ``import chainrule as torch`` is the door):

- ``charlstm``: ``nn.Embedding(65, 64)`` → ``nn.LSTM(64, 256, batch_first=True)`` →
  ``nn.Linear(256, 65)``, batch 32, length 64;
- ``gpt``: token + learned position embeddings (d_model 128, context 64), 2 pre-norm
  ``nn.TransformerEncoderLayer`` (4 heads, feed-forward 512, dropout 0, GELU-free default ReLU)
  with a causal mask, a final ``nn.LayerNorm``, ``nn.Linear(128, 65)``; batch 32.

A step is ``zero_grad``, forward, mean cross-entropy over every position, ``backward``, Adam
(lr 1e-3). Both libraries start from the same weights (drawn once with NumPy, copied in by
parameter name and order) and see the same tokens. Metrics: training tokens (batch · length) per
wall-second and per CPU-second of the process, from the median of ``steps`` timed steps after
``warmup`` untimed ones.

Run by the harness (``python -m benchmarks --rows seq``) or alone:
``python -m benchmarks.worker rows_seq torch --config '{"model": "gpt"}' --threads 1``.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .harness import Contender, Metric

CONTENDERS = {
    "chainrule": Contender("chainrule", ("numpy",)),
    "torch": Contender("torch", ("torch",)),
}
METRICS = {
    "tokens_per_s": Metric("tokens/s"),
    "tokens_per_cpu_s": Metric("tokens/CPU-s"),
    "peak_mb": Metric("MiB", higher_is_better=False),
}
MODELS = ("charlstm", "gpt")
VOCAB, EMB, HID, BATCH, SEQ = 65, 64, 256, 32, 64
D_MODEL, HEADS, GPT_LAYERS, GPT_FF, CTX = 128, 4, 2, 512, 64
#: the rows ``python -m benchmarks`` prints: label -> config
ROWS = {
    "char-LSTM 64-256 (batch 32, length 64)": {"model": "charlstm"},
    "tiny GPT 2×128, 4 heads (batch 32, context 64)": {"model": "gpt"},
}


def tokens_per_step(model: str) -> int:
    return BATCH * (SEQ if model == "charlstm" else CTX)


def build_step(lib, model: str, return_optimizer: bool = False):
    """One training step of ``model`` written once against a torch-like module ``lib`` (``torch``
    or ``chainrule``): a closure that runs it and returns the loss (and the optimizer, if asked)."""
    if model not in MODELS:
        raise ValueError(f"rows_seq: model must be one of {MODELS}, got {model!r}")
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(0)
    rng = np.random.default_rng(0)
    length = SEQ if model == "charlstm" else CTX
    tokens = lib.tensor(rng.integers(0, VOCAB, (BATCH, length)))
    targets = lib.tensor(rng.integers(0, VOCAB, BATCH * length))
    if model == "charlstm":
        emb, lstm = nn.Embedding(VOCAB, EMB), nn.LSTM(EMB, HID, batch_first=True)
        head = nn.Linear(HID, VOCAB)
        modules = [emb, lstm, head]

        def logits():
            return head(lstm(emb(tokens))[0])
    else:
        emb, pos = nn.Embedding(VOCAB, D_MODEL), nn.Embedding(CTX, D_MODEL)
        layer = nn.TransformerEncoderLayer(D_MODEL, HEADS, GPT_FF, dropout=0.0, batch_first=True,
                                           norm_first=True)  # fmt: skip
        body = nn.TransformerEncoder(layer, GPT_LAYERS, enable_nested_tensor=False)
        norm, head = nn.LayerNorm(D_MODEL), nn.Linear(D_MODEL, VOCAB)
        modules = [emb, pos, body, norm, head]
        causal = lib.tensor(np.triu(np.ones((CTX, CTX), bool), 1))
        positions = lib.tensor(np.arange(CTX))

        def logits():
            x = emb(tokens) + pos(positions)
            return head(norm(body(x, mask=causal, is_causal=True)))

    wrng = np.random.default_rng(1)  # the same weights in both libraries (same names and order)
    params = []
    for m in modules:
        for name, p in m.named_parameters():
            shape = tuple(p.shape)
            if len(shape) > 1:
                value = wrng.uniform(-1, 1, shape) / np.sqrt(shape[-1])
            else:
                value = np.zeros(shape) if "bias" in name else np.ones(shape)
            value = value.astype(np.float32)
            with lib.no_grad():
                p.copy_(lib.from_numpy(value))
            params.append(p)
    opt = lib.optim.Adam(params, lr=1e-3)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(logits().reshape(-1, VOCAB), targets)
        loss.backward()
        opt.step()
        return loss.detach()

    return (step, opt) if return_optimizer else step


def run(contender: str, config: dict) -> dict:
    """Build ``config["model"]`` in ``contender``'s library, warm up, time ``steps`` steps."""
    from .worker import apply_threads, peak_mb

    model = config.get("model", "charlstm")
    steps, warmup = int(config.get("steps", 20)), int(config.get("warmup", 3))
    if contender == "torch":
        import torch as lib
    else:
        import chainrule as lib
    apply_threads()
    step = build_step(lib, model)
    for _ in range(warmup):
        step()
    walls, cpus, losses = [], [], []
    for _ in range(steps):
        w0, c0 = time.perf_counter(), time.process_time()
        loss = step()
        cpus.append(time.process_time() - c0)
        walls.append(time.perf_counter() - w0)
        losses.append(float(loss.item()))
    tok = tokens_per_step(model)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    return {
        "metrics": {
            "tokens_per_s": tok / wall,
            "tokens_per_cpu_s": tok / cpu,
            "peak_mb": peak_mb(),
        },
        "step_ms": 1e3 * wall,
        "step_cpu_ms": 1e3 * cpu,
        "losses": [losses[0], losses[-1]],
    }


def print_rows(run_row, print_table, quick: bool = False) -> dict:
    """The ``seq`` block of ``python -m benchmarks``: ``run_row(label, module, config)`` is its
    ``run``, ``print_table(title, results, metric)`` its ``_print_table``."""
    steps = 4 if quick else 20
    res = {label: run_row(f"seq {label}", "rows_seq", {**cfg, "steps": steps})
           for label, cfg in ROWS.items()}  # fmt: skip
    print_table("Sequence models (issue 13): training tokens/s, Adam, cross-entropy", res,
                "tokens_per_s")  # fmt: skip
    print_table("The same, tokens per CPU-second of each process", res, "tokens_per_cpu_s")
    return res
