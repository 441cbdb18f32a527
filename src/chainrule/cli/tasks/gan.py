"""``task = "gan"``: DCGAN-style GANs on MNIST / Fashion-MNIST, measured by a judge classifier.

Presets ``mnist-gan``, ``fashion-gan`` (unconditional: 10 epochs, ``mapping_layers = 1``,
``discriminator_units = 1024``, ``ema = 0.999``, which took MNIST from 63 % to 85 % confidently
recognised samples; docs/results.md) and ``mnist-cgan`` (conditional, AC-GAN, 5 epochs, with the
defaults below: ``chainrule generate MODEL --label 7``). The model is
:mod:`chainrule.generative.gan`; the measurements are :mod:`chainrule.generative.metrics`;
failure modes :mod:`chainrule.generative.gan_monitor`. Configuration (defaults shown)::

    task = "gan"
    name = "mnist-gan"
    seed = 0
    epochs = 5
    batch_size = 64
    [data]
    name = "mnist"           # mnist | fashion-mnist; optional limit, test_limit
    [model]
    latent_dim = 64
    width = 32               # the discriminator's first conv filters; the generator mirrors it
    conditional = false      # true: AC-GAN drawing a requested class
    mapping_layers = 0       # fully connected ReLU layers in front of the generator's first Dense
    mapping_units = 256      #  (a one-layer mapping network: a sharper split into classes)
    discriminator_units = 0  # > 0: a hidden Dense layer before D's logits (judges whole shapes)
    [optimizer]
    name = "adam"
    lr = 0.0002
    beta_1 = 0.5
    beta_2 = 0.999
    [gan]
    label_smoothing = 0.1    # one-sided: real images' target is 0.9
    ema = 0.0                # > 0: sample, measure and save an exponential moving average of the
                             #  generator's weights (decay; warm-up min(ema, (1 + t) / (10 + t)))
    [judge]
    classifier = "auto"      # "auto": the cached chainrule classifier for the dataset (trained by
                             #  the mnist-cnn / fashion-cnn preset on first use), a model file
                             #  path, or "none" (no classifier measurements)
    samples = 10000          # generated images measured at the end
    epoch_samples = 2000     # generated images measured after each epoch
    confidence = 0.9

Outputs in the run folder: ``config.toml``, ``model.zip`` (the generator — with ``gan.ema``, its
weight average — with its "generator" preprocessing spec: ``chainrule generate`` draws from it),
``discriminator.zip``, with ``gan.ema`` also ``generator_live.zip`` (the generator as trained; its
final measurements are ``live_confident_share`` and ``live_fd``),
``samples_epoch_NNN.png`` (the same latents every epoch), ``samples.png``, ``history.csv/.json``
(per-epoch losses, D's probabilities and the judge's measurements), ``test_metrics.json`` (the
final measurements on ``judge.samples`` images, the real-data floor, the class histogram and the
failures found), ``report.html``; ``checkpoint/`` after each epoch (with the average when
``gan.ema``; ``--resume`` continues from the last completed epoch, bit-identically).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import numpy as np

from ..config import ConfigError
from .gan_config import DATASETS, PRESETS, TASK, to_toml, validate

__all__ = ["DATASETS", "PRESETS", "TASK", "run", "to_toml", "validate"]

#: dataset → (classification preset that trains its judge, epochs)
JUDGES = {"mnist": ("mnist-cnn", 15), "fashion-mnist": ("fashion-cnn", 12)}


# ----------------------------------------------------------------------------- data and judge
def load_images(data_cfg: dict, data_dir: str | None):
    """Train images (N, 28, 28, 1) in [-1, 1], train labels, test intensities (M, 28, 28) in
    [0, 1], test labels, class names."""
    from ... import datasets

    if data_cfg["name"] == "mnist":
        (xtr, ytr), (xte, yte) = datasets.load_mnist(data_dir)
        names = [str(i) for i in range(10)]
    else:
        (xtr, ytr), (xte, yte) = datasets.load_fashion_mnist(data_dir)
        names = list(datasets.FASHION_MNIST_CLASSES)
    xtr, ytr = xtr[: data_cfg.get("limit")], ytr[: data_cfg.get("limit")]
    xte, yte = xte[: data_cfg.get("test_limit")], yte[: data_cfg.get("test_limit")]
    train = np.asarray(xtr, dtype=np.float32)[..., None]
    train /= np.float32(127.5)
    train -= np.float32(1.0)
    test = np.asarray(xte, dtype=np.float32) / np.float32(255.0)
    return train, np.asarray(ytr, np.int64), test, np.asarray(yte, np.int64), names


def judge_cache_path(dataset: str) -> Path:
    """Where the automatically trained judge of ``dataset`` lives:
    ``$XDG_CACHE_HOME/chainrule/judges/<preset>/model.zip`` (default ``~/.cache/...``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "chainrule" / "judges" / JUDGES[dataset][0] / "model.zip"


def load_judge(judge_cfg: dict, dataset: str, data_dir: str | None, print_fn):
    """The judge classifier (None for ``"none"``); ``"auto"`` trains and caches it if needed."""
    from ...io.model_file import load_model

    choice = judge_cfg["classifier"]
    if choice == "none":
        return None
    if choice == "auto":
        path = judge_cache_path(dataset)
        if not path.exists():
            from ..train import run_train

            preset, epochs = JUDGES[dataset]
            print_fn(f"chainrule train: no judge classifier for {dataset} at {path}; training it "
                     f"once ({preset}, {epochs} epochs; cached for later runs)")  # fmt: skip
            run_train(preset, epochs=epochs, out=str(path.parent), data_dir=data_dir,
                      verbose=2, print_fn=print_fn)  # fmt: skip
    else:
        path = Path(choice)
        if not path.exists():
            raise ConfigError(f"judge.classifier: model file {path} does not exist")
    return load_model(path)


# ----------------------------------------------------------------------------- checkpoints
def _save_checkpoint(folder: Path, gan, epoch: int, state: dict) -> None:
    """The models (with optimiser state; the weight-averaged generator too when ``gan.ema``) of
    epoch ``epoch``, then state.json naming them (written last and atomically: a kill mid-way
    leaves the previous checkpoint valid)."""
    from ...io.atomic import atomic_write_text
    from ...io.model_file import save_model
    from ...random import get_state

    folder.mkdir(parents=True, exist_ok=True)
    names = {"generator": f"generator-{epoch}.zip", "discriminator": f"discriminator-{epoch}.zip"}
    save_model(gan.generator, folder / names["generator"], include_optimizer=True)
    save_model(gan.discriminator, folder / names["discriminator"], include_optimizer=True)
    if gan.ema_generator is not None:
        names["ema_generator"] = f"ema_generator-{epoch}.zip"
        save_model(gan.ema_generator, folder / names["ema_generator"])
        state = {**state, "ema_updates": gan.ema_updates}
    body = {"epochs_done": epoch, "files": names, "rng": get_state(), **state}
    atomic_write_text(folder / "state.json", json.dumps(body, allow_nan=True))
    for old in folder.glob("*.zip"):
        if old.name not in names.values():
            old.unlink(missing_ok=True)


def _load_checkpoint(folder: Path, gan) -> dict:
    from ...io.model_file import load_model
    from ...random import set_state

    path = folder / "state.json"
    if not path.exists():
        raise ConfigError(f"--resume: no checkpoint at {path}; run without --resume first")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        files = state["files"]
        epochs_done = state["epochs_done"]
        if not isinstance(epochs_done, int) or epochs_done < 1:
            raise ValueError("epochs_done")
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a GAN checkpoint state ({exc})") from None
    for role, model, opt in (("generator", gan.generator, gan.g_optimizer),
                             ("discriminator", gan.discriminator, gan.d_optimizer)):  # fmt: skip
        name = files.get(role) if isinstance(files, dict) else None
        if not isinstance(name, str) or "/" in name or "\\" in name:
            raise ValueError(f"{path}: bad file name for the {role}")
        saved = load_model(folder / name)
        model.load_state_dict(saved.state_dict())
        if getattr(saved, "optimizer", None) is None:
            raise ValueError(f"{folder / name}: holds no optimizer state")
        opt.load_state_dict(saved.optimizer.state_dict())
    if gan.ema_generator is not None:
        name = files.get("ema_generator")
        updates = state.get("ema_updates")
        if not isinstance(name, str) or "/" in name or "\\" in name:
            raise ConfigError(f"--resume: {path} holds no weight-averaged generator; gan.ema "
                              "must be what the checkpointed run used")  # fmt: skip
        if not isinstance(updates, int) or isinstance(updates, bool) or updates < 0:
            raise ValueError(f"{path}: bad ema_updates {updates!r:.40}")
        gan.ema_generator.load_state_dict(load_model(folder / name).state_dict())
        gan.ema_updates = updates
    elif "ema_generator" in files:
        raise ConfigError(f"--resume: {path} was written with gan.ema > 0; resume with the same "
                          "gan.ema")  # fmt: skip
    set_state(state["rng"])
    return state


# ----------------------------------------------------------------------------- run
def _class_matrix(requested: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(requested * k + predicted, minlength=k * k).reshape(k, k)


def run(cfg: dict, *, resume: bool = False, data_dir: str | None = None, verbose: int = 1,
        print_fn=print) -> dict:  # fmt: skip
    """The whole job (module docstring); returns ``{"out", "test_metrics", "history",
    "diverged", "failures"}``. ``diverged`` is set when the last epoch ends in a failure mode
    (the generator is then not worth using) or a loss is not finite."""
    import chainrule

    from ...generative.gan import GAN, dcgan_discriminator, dcgan_generator
    from ...generative.gan_monitor import diagnose_epoch, mean_pairwise_distance
    from ...generative.grids import save_image_grid
    from ...generative.metrics import (
        gaussian_stats,
        half_split_distance,
        judge_outputs,
        sample_quality,
    )
    from ...io.atomic import atomic_write_text
    from ...io.container import float_to_json
    from ...io.generator_spec import generator_spec
    from ...io.model_file import save_model
    from ...layers import reset_names
    from ..report import write_report
    from ..train import history_csv

    out_dir = Path(cfg.get("out") or Path("runs") / cfg["name"])
    ckpt_dir = out_dir / "checkpoint"
    if resume and not (ckpt_dir / "state.json").exists():
        raise ConfigError(f"--resume: no checkpoint at {ckpt_dir}; run without --resume first")
    x_train, y_train, x_test, y_test, names = load_images(cfg["data"], data_dir)
    if len(x_train) < cfg["batch_size"]:
        raise ConfigError(f"batch_size {cfg['batch_size']} exceeds the {len(x_train)} training "
                          "images")  # fmt: skip
    judge = load_judge(cfg["judge"], cfg["data"]["name"], data_dir, print_fn)
    conditional = cfg["model"]["conditional"]
    k = len(names) if conditional else None
    latent = cfg["model"]["latent_dim"]

    chainrule.manual_seed(cfg["seed"])
    reset_names()
    G = dcgan_generator(latent, (28, 28, 1), width=cfg["model"]["width"], num_classes=k,
                        mapping_layers=cfg["model"]["mapping_layers"],
                        mapping_units=cfg["model"]["mapping_units"])  # fmt: skip
    D = dcgan_discriminator((28, 28, 1), width=cfg["model"]["width"], num_classes=k,
                            hidden_units=cfg["model"]["discriminator_units"])  # fmt: skip
    o = cfg["optimizer"]
    gan = GAN(G, D, latent_dim=latent, num_classes=k, lr=o["lr"], beta_1=o["beta_1"],
              beta_2=o["beta_2"], label_smoothing=cfg["gan"]["label_smoothing"],
              ema=cfg["gan"]["ema"])  # fmt: skip
    G.preprocessing = generator_spec(latent, 28, 28, output="tanh", num_classes=k,
                                     label_input=None if k is None else "one_hot",
                                     class_names=names if k else None)  # fmt: skip
    sampler = gan.sampler  # what is drawn, measured and saved as model.zip
    sampler.preprocessing = G.preprocessing
    grid_n = 100 if conditional else 64
    grid_z = gan.latents(grid_n)  # the same latents every epoch: the grids show progress
    grid_labels = None if k is None else np.arange(grid_n) // 10 % k  # row r: class r

    config_text = to_toml(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.toml", config_text)
    history: dict[str, list[float]] = {}
    failures: list[dict] = []
    start_epoch, earlier = 0, 0.0  # earlier: training seconds before a resume
    if resume:
        state = _load_checkpoint(ckpt_dir, gan)
        start_epoch, history, failures = state["epochs_done"], state["history"], state["failures"]
        earlier = float(state.get("train_seconds", 0.0))
        print_fn(f"resumed from {ckpt_dir} after epoch {start_epoch}")

    real_stats = None
    j = cfg["judge"]
    if judge is not None:
        real_probs, real_feats = judge_outputs(judge, x_test)
        judge_accuracy = float((real_probs.argmax(axis=1) == y_test).mean())
        real_stats = gaussian_stats(real_feats)
    real_diversity = mean_pairwise_distance((x_train[:256] + 1) / 2)
    print_fn(
        f"chainrule train: {cfg['name']} ({'conditional ' if k else ''}DCGAN) on "
        f"{cfg['data']['name']} ({len(x_train)} train images), {cfg['epochs']} epochs, seed "
        f"{cfg['seed']} → {out_dir}"
        + (f"; judge accuracy on the test set {judge_accuracy:.2%}" if judge is not None else "")
    )
    started = time.perf_counter()
    for epoch in range(start_epoch, cfg["epochs"]):
        t0 = time.perf_counter()
        per_epoch = len(x_train) // cfg["batch_size"]

        def progress(step: int, stats: dict, epoch=epoch, per_epoch=per_epoch) -> None:
            if verbose == 1 and (step + 1) % 100 == 0 and step + 1 < per_epoch:
                shown = " - ".join(f"{key}: {v:.4g}" for key, v in stats.items())
                print_fn(f"  epoch {epoch + 1} step {step + 1}/{per_epoch} - {shown}")

        steps = gan.train_epoch(x_train, y_train if k else None, batch_size=cfg["batch_size"],
                                on_step=progress)  # fmt: skip
        row = {key: float(v.mean()) for key, v in steps.items()}
        save_image_grid(gan.generate(grid_n, grid_labels, z=grid_z),
                        out_dir / f"samples_epoch_{epoch + 1:03d}.png", nrow=10 if k else 8)  # fmt: skip
        quality = {}
        if math.isfinite(row["g_loss"]) and math.isfinite(row["d_loss"]):
            n = j["epoch_samples"]
            labels = None if k is None else np.arange(n) % k
            images = gan.generate(n, labels)
            quality["diversity"] = mean_pairwise_distance(images) / real_diversity
            if judge is not None:
                quality.update(sample_quality(judge, images, real_stats=real_stats, labels=labels,
                                              confidence=j["confidence"]))  # fmt: skip
        row.update({key: v for key, v in quality.items() if key != "class_shares"})
        for key, v in row.items():  # a measurement first taken now (a judge added on
            history.setdefault(key, [math.nan] * epoch).append(v)  # resume) is NaN before
        found = diagnose_epoch(steps, quality, conditional=k is not None)
        failures += [{"epoch": epoch + 1, "kind": kind, "message": m} for kind, m in found]
        shown = " - ".join(f"{key}: {v:.4g}" for key, v in row.items())
        print_fn(f"Epoch {epoch + 1}/{cfg['epochs']} - {time.perf_counter() - t0:.1f}s - {shown}")
        for _, message in found:
            print_fn(f"  warning (epoch {epoch + 1}): {message}")
        spent = earlier + time.perf_counter() - started
        state = {"history": history, "failures": failures, "train_seconds": spent}
        _save_checkpoint(ckpt_dir, gan, epoch + 1, state)
        if any(kind == "non_finite" for kind, _ in found):
            break
    seconds = earlier + time.perf_counter() - started  # over every resumed part
    epochs_run = len(next(iter(history.values()), []))
    last = [f for f in failures if f["epoch"] == epochs_run]

    # final measurements on judge.samples images
    metrics: dict[str, float] = {}
    confusion = None
    final_ok = not any(f["kind"] == "non_finite" for f in last)
    if final_ok:
        n = j["samples"]
        labels = None if k is None else np.arange(n) % k
        images = gan.generate(n, labels)
        save_image_grid(gan.generate(grid_n, grid_labels, z=grid_z), out_dir / "samples.png",
                        nrow=10 if k else 8)  # fmt: skip
        metrics["diversity"] = mean_pairwise_distance(images) / real_diversity
        if judge is not None:
            q = sample_quality(judge, images, real_stats=real_stats, labels=labels,
                               confidence=j["confidence"])  # fmt: skip
            metrics.update({key: v for key, v in q.items() if key != "class_shares"})
            metrics["fd_floor"] = half_split_distance(real_feats)
            metrics["judge_accuracy"] = judge_accuracy
            for name, share in zip(names, q["class_shares"]):
                metrics[f"share_{name}"] = share
            if k is not None:
                confusion = _class_matrix(labels, judge_outputs(judge, images)[0].argmax(1), k)
            if sampler is not G:  # the live generator, for comparison with its average
                q = sample_quality(judge, gan.generate(n, labels, live=True),
                                   real_stats=real_stats, labels=labels,
                                   confidence=j["confidence"])  # fmt: skip
                metrics["live_confident_share"] = q["confident_share"]
                metrics["live_fd"] = q["fd"]
    metrics["train_seconds"] = seconds

    save_model(sampler, out_dir / "model.zip")
    save_model(D, out_dir / "discriminator.zip")
    if sampler is not G:
        save_model(G, out_dir / "generator_live.zip")
    hist_json = {key: [float_to_json(v) for v in vs] for key, vs in history.items()}
    atomic_write_text(out_dir / "history.json", json.dumps(
        {"epoch": list(range(1, epochs_run + 1)), **hist_json}, indent=1, allow_nan=False))  # fmt: skip
    atomic_write_text(out_dir / "history.csv", history_csv(history, list(range(epochs_run))))
    atomic_write_text(out_dir / "test_metrics.json", json.dumps(
        {**{key: float_to_json(v) for key, v in metrics.items()}, "failures": failures,
         **({} if confusion is None else {"label_confusion": confusion.tolist()})},
        indent=1, allow_nan=False))  # fmt: skip
    grids = [out_dir / f"samples_epoch_{e:03d}.png" for e in range(1, epochs_run + 1)]
    summary = "\n".join(
        [f"generator ({sum(p.data.size for p in G.parameters()):,} parameters)",
         G.summary(print_fn=lambda *a, **kw: None),
         f"discriminator ({sum(p.data.size for p in D.parameters()):,} parameters)",
         D.summary(print_fn=lambda *a, **kw: None)]
        + ["", "failures found:"] + [f"  epoch {f['epoch']}: {f['message']}" for f in failures]
    )  # fmt: skip
    write_report(
        out_dir,
        title=f"chainrule run: {cfg['name']}",
        history=history,
        test_metrics=metrics,
        summary=summary,
        config_text=config_text,
        confusion=confusion,
        class_names=names if confusion is not None else None,
        images=[
            (
                p.name,
                f"samples after epoch {int(p.stem[-3:])} (the same latents"
                + (", row r: label r)" if k else ")"),
            )
            for p in grids
            if p.exists()
        ]
        + ([("samples.png", "final samples")] if final_ok else []),
    )
    shown = " - ".join(f"{key}: {v:.4g}" for key, v in metrics.items()
                       if not key.startswith("share_"))  # fmt: skip
    print_fn(f"final ({j['samples']} samples): {shown}  (training took {seconds:.1f} s)")
    print_fn(f"wrote {out_dir}/: model.zip (generator), discriminator.zip, samples.png, "
             "history.csv, history.json, test_metrics.json, report.html")  # fmt: skip
    diverged = "; ".join(f["message"] for f in last) or None
    if diverged:
        print_fn(f"chainrule train: the GAN failed: {diverged}")
    return {"out": out_dir, "test_metrics": metrics, "history": history, "diverged": diverged,
            "failures": failures}  # fmt: skip
