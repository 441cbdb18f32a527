"""Task ``charlm``: a character-level language model on a text corpus (tiny-shakespeare).

Two model families, both stacks of Keras-door layers (so the model file is a plain ``Sequential``
that :func:`chainrule.io.model_file.load_model` rebuilds and ``chainrule generate`` samples from):

- ``type = "lstm"``: Embedding(V, embedding_dim) → LSTM(units) × layers → Dense(V);
- ``type = "gpt"``: decoder-only Transformer: TokenAndPositionEmbedding(V, context_length,
  d_model) (learned positions) → ``layers`` pre-LN ``TransformerDecoder`` blocks (causal
  self-attention with ``heads`` heads, GELU feed-forward of ``feedforward`` units) → final
  LayerNormalization → Dense(V).

Training draws ``batch_size`` random windows of ``context_length`` characters from the training
text each step (``chainrule.data.sample_lm_batch``), minimises the mean next-character
cross-entropy with Adam/AdamW (optional linear warm-up, cosine decay, global gradient-norm
clipping). An "epoch" is ``steps_per_epoch`` steps, after which the validation loss is measured:
the mean cross-entropy in nats per character over non-overlapping windows of ``eval_length``
characters of the validation text (the last ``val_fraction`` of the corpus). The model file
carries the vocabulary and context length as a ``"text"`` preprocessing object.

Configuration (TOML)::

    task = "charlm"
    name = "shakespeare-gpt"
    seed = 0
    epochs = 12                # evaluations; steps = epochs × steps_per_epoch
    steps_per_epoch = 300
    batch_size = 32
    context_length = 128       # training window; a GPT's positions
    eval_length = 128          # validation window (≤ context_length for a GPT)
    max_minutes = 30           # optional wall-clock budget: stop after the step that passes it

    [data]
    name = "tiny-shakespeare"
    val_fraction = 0.1
    limit = 20000              # optional: the first N characters only
    val_limit = 5000           # optional: validate on the first N validation characters

    [model]
    type = "gpt"               # or "lstm" (embedding_dim, units, layers)
    layers = 4
    d_model = 128
    heads = 4
    feedforward = 512
    dropout = 0.0

    [optimizer]
    name = "adam"              # or "adamw" (weight_decay)
    lr = 0.001
    clip_norm = 1.0
    warmup_steps = 100
    schedule = "cosine"        # or "constant"
    min_lr = 0.0001

    [sample]                   # the sample text shown in the report
    prompt = "ROMEO:"
    length = 300
    temperature = 0.8
    top_k = 0                  # 0: no top-k filter
    top_p = 1.0                # 1: no top-p filter
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

from ..config import ConfigSource, _float, _int, _str, _table

DATASETS = ("tiny-shakespeare",)
TOP_KEYS = ("task", "name", "describe", "seed", "epochs", "steps_per_epoch", "batch_size",
            "context_length", "eval_length", "max_minutes", "out", "data", "model", "optimizer",
            "sample")  # fmt: skip
MODEL_KEYS = {
    "lstm": ("type", "embedding_dim", "units", "layers"),
    "gpt": ("type", "layers", "d_model", "heads", "feedforward", "dropout"),
}
MODEL_DEFAULTS = {
    "lstm": {"embedding_dim": 64, "units": 256, "layers": 1},
    "gpt": {"layers": 4, "d_model": 128, "heads": 4, "feedforward": 512, "dropout": 0.0},
}
OPTIMIZER_KEYS = ("name", "lr", "weight_decay", "clip_norm", "warmup_steps", "schedule", "min_lr")
SAMPLE_KEYS = ("prompt", "length", "temperature", "top_k", "top_p")


def _preset(name: str, model: dict, describe: str, *, epochs: int, steps: int, batch: int,
            context: int, eval_length: int, lr: float, warmup: int, schedule: str) -> dict:  # fmt: skip
    return {
        "task": "charlm", "name": name, "describe": describe, "seed": 0, "epochs": epochs,
        "steps_per_epoch": steps, "batch_size": batch, "context_length": context,
        "eval_length": eval_length,
        "data": {"name": "tiny-shakespeare", "val_fraction": 0.1},
        "model": model,
        "optimizer": {"name": "adam", "lr": lr, "clip_norm": 1.0, "warmup_steps": warmup,
                      "schedule": schedule, "min_lr": lr / 10},
        "sample": {"prompt": "ROMEO:", "length": 300, "temperature": 0.8, "top_k": 0,
                   "top_p": 1.0},
    }  # fmt: skip


PRESETS: dict[str, dict] = {
    # The char-LSTM: Embedding 64 → LSTM 256 → Dense 65; 4,500 steps of 32 × 64 characters.
    "shakespeare-char": _preset(
        "shakespeare-char", {"type": "lstm", "embedding_dim": 64, "units": 256, "layers": 1},
        "char-level LSTM (embedding 64, 256 units) on tiny-shakespeare; epochs of 300 steps",
        epochs=15, steps=300, batch=32, context=64, eval_length=256, lr=2e-3, warmup=0,
        schedule="constant"),
    # A small GPT: 4 pre-LN blocks, d_model 128, 4 heads, context 128; 4,000 steps of 16 × 128
    # (sized for about a quarter of an hour of one CPU core).
    "shakespeare-gpt": _preset(
        "shakespeare-gpt", {"type": "gpt", "layers": 4, "d_model": 128, "heads": 4,
                            "feedforward": 512, "dropout": 0.0},
        "char-level GPT (4 pre-LN blocks, d_model 128, 4 heads, context 128) on tiny-shakespeare; "
        "epochs of 400 steps",
        epochs=10, steps=400, batch=16, context=128, eval_length=128, lr=2e-3, warmup=200,
        schedule="cosine"),
}  # fmt: skip


# ----------------------------------------------------------------------------- configuration
def validate(raw: dict, src: ConfigSource) -> dict:
    """The checked configuration with defaults filled in (see the module docstring)."""
    _table(src, (), raw, TOP_KEYS)
    cfg = copy.deepcopy(raw)
    _str(src, ("task",), cfg.get("task"), ("charlm",))
    cfg["name"] = _str(src, ("name",), cfg.get("name", Path(src.label).stem or "charlm"))
    if "describe" in cfg:
        _str(src, ("describe",), cfg["describe"])
    for key, default, low in (("seed", 0, 0), ("epochs", 10, 1), ("steps_per_epoch", 100, 1),
                              ("batch_size", 32, 1), ("context_length", 64, 1)):  # fmt: skip
        cfg[key] = _int(src, (key,), cfg.get(key, default), low)
    cfg["eval_length"] = _int(src, ("eval_length",), cfg.get("eval_length",
                                                             cfg["context_length"]), 1)  # fmt: skip
    if "max_minutes" in cfg:
        cfg["max_minutes"] = _float(src, ("max_minutes",), cfg["max_minutes"], 1e-6, 1e6)
    if "out" in cfg:
        _str(src, ("out",), cfg["out"])
    data = _table(src, ("data",), cfg.setdefault("data", {"name": "tiny-shakespeare"}),
                  ("name", "val_fraction", "limit", "val_limit"))  # fmt: skip
    _str(src, ("data", "name"), data.get("name"), DATASETS)
    data["val_fraction"] = _float(src, ("data", "val_fraction"), data.get("val_fraction", 0.1),
                                  1e-6, 1.0)  # fmt: skip
    for key in ("limit", "val_limit"):
        if key in data:
            _int(src, ("data", key), data[key], 2)
    model = _table(src, ("model",), cfg.get("model"))
    kind = _str(src, ("model", "type"), model.get("type"), tuple(MODEL_KEYS))
    _table(src, ("model",), model, MODEL_KEYS[kind])
    for key, default in MODEL_DEFAULTS[kind].items():
        if key == "dropout":
            model[key] = _float(src, ("model", key), model.get(key, default), 0.0, 1.0)
        else:
            model[key] = _int(src, ("model", key), model.get(key, default), 1)
    if kind == "gpt":
        if model["d_model"] % model["heads"]:
            raise src.error(("model", "heads"), f"must divide d_model={model['d_model']}, got "
                            f"{model['heads']}")  # fmt: skip
        if cfg["eval_length"] > cfg["context_length"]:
            raise src.error(("eval_length",), f"a GPT sees at most context_length="
                            f"{cfg['context_length']} positions, got {cfg['eval_length']}")  # fmt: skip
    opt = cfg.setdefault("optimizer", {"name": "adam"})
    if isinstance(opt, str):
        opt = cfg["optimizer"] = {"name": opt}
    _table(src, ("optimizer",), opt, (*OPTIMIZER_KEYS, "learning_rate"))
    if "learning_rate" in opt:
        opt["lr"] = opt.pop("learning_rate")
    _str(src, ("optimizer", "name"), opt.setdefault("name", "adam"), ("adam", "adamw"))
    opt["lr"] = _float(src, ("optimizer", "lr"), opt.get("lr", 1e-3), 1e-12, 10.0)
    opt["weight_decay"] = _float(src, ("optimizer", "weight_decay"),
                                 opt.get("weight_decay", 0.01 if opt["name"] == "adamw" else 0.0),
                                 0.0, 1.0)  # fmt: skip
    opt["clip_norm"] = _float(src, ("optimizer", "clip_norm"), opt.get("clip_norm", 0.0), 0.0,
                              1e6)  # fmt: skip
    opt["warmup_steps"] = _int(src, ("optimizer", "warmup_steps"), opt.get("warmup_steps", 0), 0)
    _str(src, ("optimizer", "schedule"), opt.setdefault("schedule", "constant"),
         ("constant", "cosine"))  # fmt: skip
    opt["min_lr"] = _float(src, ("optimizer", "min_lr"), opt.get("min_lr", 0.0), 0.0, 10.0)
    sample = _table(src, ("sample",), cfg.setdefault("sample", {}), SAMPLE_KEYS)
    prompt = sample.setdefault("prompt", "\n")
    if not isinstance(prompt, str) or not prompt:
        raise src.error(("sample", "prompt"), f"expected a non-empty string, got {prompt!r}")
    sample["length"] = _int(src, ("sample", "length"), sample.get("length", 300), 0)
    sample["temperature"] = _float(src, ("sample", "temperature"), sample.get("temperature", 0.8),
                                   0.0, 100.0)  # fmt: skip
    sample["top_k"] = _int(src, ("sample", "top_k"), sample.get("top_k", 0), 0)
    top_p = sample.get("top_p", 1.0)
    if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
        raise src.error(("sample", "top_p"), f"expected a number in (0, 1], got {top_p!r}")
    sample["top_p"] = float(top_p)
    return cfg


# ----------------------------------------------------------------------------- model
def build_model(mcfg: dict, vocab_size: int, context_length: int):
    """The (built) Sequential language model: token ids (N, T) → logits (N, T, vocab_size)."""
    import numpy as np

    from ... import layers as L
    from ...tensor import Tensor
    from ...training import Sequential

    mcfg = {**MODEL_DEFAULTS[mcfg["type"]], **mcfg}
    if mcfg["type"] == "lstm":
        stack = [L.Embedding(vocab_size, mcfg["embedding_dim"])]
        stack += [L.LSTM(mcfg["units"], return_sequences=True) for _ in range(mcfg["layers"])]
    else:
        d = mcfg["d_model"]
        stack = [L.TokenAndPositionEmbedding(vocab_size, context_length, d)]
        stack += [
            L.TransformerDecoder(mcfg["feedforward"], mcfg["heads"], dropout=mcfg["dropout"],
                                 activation="gelu", normalize_first=True)
            for _ in range(mcfg["layers"])
        ]  # fmt: skip
        stack.append(L.LayerNormalization(epsilon=1e-5))
    stack.append(L.Dense(vocab_size))
    model = Sequential(stack, name="charlm")
    model(Tensor(np.zeros((1, context_length), dtype=np.int64)))  # builds every layer
    return model


def learning_rate(opt: dict, step: int, total: int) -> float:
    """The rate at (0-based) ``step`` of ``total``: linear warm-up over ``warmup_steps``, then
    constant or a cosine decay from ``lr`` to ``min_lr`` at the last step."""
    lr, warm = opt["lr"], opt["warmup_steps"]
    if step < warm:
        return lr * (step + 1) / warm
    if opt["schedule"] == "constant" or total <= warm + 1:
        return lr
    progress = min(1.0, (step - warm) / (total - warm - 1))
    return opt["min_lr"] + 0.5 * (lr - opt["min_lr"]) * (1 + math.cos(math.pi * progress))


def evaluate(model, ids, length: int, batch: int = 32) -> float:
    """Mean next-token cross-entropy (nats per token) over non-overlapping windows of ``length``
    tokens of the stream ``ids`` (the remainder shorter than a window is left out)."""

    from ...function import no_grad
    from ...nn import functional as F
    from ...tensor import Tensor

    n = (len(ids) - 1) // length
    if n < 1:
        raise ValueError(f"charlm: the validation text ({len(ids)} characters) is shorter than "
                         f"one window of eval_length + 1 = {length + 1}")  # fmt: skip
    x = ids[: n * length].reshape(n, length)
    y = ids[1 : n * length + 1].reshape(n, length)
    was_training = model.training
    model.eval()
    total = 0.0
    with no_grad():
        for i in range(0, n, batch):
            logits = model(Tensor(x[i : i + batch]))
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                   Tensor(y[i : i + batch].reshape(-1)), reduction="sum")  # fmt: skip
            total += float(loss.data)
    model.train(was_training)
    return total / (n * length)


def run(cfg: dict, *, resume: bool = False, data_dir: str | None = None, verbose: int = 1,
        print_fn=print) -> dict:  # fmt: skip
    """Train, validate, checkpoint each epoch, then write the output folder (module docstring)."""
    from .charlm_run import train_charlm

    return train_charlm(cfg, resume=resume, data_dir=data_dir, verbose=verbose, print_fn=print_fn)
