"""The training job of task ``sentiment`` (configuration and models: :mod:`.sentiment`).

The output folder receives::

    config.toml        the configuration used (written first)
    checkpoint.zip     weights, optimizer, generator state and history after the last whole
                       epoch (``--resume`` continues from it, bit-identically)
    model.zip          the trained model; it takes raw sentences (its first layer is the
                       fitted TextVectorization)
    history.csv/.json  per epoch: training loss and accuracy, validation loss and accuracy
                       (rt-polarity: on the held-out fold; epochs of all folds in a row)
    test_metrics.json  sst2: test loss and accuracy; rt-polarity: mean and std of the fold
                       accuracies and each fold's
    report.html        curves, metrics, confusion matrix, example predictions, summary, config
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

from ...io.atomic import atomic_write_text
from ..config import ConfigError, to_toml
from .sentiment import build_models

EXAMPLES = ("a gripping , beautifully acted film", "dull , slow and far too long",
            "not bad at all", "the plot makes no sense")  # fmt: skip


def _splits(cfg: dict, data_dir: str | None) -> list[tuple]:
    """One ``(x_train, y_train, x_val, y_val, x_test, y_test)`` per run: SST-2's fixed split,
    or each rt-polarity fold (test = the held-out fold, no separate validation set)."""
    from ...datasets import load_rt_polarity, load_sst2

    data = cfg["data"]
    if data["name"] == "sst2":
        (xtr, ytr), (xva, yva), (xte, yte) = load_sst2(data_dir)
        if "limit" in data:
            xtr, ytr = xtr[: data["limit"]], ytr[: data["limit"]]
        if "test_limit" in data:
            xva, yva = xva[: data["test_limit"]], yva[: data["test_limit"]]
            xte, yte = xte[: data["test_limit"]], yte[: data["test_limit"]]
        return [(xtr, ytr, xva, yva, xte, yte)]
    x, y = load_rt_polarity(test_size=None, data_dir=data_dir)
    order = np.random.default_rng(cfg["seed"]).permutation(len(y))
    if "limit" in data:
        order = order[: data["limit"]]
    folds = np.array_split(order, data["folds"])
    runs = []
    for k, test_idx in enumerate(folds):
        train_idx = np.concatenate([f for j, f in enumerate(folds) if j != k])
        runs.append((x[train_idx], y[train_idx], None, None, x[test_idx], y[test_idx]))
    return runs


def _scores(model, texts, labels, batch_size: int = 256) -> tuple[float, float, np.ndarray]:
    """(binary cross-entropy, accuracy, P(positive) per sentence) of the text model."""
    p = model.predict(texts, batch_size=batch_size, verbose=0)[:, 0].astype(np.float64)
    q = np.clip(p, 1e-7, 1 - 1e-7)
    y = np.asarray(labels, dtype=np.float64)
    loss = float(-(y * np.log(q) + (1 - y) * np.log(1 - q)).mean())
    return loss, float(((p > 0.5) == (y == 1)).mean()), p


def _fold_models(cfg: dict, x_train, seed: int):
    """A fresh vectorizer (fitted on ``x_train``) and fresh compiled models."""
    import chainrule

    from ... import layers as L
    from ... import optimizers
    from ...layers import reset_names

    chainrule.manual_seed(seed)
    reset_names()
    m = cfg["model"]
    vectorizer = L.TextVectorization(max_tokens=m["max_tokens"], standardize="lower",
                                     output_sequence_length=m["max_len"])  # fmt: skip
    vectorizer.adapt(x_train)
    ids_model, text_model = build_models(m, vectorizer)
    ids_model.compile(optimizer=optimizers.Adam(cfg["optimizer"]["lr"]),
                      loss="binary_crossentropy", metrics=["accuracy"])  # fmt: skip
    return vectorizer, ids_model, text_model


def _restore(ids_model, path: Path) -> dict:
    from ... import random as crandom
    from ...io.checkpoint import read_checkpoint
    from ...io.model_file import check_weights

    ckpt = read_checkpoint(path)
    check_weights(ids_model, ckpt["weights"], f"--resume: {path}")
    ids_model.load_state_dict(ckpt["weights"])
    if ckpt["optimizer"] is not None:
        opt = ids_model.optimizer
        if not opt.built:  # Keras optimizers take their variables at the first step
            opt.build(ids_model.trainable_parameters())
        opt.load_state_dict(ckpt["optimizer"])
    crandom.set_state(ckpt["training"]["rng"])
    return ckpt["training"]


def train_sentiment(cfg: dict, *, resume: bool, data_dir: str | None, verbose: int,
                    print_fn) -> dict:  # fmt: skip
    from ... import random as crandom
    from ...data import length_buckets
    from ...io.checkpoint import save_checkpoint
    from ...io.container import float_to_json
    from ...io.model_file import save_model
    from ..report import confusion_matrix, write_report
    from ..train import history_csv

    out_dir = Path(cfg["out"])
    ckpt_path = out_dir / "checkpoint.zip"
    if resume and not ckpt_path.exists():
        raise ConfigError(f"--resume: no checkpoint at {ckpt_path}; run without --resume first")
    runs = _splits(cfg, data_dir)
    epochs, batch = cfg["epochs"], cfg["batch_size"]
    min_len = max(cfg["model"].get("kernel_sizes", [1]))
    config_text = to_toml(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.toml", config_text)
    history: dict[str, list[float]] = {"loss": [], "accuracy": [], "val_loss": [],
                                       "val_accuracy": [], "fold_accuracy": []}  # fmt: skip
    done = 0  # epochs finished, over all folds
    restored = None
    if resume:
        from ...io.checkpoint import read_checkpoint

        restored = read_checkpoint(ckpt_path)["training"]
        done = restored["train_state"]["epoch"]
        history.update({k: list(v) for k, v in restored["history"].items() if k in history})
        print_fn(f"resumed from {ckpt_path} after epoch {done} of {epochs * len(runs)}")
    else:
        ckpt_path.unlink(missing_ok=True)
    what = ("SST-2 train.tsv → test.tsv" if len(runs) == 1
            else f"rt-polarity, {len(runs)}-fold cross-validation")  # fmt: skip
    print_fn(f"chainrule train: {cfg['name']} ({cfg['model']['type']}) on {what}, {epochs} epochs"
             f" per run, seed {cfg['seed']} → {out_dir}")  # fmt: skip
    wall0, cpu0 = time.perf_counter(), time.process_time()
    stopped = None
    text_model = None
    for k, (xtr, ytr, xva, yva, xte, yte) in enumerate(runs):
        if done >= (k + 1) * epochs and k + 1 < len(runs):
            continue  # this fold finished before the checkpoint
        vectorizer, ids_model, text_model = _fold_models(cfg, xtr, cfg["seed"] + k)
        train_ids = vectorizer(xtr).numpy()
        ytr32 = np.asarray(ytr, dtype=np.float32)[:, None]
        first = done - k * epochs if done > k * epochs else 0
        if restored is not None and first > 0:
            _restore(ids_model, ckpt_path)
        for epoch in range(first, epochs):
            t0 = time.perf_counter()
            rng = np.random.default_rng(crandom.get_generator().integers(2**63))
            losses, right = [], 0
            for idx, xb in length_buckets(train_ids, batch, rng, min_len):
                loss, acc = ids_model.train_on_batch(xb, ytr32[idx])
                losses.append(loss)
                right += acc * len(idx)
            if not all(math.isfinite(v) for v in losses):
                stopped = f"the training loss became non-finite in run {k + 1}, epoch {epoch + 1}"
                break
            held = (xva, yva) if xva is not None else (xte, yte)
            val_loss, val_acc, _ = _scores(text_model, *held)
            for key, v in (("loss", float(np.mean(losses))), ("accuracy", right / len(ytr)),
                           ("val_loss", val_loss), ("val_accuracy", val_acc)):  # fmt: skip
                history[key].append(v)
            done = k * epochs + epoch + 1
            fold = f"fold {k + 1}/{len(runs)} " if len(runs) > 1 else ""
            print_fn(f"{fold}epoch {epoch + 1}/{epochs}: loss {history['loss'][-1]:.4f} - "
                     f"accuracy {history['accuracy'][-1]:.4f} - val_accuracy {val_acc:.4f} "
                     f"({time.perf_counter() - t0:.0f} s)")  # fmt: skip
            if epoch + 1 == epochs and len(runs) > 1:
                history["fold_accuracy"].append(val_acc)
            save_checkpoint(ids_model, ckpt_path, {"train_state": {"epoch": done, "batch": 0},
                                                   "history": history})  # fmt: skip
        if stopped:
            break
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    xte, yte = runs[-1][4], runs[-1][5]
    test_loss, test_acc, probs = _scores(text_model, xte, yte)
    if len(runs) == 1:
        metrics = {"loss": test_loss, "accuracy": test_acc}
    else:
        folds = np.asarray(history["fold_accuracy"])
        metrics = {"accuracy": float(folds.mean()), "accuracy_std": float(folds.std()),
                   **{f"fold_{i + 1}_accuracy": float(a) for i, a in enumerate(folds)}}  # fmt: skip
    cm = confusion_matrix(np.asarray(yte, dtype=np.int64), (probs > 0.5).astype(np.int64), 2)
    examples = text_model.predict(np.array(EXAMPLES), verbose=0)[:, 0]
    shown = "\n".join(f"P(positive) = {p:.3f}   {s}" for s, p in zip(EXAMPLES, examples))
    save_model(text_model, out_dir / "model.zip", include_optimizer=False)
    hist = {k: v for k, v in history.items() if v and k != "fold_accuracy"}
    epochs_done = list(range(len(hist["loss"])))
    atomic_write_text(out_dir / "history.json", json.dumps(
        {"epoch": [e + 1 for e in epochs_done],
         **{k: [float_to_json(x) for x in v] for k, v in hist.items()}},
        indent=1, allow_nan=False))  # fmt: skip
    atomic_write_text(out_dir / "history.csv", history_csv(hist, epochs_done))
    atomic_write_text(out_dir / "test_metrics.json", json.dumps(
        {k: float_to_json(v) for k, v in metrics.items()}, indent=1, allow_nan=False))  # fmt: skip
    where = "test.tsv" if len(runs) == 1 else f"the last fold's {len(yte)} held-out sentences"
    write_report(
        out_dir, title=f"chainrule run: {cfg['name']}", history=hist, test_metrics=metrics,
        summary=text_model.summary(print_fn=lambda *a, **k: None), config_text=config_text,
        confusion=cm, class_names=["negative", "positive"],
        sections=[("Example predictions of the saved model", shown),
                  ("Confusion matrix data", f"on {where}")],
    )  # fmt: skip
    shown_metrics = " - ".join(f"{k}: {v:.4f}" for k, v in list(metrics.items())[:2])
    print_fn(f"test: {shown_metrics}  ({wall:.0f} s wall, {cpu:.0f} s CPU)")
    print_fn(f"wrote {out_dir}/: model.zip, history.csv, history.json, report.html")
    if stopped:
        print_fn(f"chainrule train: training diverged: {stopped}")
    return {"out": out_dir, "test_metrics": metrics, "history": history, "diverged": stopped,
            "model": text_model, "seconds": wall, "cpu_seconds": cpu}  # fmt: skip
