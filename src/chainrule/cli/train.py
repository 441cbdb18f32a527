"""``chainrule train``: configuration → data → model → fit (checkpointed) → test → output folder.

The output folder (``runs/<name>/`` unless ``--out``/``out`` says otherwise) receives::

    config.toml        the configuration used, overrides applied (written first)
    checkpoint.zip     the latest checkpoint (every ``checkpoint.save_freq`` batches, epoch ends)
    model.zip          the trained model with its optimizer state (chainrule.load_model)
    history.csv/.json  per-epoch loss and metrics (training and validation)
    test_metrics.json  the final test loss and metrics
    report.html        curves (curve_*.png next to it), confusion matrix, summary, config
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..io.atomic import atomic_write_text
from .config import ConfigError, ConfigSource, load_config, to_toml, validate
from .presets import DEFAULT_PRESET, get_preset
from .report import confusion_matrix, write_report

#: Callbacks a config file may name (their arguments are plain numbers and strings).
CONFIG_CALLBACKS = ("EarlyStopping", "ReduceLROnPlateau", "TerminateOnNaN")


# ----------------------------------------------------------------------------- configuration
def resolve_config(
    preset: str | None, config_path: str | None, overrides: dict
) -> tuple[dict, ConfigSource]:
    """The validated configuration: a TOML file, else a preset (default ``digits-mlp``), with
    ``overrides`` (epochs, lr, seed, out) applied."""
    if config_path is not None:
        if preset is not None:
            raise ConfigError("give a preset or --config FILE, not both")
        cfg, src = load_config(config_path)
    else:
        name = preset or DEFAULT_PRESET
        src = ConfigSource(f"preset '{name}'")
        try:
            preset_cfg = get_preset(name)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        cfg = validate(preset_cfg, src)
    if overrides.get("epochs") is not None:
        cfg["epochs"] = overrides["epochs"]
    if overrides.get("seed") is not None:
        cfg["seed"] = overrides["seed"]
    if overrides.get("lr") is not None:
        cfg["optimizer"].pop("learning_rate", None)
        cfg["optimizer"]["lr"] = overrides["lr"]
    if overrides.get("out") is not None:
        cfg["out"] = str(overrides["out"])
    cfg.setdefault("out", str(Path("runs") / cfg["name"]))
    override_src = ConfigSource("command line")
    validate(cfg, override_src)  # re-check the overridden values
    return cfg, src


# ----------------------------------------------------------------------------- data
def load_data(data_cfg: dict, data_dir: str | None = None) -> dict[str, Any]:
    """Arrays scaled to [0, 1] float32 (images keep their (H, W) shape), int64 labels, class names."""
    from .. import datasets

    name = data_cfg["name"]
    if name == "digits":
        (xtr, ytr), (xte, yte) = datasets.load_digits()
        scale, classes = 16.0, [str(c) for c in datasets.DIGITS_CLASSES]
    elif name == "mnist":
        (xtr, ytr), (xte, yte) = datasets.load_mnist(data_dir)
        scale, classes = 255.0, [str(i) for i in range(10)]
    else:  # fashion-mnist (the schema admits nothing else)
        (xtr, ytr), (xte, yte) = datasets.load_fashion_mnist(data_dir)
        scale, classes = 255.0, list(datasets.FASHION_MNIST_CLASSES)
    if "limit" in data_cfg:
        xtr, ytr = xtr[: data_cfg["limit"]], ytr[: data_cfg["limit"]]
    if "test_limit" in data_cfg:
        xte, yte = xte[: data_cfg["test_limit"]], yte[: data_cfg["test_limit"]]

    def prep(x):
        out = np.asarray(x, dtype=np.float32)
        out /= np.float32(scale)
        return out

    return {
        "x_train": prep(xtr),
        "y_train": np.asarray(ytr, dtype=np.int64),
        "x_test": prep(xte),
        "y_test": np.asarray(yte, dtype=np.int64),
        "classes": classes,
    }


# ----------------------------------------------------------------------------- model
def _blame(path: tuple, entry: dict, exc: Exception) -> tuple:
    """The most precise key for an error raised while constructing ``entry``: the one argument the
    message names (an unexpected keyword, a value out of range), else the entry itself."""
    text = str(exc)
    hits = [
        k
        for k, v in entry.items()
        if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w])", text)
        or (isinstance(v, str) and f"'{v}'" in text)
    ]
    return path + (hits[0],) if len(hits) == 1 else path


def build_model(cfg: dict, src: ConfigSource):
    """Sequential model and compiled optimizer/loss/metrics from the config; every failure is a
    ConfigError naming the key (and line) at fault."""
    from .. import layers as L
    from .. import optim
    from ..layers.base import accepted_arguments
    from ..training import Sequential

    layers = []
    for i, entry in enumerate(cfg["model"]["layers"]):
        kwargs = {k: v for k, v in entry.items() if k != "type"}
        if entry["type"] not in L.LAYERS or entry["type"] == "Sequential":
            known = sorted(k for k in L.LAYERS if k != "Sequential")
            raise src.error(
                ("model", "layers", i, "type"), f"unknown layer {entry['type']!r}; known: {known}"
            )
        unknown = sorted(set(kwargs) - accepted_arguments(L.get(entry["type"])))
        if unknown:
            raise src.error(
                ("model", "layers", i, unknown[0]),
                f"{entry['type']}: unexpected keyword argument {unknown[0]!r}",
            )
        try:
            layers.append(L.get(entry["type"])(**kwargs))
        except (TypeError, ValueError) as exc:
            path = _blame(("model", "layers", i), kwargs, exc)
            raise src.error(path, f"{entry['type']}: {exc}") from None
    model = Sequential(layers, name=cfg["name"])
    opt_cfg = dict(cfg["optimizer"])
    name = opt_cfg.pop("name")
    try:
        optimizer = optim.get(name, **opt_cfg)
    except (TypeError, ValueError) as exc:
        raise src.error(_blame(("optimizer",), cfg["optimizer"], exc), str(exc)) from None
    try:
        model.compile(optimizer=optimizer, loss=cfg["loss"], metrics=cfg["metrics"])
    except (TypeError, ValueError) as exc:
        key = "metrics" if "metric" in str(exc).lower() else "loss"
        raise src.error((key,), str(exc)) from None
    return model


def build_callbacks(cfg: dict, src: ConfigSource) -> list:
    from .. import callbacks as cbs

    out = []
    for i, entry in enumerate(cfg["callbacks"]):
        kind = entry["type"]
        if kind not in CONFIG_CALLBACKS:
            raise src.error(
                ("callbacks", i, "type"),
                f"unknown callback {kind!r}; known: {list(CONFIG_CALLBACKS)}",
            )
        kwargs = {k: v for k, v in entry.items() if k != "type"}
        try:
            classes = {"EarlyStopping": cbs.EarlyStopping, "ReduceLROnPlateau":
                       cbs.ReduceLROnPlateau, "TerminateOnNaN": cbs.TerminateOnNaN}  # fmt: skip
            out.append(classes[kind](**kwargs))
        except (TypeError, ValueError) as exc:
            raise src.error(_blame(("callbacks", i), kwargs, exc), f"{kind}: {exc}") from None
    return out


# ----------------------------------------------------------------------------- outputs
def history_csv(history: dict[str, list], epochs: list[int]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    keys = list(history)
    writer.writerow(["epoch", *keys])
    for row, epoch in enumerate(epochs):
        writer.writerow(
            [
                epoch + 1,
                *(repr(float(history[k][row])) if row < len(history[k]) else "" for k in keys),
            ]
        )
    return buf.getvalue()


def run_train(
    preset: str | None = None,
    config: str | None = None,
    *,
    epochs: int | None = None,
    lr: float | None = None,
    seed: int | None = None,
    out: str | None = None,
    resume: bool = False,
    data_dir: str | None = None,
    verbose: int = 1,
    print_fn=print,
    distributed: bool = False,
) -> dict:
    """The whole ``chainrule train`` job; returns ``{"out", "test_metrics", "history"}``.

    ``distributed``: data-parallel over the ranks of an MPI job (``mpiexec -n 4 chainrule train
    ... --distributed``): the same global batches; rank 0 alone prints and writes the output
    folder; an error on any rank aborts the job.
    """
    kwargs = {"epochs": epochs, "lr": lr, "seed": seed, "out": out, "resume": resume,
              "data_dir": data_dir, "verbose": verbose, "print_fn": print_fn}  # fmt: skip
    if not distributed:
        cfg, _ = resolve_config(preset, config, {"epochs": epochs, "lr": lr, "seed": seed,
                                                 "out": out})  # fmt: skip
        if "task" in cfg:  # language models, translation, generators: chainrule.cli.tasks
            from .tasks import task_module

            return task_module(cfg["task"]).run(
                cfg, resume=resume, data_dir=data_dir, verbose=verbose, print_fn=print_fn
            )
        return _run_train(preset, config, strategy=None, **kwargs)
    from ..distributed import DataParallel, abort_on_error

    cfg, _ = resolve_config(preset, config, {"epochs": epochs, "lr": lr, "seed": seed, "out": out})
    if "task" in cfg:
        raise ConfigError(
            f"--distributed trains classification runs only, not task {cfg['task']!r}"
        )
    with abort_on_error():
        strategy = DataParallel()
        if strategy.rank != 0:
            kwargs.update(verbose=0, print_fn=lambda *a, **k: None)
        return _run_train(preset, config, strategy=strategy, **kwargs)


def _run_train(preset, config, *, epochs, lr, seed, out, resume, data_dir, verbose, print_fn,
               strategy) -> dict:  # fmt: skip
    import chainrule

    from ..callbacks import TerminateOnNaN
    from ..io.checkpoint import BackupAndRestore
    from ..io.container import float_to_json
    from ..io.model_file import save_model
    from ..layers import reset_names

    cfg, src = resolve_config(
        preset, config, {"epochs": epochs, "lr": lr, "seed": seed, "out": out}
    )
    out_dir = Path(cfg["out"])
    ckpt_path = out_dir / "checkpoint.zip"
    writer = strategy is None or strategy.rank == 0  # distributed: rank 0 alone writes files
    if resume and writer and not ckpt_path.exists():
        raise ConfigError(f"--resume: no checkpoint at {ckpt_path}; run without --resume first")
    chainrule.manual_seed(cfg["seed"])
    reset_names()
    model = build_model(cfg, src)
    user_callbacks = build_callbacks(cfg, src)
    data = load_data(cfg["data"], data_dir)
    if data["x_train"].ndim == 3:  # images (N, H, W) scaled to [0, 1], light figure on dark
        from ..io.image_preprocessing import image_spec

        h, w = data["x_train"].shape[1:]
        model.preprocessing = image_spec(h, w, class_names=data["classes"])
    config_text = to_toml(cfg)
    if writer:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out_dir / "config.toml", config_text)
        if not resume:
            ckpt_path.unlink(missing_ok=True)
    backup = BackupAndRestore(ckpt_path, save_freq=cfg["checkpoint"]["save_freq"])
    print_fn(
        f"chainrule train: {cfg['name']} on {cfg['data']['name']} "
        f"({len(data['x_train'])} train / {len(data['x_test'])} test examples), "
        f"{cfg['epochs']} epochs, seed {cfg['seed']} → {out_dir}"
    )
    start = time.perf_counter()
    history = model.fit(
        data["x_train"],
        data["y_train"],
        batch_size=cfg["batch_size"],
        epochs=cfg["epochs"],
        validation_split=cfg["data"].get("validation_split", 0.0),
        callbacks=[backup, *user_callbacks],
        verbose=verbose,
        distributed=strategy,
    )
    seconds = time.perf_counter() - start
    if backup.restored_from is not None:
        r = backup.restored_from
        print_fn(f"resumed from {ckpt_path} at epoch {r['epoch'] + 1}, batch {r['batch']}")
    test = model.evaluate(data["x_test"], data["y_test"], batch_size=256, return_dict=True)
    outputs = model.predict(data["x_test"], batch_size=256)
    k = len(data["classes"])
    cm = confusion_matrix(data["y_test"], outputs.argmax(axis=-1), k)
    metrics = {k2: float(v) for k2, v in test.items()}
    hist, epochs_done = history.history, history.epoch
    stopped = next(
        (cb.message for cb in user_callbacks if isinstance(cb, TerminateOnNaN) and cb.message),
        None,
    )
    if stopped is None and any(not math.isfinite(v) for vs in hist.values() for v in vs[-1:]):
        stopped = "the loss or a metric is not finite (NaN or inf) at the last epoch"
    if not writer:
        return {"out": out_dir, "test_metrics": metrics, "history": hist, "diverged": stopped}
    save_model(model, out_dir / "model.zip", include_optimizer=True)
    hist_json = {k2: [float_to_json(v) for v in vs] for k2, vs in hist.items()}
    atomic_write_text(
        out_dir / "history.json",
        json.dumps({"epoch": [e + 1 for e in epochs_done], **hist_json}, indent=1, allow_nan=False),
    )
    atomic_write_text(out_dir / "history.csv", history_csv(hist, epochs_done))
    atomic_write_text(
        out_dir / "test_metrics.json",
        json.dumps({k2: float_to_json(v) for k2, v in metrics.items()}, indent=1, allow_nan=False),
    )
    summary = model.summary(print_fn=lambda *a, **kw: None)
    write_report(
        out_dir,
        title=f"chainrule run: {cfg['name']}",
        history=hist,
        test_metrics=metrics,
        summary=summary,
        config_text=config_text,
        confusion=cm,
        class_names=data["classes"],
    )
    shown = " - ".join(f"{k2}: {v:.4f}" for k2, v in metrics.items())
    print_fn(f"test: {shown}  (training took {seconds:.1f} s)")
    print_fn(f"wrote {out_dir}/: model.zip, history.csv, history.json, report.html")
    if stopped:
        print_fn(f"chainrule train: training diverged: {stopped}")
    return {"out": out_dir, "test_metrics": metrics, "history": hist, "diverged": stopped}
