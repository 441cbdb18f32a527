"""``task = "vae"``: a variational autoencoder on MNIST or Fashion-MNIST (Keras door,
:class:`chainrule.generative.vae.VAE`), measured by its test-set negative ELBO and importance-
weighted bound in nats per image.

Configuration (the presets below are complete examples)::

    task = "vae"
    name = "mnist-vae"
    seed = 0
    epochs = 50
    batch_size = 128
    iwae_k = 100                  # samples of the importance-weighted bound (0: skip it)
    iwae_images = 1000            # optional: the bound on the first N test images only (cost)
    out = "runs/mnist-vae"        # optional

    [data]
    name = "mnist"                # mnist | fashion-mnist; intensities in [0, 1] are the targets
    limit = 5000                  # optional: first N training images
    test_limit = 1000             # optional: first N test images

    [model]
    variant = "mlp"               # mlp (784-400-20 / 20-400-784) | conv (Conv2D / Conv2DTranspose)
    latent_dim = 20
    hidden = [400]                # MLP hidden sizes, or the conv encoder's filters ([32, 64])

    [optimizer]
    name = "adam"
    lr = 0.001

The output folder receives ``config.toml``, ``model.zip`` (the decoder, with a ``"generator"``
preprocessing object: ``chainrule generate model.zip --n 64 --out samples.png`` draws from it),
``encoder.zip`` (images → the mean and log-variance of q(z|x)), ``history.json``/``.csv`` (per
epoch: the training loss, reconstruction and KL terms, and the same three on the test set),
``test_metrics.json`` (``neg_elbo``, ``reconstruction``, ``kl``, ``iwae_nll``), the PNGs
``samples.png``, ``reconstructions.png`` (originals above their reconstructions) and
``interpolation.png`` (decoded points on the line between two test digits' latent means), and
``report.html`` showing the curves and the grids.
"""

from __future__ import annotations

import copy
import json
import math
import time
from pathlib import Path

import numpy as np

from ..config import (
    DATASETS,
    ConfigError,
    ConfigSource,
    _float,
    _int,
    _str,
    _table,
    optimizer_table,
    to_toml,
)

NAME = "vae"
TOP_KEYS = ("task", "name", "describe", "seed", "epochs", "batch_size", "iwae_k", "iwae_images",
            "out", "data", "model", "optimizer")  # fmt: skip
DATA_KEYS = ("name", "limit", "test_limit")
MODEL_KEYS = ("variant", "latent_dim", "hidden")
IMAGE_DATASETS = tuple(d for d in DATASETS if d != "digits")


def _preset(name: str, dataset: str, variant: str, epochs: int, hidden: list[int],
            describe: str, **extra) -> dict:  # fmt: skip
    return {
        **extra,
        "task": NAME,
        "name": name,
        "describe": describe,
        "seed": 0,
        "epochs": epochs,
        "batch_size": 128,
        "iwae_k": 100,
        "data": {"name": dataset},
        "model": {"variant": variant, "latent_dim": 20, "hidden": hidden},
        "optimizer": {"name": "adam", "lr": 0.001},
    }


PRESETS: dict[str, dict] = {
    "mnist-vae": _preset(
        "mnist-vae", "mnist", "mlp", 50, [512, 512],
        "MLP VAE 784-512-512-20 (Bernoulli decoder) on MNIST; test -ELBO and IWAE (k=100), nats",
    ),
    "mnist-vae-conv": _preset(
        "mnist-vae-conv", "mnist", "conv", 3, [32, 64],
        "convolutional VAE (Conv2D 32-64 / Conv2DTranspose 64-32, latent 20) on MNIST; IWAE on "
        "the first 1,000 test images", iwae_images=1000,
    ),
}  # fmt: skip


def validate(raw: dict, src: ConfigSource) -> dict:
    """The checked configuration with defaults filled in; ConfigError naming the key."""
    _table(src, (), raw, TOP_KEYS)
    cfg = {"seed": 0, "epochs": 10, "batch_size": 128, "iwae_k": 100,
           "optimizer": {"name": "adam", "lr": 0.001}}  # fmt: skip
    cfg.update(copy.deepcopy(raw))
    _str(src, ("task",), cfg["task"], (NAME,))
    for key in ("data", "model"):
        if key not in cfg:
            raise src.error((key,), "missing required table")
    cfg["name"] = _str(src, ("name",), cfg["name"]) if "name" in cfg else Path(src.label).stem
    if "describe" in cfg:
        _str(src, ("describe",), cfg["describe"])
    _int(src, ("seed",), cfg["seed"], 0)
    _int(src, ("epochs",), cfg["epochs"], 1)
    _int(src, ("batch_size",), cfg["batch_size"], 1)
    _int(src, ("iwae_k",), cfg["iwae_k"], 0)
    if cfg["iwae_k"] > 10_000:
        raise src.error(("iwae_k",), f"expected at most 10000 samples, got {cfg['iwae_k']}")
    if "iwae_images" in cfg:
        _int(src, ("iwae_images",), cfg["iwae_images"], 1)
    if "out" in cfg:
        _str(src, ("out",), cfg["out"])
    data = _table(src, ("data",), cfg["data"], DATA_KEYS)
    if "name" not in data:
        raise src.error(("data", "name"), f"missing; expected one of {list(IMAGE_DATASETS)}")
    _str(src, ("data", "name"), data["name"], IMAGE_DATASETS)
    for key in ("limit", "test_limit"):
        if key in data:
            _int(src, ("data", key), data[key], 1)
    model = _table(src, ("model",), cfg["model"], MODEL_KEYS)
    model.setdefault("variant", "mlp")
    _str(src, ("model", "variant"), model["variant"], ("mlp", "conv"))
    model.setdefault("latent_dim", 20)
    _int(src, ("model", "latent_dim"), model["latent_dim"], 1)
    if model["latent_dim"] > 4096:
        raise src.error(
            ("model", "latent_dim"), f"expected at most 4096, got {model['latent_dim']}"
        )
    model.setdefault("hidden", [400] if model["variant"] == "mlp" else [32, 64])
    hidden = model["hidden"]
    if not isinstance(hidden, list) or not hidden or len(hidden) > 8:
        raise src.error(("model", "hidden"), f"expected a list of 1 to 8 sizes, got {hidden!r}")
    for i, h in enumerate(hidden):
        _int(src, ("model", "hidden", i), h, 1)
        if h > 65536:
            raise src.error(("model", "hidden", i), f"expected at most 65536, got {h}")
    if model["variant"] == "conv" and len(hidden) > 2:
        raise src.error(("model", "hidden"), "a 28x28 conv VAE halves the size per filter entry: "
                        f"give 1 or 2 filter counts, got {len(hidden)}")  # fmt: skip
    opt = optimizer_table(src, cfg, booleans=False)
    for key, value in opt.items():
        if key != "name" and not math.isfinite(value):
            raise src.error(("optimizer", key), f"expected a finite number, got {value!r}")
    if "lr" in opt:
        _float(src, ("optimizer", "lr"), opt["lr"], 1e-12, 10.0)
    return cfg


# ----------------------------------------------------------------------------- the run
def _build(cfg: dict, src: ConfigSource):
    from ... import optim
    from ...generative.vae import build_vae

    m = cfg["model"]
    vae = build_vae(m["variant"], m["latent_dim"], hidden=m["hidden"], image_shape=(28, 28, 1))
    opt_cfg = dict(cfg["optimizer"])
    name = opt_cfg.pop("name")
    try:
        optimizer = optim.get(name, **opt_cfg)
    except (TypeError, ValueError) as exc:
        raise src.error(("optimizer",), str(exc)) from None
    vae.compile(optimizer=optimizer)
    return vae


def _test_curves(vae, x_test: np.ndarray):
    """A callback adding the test set's ``test_loss``/``test_reconstruction_loss``/
    ``test_kl_loss`` to each epoch's logs (PyTorch's VAE example prints the test loss per epoch;
    nothing is selected on it)."""
    from ...callbacks.base import Callback

    class TestBound(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs is None:
                return
            was = vae.training
            vae.eval()
            vae.reset_metrics()
            try:
                result = {}
                for i in range(0, len(x_test), 1000):
                    result = vae.test_step((x_test[i : i + 1000],))
            finally:
                vae.reset_metrics()
                vae.train(was)
            logs.update({f"test_{k}": float(v) for k, v in result.items()})

    return TestBound()


def save_grids(vae, latent_dim: int, x_test: np.ndarray, out_dir: Path, *,
               n_samples: int = 64) -> list[tuple]:  # fmt: skip
    """samples.png, reconstructions.png, interpolation.png in ``out_dir``; returns
    ``(file name, caption)`` pairs for the report."""
    from ...function import no_grad
    from ...generative.grids import save_image_grid
    from ...generative.sampling import draw_latents, to_intensities
    from ...generative.vae import decoder_spec

    spec = decoder_spec(latent_dim)
    vae.eval()
    with no_grad():
        z = draw_latents(spec, n_samples)
        samples = to_intensities(vae.decoder(z), spec, n_samples)
        originals = x_test[:32]
        mu, _ = vae.encode(originals)
        recon = to_intensities(vae.decoder(mu), spec, len(originals))
        pairs = []
        for a, b in ((0, 1), (2, 3), (4, 5), (6, 7)):
            ends, _ = vae.encode(x_test[[a, b]])
            t = np.linspace(0.0, 1.0, 10, dtype=np.float32)[:, None]
            line = (1 - t) * ends.data[0] + t * ends.data[1]
            pairs.append(to_intensities(vae.decoder(line), spec, 10))
    rows = []
    for i in range(0, len(originals), 16):  # each row of originals above its reconstructions
        rows += [originals[i : i + 16, ..., None], recon[i : i + 16]]
    save_image_grid(samples, out_dir / "samples.png", nrow=8, scale=2, pad_value=0.5)
    save_image_grid(
        np.concatenate(rows), out_dir / "reconstructions.png", nrow=16, scale=2, pad_value=0.5
    )
    save_image_grid(
        np.concatenate(pairs), out_dir / "interpolation.png", nrow=10, scale=2, pad_value=0.5
    )
    recon_caption = "test digits (odd rows) above their reconstructions from the latent mean"
    line_caption = "decoded points on the line between two test digits' latent means, a pair a row"
    return [
        ("samples.png", f"{n_samples} samples: z ~ N(0, I), decoded to Bernoulli means"),
        ("reconstructions.png", recon_caption),
        ("interpolation.png", line_caption),
    ]


def run(cfg: dict, *, resume: bool, data_dir: str | None, verbose: int, print_fn) -> dict:
    """Train, measure and write the output folder (see the module docstring)."""
    import chainrule

    from ...callbacks import TerminateOnNaN
    from ...generative.elbo import evaluate_bounds
    from ...generative.vae import decoder_spec
    from ...io.atomic import atomic_write_text
    from ...io.container import float_to_json
    from ...io.model_file import save_model
    from ...layers import reset_names
    from ..report import write_report
    from ..train import history_csv, load_data

    if resume:
        raise ConfigError(
            f"--resume: task '{NAME}' writes no checkpoints (a VAE trains in minutes); run it "
            "again without --resume"
        )
    src = ConfigSource(f"config '{cfg.get('name')}'")
    cfg = validate(cfg, src)
    cfg.setdefault("out", str(Path("runs") / cfg["name"]))
    out_dir = Path(cfg["out"])
    chainrule.manual_seed(cfg["seed"])
    reset_names()
    data = load_data(cfg["data"], data_dir)
    x_train, x_test = data["x_train"], data["x_test"]
    vae = _build(cfg, src)
    config_text = to_toml(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.toml", config_text)
    print_fn(
        f"chainrule train: {cfg['name']} ({cfg['model']['variant']} VAE, latent "
        f"{cfg['model']['latent_dim']}) on {cfg['data']['name']} ({len(x_train)} train / "
        f"{len(x_test)} test images), {cfg['epochs']} epochs, seed {cfg['seed']} → {out_dir}"
    )
    stop = TerminateOnNaN()
    start = time.perf_counter()
    history = vae.fit(x_train, epochs=cfg["epochs"], batch_size=cfg["batch_size"],
                      callbacks=[_test_curves(vae, x_test), stop],
                      verbose=verbose)  # fmt: skip
    seconds = time.perf_counter() - start
    hist = history.history
    diverged = getattr(stop, "message", None)
    if diverged is None and any(not math.isfinite(v) for vs in hist.values() for v in vs[-1:]):
        diverged = "the loss is not finite (NaN or inf) at the last epoch"
    start_eval = time.perf_counter()
    n_iwae = min(cfg.get("iwae_images", len(x_test)), len(x_test))
    if cfg["iwae_k"] and n_iwae < len(x_test):  # the bound on a prefix of the test set
        metrics = evaluate_bounds(vae.encoder, vae.decoder, x_test, k=0)
        part = evaluate_bounds(vae.encoder, vae.decoder, x_test[:n_iwae], k=cfg["iwae_k"])
        metrics.update(iwae_nll=part["iwae_nll"], neg_elbo_iwae_images=part["neg_elbo"])
    else:
        metrics = evaluate_bounds(vae.encoder, vae.decoder, x_test, k=cfg["iwae_k"])
    if cfg["iwae_k"]:
        metrics["iwae_images"] = n_iwae
    eval_seconds = time.perf_counter() - start_eval
    metrics["train_seconds"] = seconds
    decoder = vae.decoder
    decoder.preprocessing = decoder_spec(cfg["model"]["latent_dim"])
    save_model(decoder, out_dir / "model.zip")
    save_model(vae.encoder, out_dir / "encoder.zip")
    hist_json = {k: [float_to_json(v) for v in vs] for k, vs in hist.items()}
    atomic_write_text(out_dir / "history.json", json.dumps(
        {"epoch": [e + 1 for e in history.epoch], **hist_json}, indent=1, allow_nan=False))  # fmt: skip
    atomic_write_text(out_dir / "history.csv", history_csv(hist, history.epoch))
    atomic_write_text(out_dir / "test_metrics.json", json.dumps(
        {k: float_to_json(v) for k, v in metrics.items()}, indent=1, allow_nan=False))  # fmt: skip
    images = save_grids(vae, cfg["model"]["latent_dim"], x_test, out_dir) if not diverged else []
    quiet = {"print_fn": lambda *a, **k: None}
    summary = (
        "encoder\n" + vae.encoder.summary(**quiet) + "\ndecoder\n" + vae.decoder.summary(**quiet)
    )
    write_report(out_dir, title=f"chainrule run: {cfg['name']}", history=hist,
                 test_metrics=metrics, summary=summary, config_text=config_text,
                 images=images)  # fmt: skip
    shown = " - ".join(
        f"{k}: {v:.2f}" for k, v in metrics.items() if k not in ("train_seconds", "iwae_images")
    )
    if "iwae_images" in metrics:
        shown += f" (the bound on {metrics['iwae_images']} test images)"
    print_fn(f"test (nats per image): {shown}  (training took {seconds:.1f} s, "
             f"evaluation {eval_seconds:.1f} s)")  # fmt: skip
    print_fn(f"wrote {out_dir}/: model.zip (decoder), encoder.zip, history.csv, history.json, "
             "samples.png, reconstructions.png, interpolation.png, report.html")  # fmt: skip
    if diverged:
        print_fn(f"chainrule train: training diverged: {diverged}")
    return {"out": out_dir, "test_metrics": metrics, "history": hist, "diverged": diverged}
