"""The training job of task ``charlm`` (configuration and model: :mod:`.charlm`).

The output folder receives::

    config.toml        the configuration used (written first)
    checkpoint.zip     model, optimizer, generator state and history after the last whole epoch
                       (``--resume`` continues from it, bit-identically)
    model.zip          the trained model with its "text" preprocessing (vocabulary, context length)
    history.csv/.json  per-epoch training loss, validation loss (nats/char), learning rate, seconds
    test_metrics.json  the final validation loss (nats and bits per character)
    sample.txt         the sample text of the ``[sample]`` table
    report.html        curves, metrics, the sample text, model summary, configuration
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from ...io.atomic import atomic_write_text
from ..config import ConfigError, to_toml
from .charlm import build_model, evaluate, learning_rate


def _load_text(data: dict, data_dir: str | None) -> tuple[str, str, list[str]]:
    """(training text, validation text, vocabulary: the sorted distinct characters)."""
    from ...data import split_text
    from ...datasets import load_tiny_shakespeare

    text = load_tiny_shakespeare(data_dir)  # the only dataset the schema admits
    if "limit" in data:
        text = text[: data["limit"]]
    train, val = split_text(text, data["val_fraction"])
    if "val_limit" in data:
        val = val[: data["val_limit"]]
    return train, val, sorted(set(text))


def _optimizer(model, opt: dict):
    from ... import optim

    params = model.parameters()
    if opt["name"] == "adamw":
        return optim.AdamW(params, lr=opt["lr"], weight_decay=opt["weight_decay"])
    return optim.Adam(params, lr=opt["lr"], weight_decay=opt["weight_decay"])


def _restore(model, opt, path: Path, spec: dict) -> dict:
    """Apply checkpoint ``path`` to model and optimizer (all checked first); its training dict."""
    from ... import random as crandom
    from ...io.checkpoint import read_checkpoint
    from ...io.model_file import check_weights

    ckpt = read_checkpoint(path)
    if ckpt["config"].get("preprocessing") != spec:
        raise ConfigError(f"--resume: {path} was written for another vocabulary or context length")
    check_weights(model, ckpt["weights"], f"--resume: {path}")
    model.load_state_dict(ckpt["weights"])
    if ckpt["optimizer"] is not None:
        opt.load_state_dict(ckpt["optimizer"])
    crandom.set_state(ckpt["training"]["rng"])
    return ckpt["training"]


def train_charlm(cfg: dict, *, resume: bool, data_dir: str | None, verbose: int,
                 print_fn) -> dict:  # fmt: skip
    import chainrule

    from ...data import sample_lm_batch
    from ...data.generation import generate_text
    from ...io.checkpoint import save_checkpoint
    from ...io.container import float_to_json
    from ...io.model_file import save_model
    from ...io.text_preprocessing import encode, text_spec
    from ...layers import reset_names
    from ...nn import functional as F
    from ...nn.utils import clip_grad_norm_
    from ...tensor import Tensor
    from ..report import write_report
    from ..train import history_csv

    out_dir = Path(cfg["out"])
    ckpt_path = out_dir / "checkpoint.zip"
    if resume and not ckpt_path.exists():
        raise ConfigError(f"--resume: no checkpoint at {ckpt_path}; run without --resume first")
    chainrule.manual_seed(cfg["seed"])
    reset_names()
    train_text, val_text, vocab = _load_text(cfg["data"], data_dir)
    T, B, steps = cfg["context_length"], cfg["batch_size"], cfg["steps_per_epoch"]
    spec = text_spec(vocab, context_length=T)
    train_ids, val_ids = encode(train_text, spec), encode(val_text, spec)
    if len(train_ids) < T + 1:
        raise ConfigError(f"{cfg['name']}: the training text ({len(train_ids)} characters) is "
                          f"shorter than context_length + 1 = {T + 1}")  # fmt: skip
    if len(val_ids) < cfg["eval_length"] + 1:
        raise ConfigError(f"{cfg['name']}: the validation text ({len(val_ids)} characters) is "
                          f"shorter than eval_length + 1 = {cfg['eval_length'] + 1}")  # fmt: skip
    model = build_model(cfg["model"], len(vocab), T)
    model.preprocessing = spec
    opt = _optimizer(model, cfg["optimizer"])
    model.optimizer = opt
    config_text = to_toml(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.toml", config_text)
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "lr": [], "seconds": []}
    start_epoch = 0
    if resume:
        training = _restore(model, opt, ckpt_path, spec)
        history.update({k: list(v) for k, v in training["history"].items() if k in history})
        start_epoch = training["train_state"]["epoch"]
        print_fn(f"resumed from {ckpt_path} after epoch {start_epoch}")
    else:
        ckpt_path.unlink(missing_ok=True)
    n_params = sum(int(p.data.size) for p in model.parameters())
    total = cfg["epochs"] * steps
    print_fn(f"chainrule train: {cfg['name']} ({cfg['model']['type']}, {n_params:,} parameters, "
             f"vocabulary {len(vocab)}) on {len(train_ids):,} / {len(val_ids):,} characters, "
             f"{cfg['epochs']} epochs × {steps} steps of {B} × {T}, seed {cfg['seed']} → "
             f"{out_dir}")  # fmt: skip
    params, clip = model.parameters(), cfg["optimizer"]["clip_norm"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    stopped = None
    epoch = start_epoch
    for epoch in range(start_epoch, cfg["epochs"]):
        t0, losses = time.perf_counter(), []
        model.train()
        for i in range(steps):
            lr = learning_rate(cfg["optimizer"], epoch * steps + i, total)
            for group in opt.param_groups:
                group["lr"] = lr
            x, y = sample_lm_batch(train_ids, B, T)
            logits = model(Tensor(x))
            loss = F.cross_entropy(logits.reshape(-1, len(vocab)), Tensor(y.reshape(-1)))
            opt.zero_grad()
            loss.backward()
            if clip > 0:
                clip_grad_norm_(params, clip)
            opt.step()
            losses.append(float(loss.data))
            if not math.isfinite(losses[-1]):
                stopped = (
                    f"the training loss became {losses[-1]} at epoch {epoch + 1}, step {i + 1}"
                )
                break
            if verbose == 1 and (i + 1) % 50 == 0:
                print_fn(
                    f"  epoch {epoch + 1} step {i + 1}/{steps}: loss {np.mean(losses[-50:]):.4f}"
                )
        val = evaluate(model, val_ids, cfg["eval_length"]) if stopped is None else float("nan")
        for key, v in (("loss", float(np.mean(losses))), ("val_loss", val), ("lr", lr),
                       ("seconds", time.perf_counter() - t0)):  # fmt: skip
            history[key].append(v)
        print_fn(f"epoch {epoch + 1}/{cfg['epochs']}: loss {history['loss'][-1]:.4f} - val_loss "
                 f"{val:.4f} nats/char - lr {lr:.2e} - {history['seconds'][-1]:.1f} s")  # fmt: skip
        if stopped:
            break
        save_checkpoint(model, ckpt_path, {"train_state": {"epoch": epoch + 1, "batch": 0},
                                           "history": history,
                                           "epochs": list(range(epoch + 1))})  # fmt: skip
        minutes = (time.perf_counter() - wall0) / 60
        if "max_minutes" in cfg and minutes >= cfg["max_minutes"] and epoch + 1 < cfg["epochs"]:
            print_fn(f"stopping after epoch {epoch + 1}: max_minutes={cfg['max_minutes']} reached")
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    if not history["val_loss"]:  # resumed after the last epoch: measure the restored model
        history_val = evaluate(model, val_ids, cfg["eval_length"])
    else:
        history_val = history["val_loss"][-1]
    metrics = {
        "val_loss": float(history_val),
        "val_bits_per_char": float(history_val) / math.log(2),
    }
    sample = cfg["sample"]
    chainrule.manual_seed(cfg["seed"])
    text = sample["prompt"] + generate_text(
        model, spec, sample["prompt"], sample["length"], temperature=sample["temperature"],
        top_k=sample["top_k"] or None, top_p=sample["top_p"] if sample["top_p"] < 1 else None)  # fmt: skip
    save_model(model, out_dir / "model.zip", include_optimizer=True)
    hist_json = {k: [float_to_json(v) for v in vs] for k, vs in history.items()}
    epochs_done = list(range(len(history["loss"])))
    atomic_write_text(out_dir / "history.json", json.dumps(
        {"epoch": [e + 1 for e in epochs_done], **hist_json}, indent=1, allow_nan=False))  # fmt: skip
    atomic_write_text(out_dir / "history.csv", history_csv(history, epochs_done))
    atomic_write_text(out_dir / "test_metrics.json", json.dumps(
        {k: float_to_json(v) for k, v in metrics.items()}, indent=1, allow_nan=False))  # fmt: skip
    atomic_write_text(out_dir / "sample.txt", text + "\n")
    how = ", ".join(f"{k} {sample[k]}" for k in ("temperature", "top_k", "top_p"))
    write_report(
        out_dir, title=f"chainrule run: {cfg['name']}",
        history={k: history[k] for k in ("loss", "val_loss")}, test_metrics=metrics,
        summary=model.summary(print_fn=lambda *a, **k: None), config_text=config_text,
        sections=[(f"Sample text (prompt {sample['prompt']!r}, {how}, seed {cfg['seed']})", text)],
    )  # fmt: skip
    print_fn(f"val_loss {metrics['val_loss']:.4f} nats/char ({metrics['val_bits_per_char']:.3f} "
             f"bits/char); this session: {wall:.0f} s wall, {cpu:.0f} s CPU")  # fmt: skip
    print_fn(f"--- sample ({how}):\n{text}")
    print_fn(f"wrote {out_dir}/: model.zip, history.csv, history.json, sample.txt, report.html")
    if stopped:
        print_fn(f"chainrule train: training diverged: {stopped}")
    return {"out": out_dir, "test_metrics": metrics, "history": history, "diverged": stopped,
            "model": model, "sample": text, "seconds": wall, "cpu_seconds": cpu}  # fmt: skip
