"""Task ``translate``: train a sequence-to-sequence Transformer on sentence pairs (English→French).

Configuration (every key optional but ``task``; defaults as in the ``eng-fra`` preset)::

    task = "translate"
    name = "eng-fra"
    seed = 0
    epochs = 2
    batch_size = 128
    [data]       name = "eng-fra", max_words = 10, test_fraction = 0.05,
                 validation_fraction = 0.02, limit = 0 (training pairs used; 0 = all),
                 test_limit = 0 (test sources scored; 0 = all)
    [model]      embed_dim = 128, intermediate_dim = 512, num_heads = 4, num_layers = 2,
                 dropout = 0.0, max_length = 32, min_freq = 2, target_min_freq = 4
    [optimizer]  lr = 0.002 (Adam; peak of a linear warm-up then cosine decay to 5 %),
                 warmup = 300 (steps), clip_norm = 1.0
    [evaluate]   beam_size = 4, length_penalty = 1.0, examples = 12, val_sentences = 500

Writes ``out/``: config.toml, model.zip (after every epoch; the text preprocessing inside, so
``chainrule translate out/model.zip "..."`` works), history.json/.csv (training and validation loss,
validation greedy BLEU per epoch), test_metrics.json (greedy and beam BLEU on the test split, one
reference per pair and all references per source), examples.tsv and report.html.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

from ..config import ConfigError, ConfigSource, _float, _int, _str, _table

NAME = "translate"
DATASETS = ("eng-fra",)
PRESETS: dict[str, dict] = {
    "eng-fra": {
        "task": NAME,
        "name": "eng-fra",
        "describe": "English→French Transformer (2+2 layers, d 128) on pairs of ≤ 10 words",
        "seed": 0,
        "epochs": 8,
        "batch_size": 128,
        "data": {"name": "eng-fra", "max_words": 10, "test_fraction": 0.05,
                 "validation_fraction": 0.02, "limit": 0, "test_limit": 0},
        "model": {"embed_dim": 128, "intermediate_dim": 512, "num_heads": 4, "num_layers": 2,
                  "dropout": 0.0, "max_length": 32, "min_freq": 2, "target_min_freq": 4},
        "optimizer": {"lr": 2e-3, "warmup": 300, "clip_norm": 1.0},
        "evaluate": {"beam_size": 4, "length_penalty": 1.0, "examples": 12,
                     "val_sentences": 500},
    }
}  # fmt: skip
_TOP = ("task", "name", "describe", "seed", "epochs", "batch_size", "out", "data", "model",
        "optimizer", "evaluate")  # fmt: skip


def validate(raw: dict, src: ConfigSource) -> dict:
    """The checked configuration with the ``eng-fra`` defaults filled in."""
    base = copy.deepcopy(PRESETS["eng-fra"])
    _table(src, (), raw, _TOP)
    cfg: dict[str, Any] = {"task": _str(src, ("task",), raw.get("task"), (NAME,))}
    cfg["name"] = _str(src, ("name",), raw.get("name", base["name"]))
    cfg["describe"] = str(raw.get("describe", ""))
    cfg["seed"] = _int(src, ("seed",), raw.get("seed", base["seed"]), 0)
    cfg["epochs"] = _int(src, ("epochs",), raw.get("epochs", base["epochs"]), 1)
    cfg["batch_size"] = _int(src, ("batch_size",), raw.get("batch_size", base["batch_size"]), 1)
    if raw.get("out") is not None:
        cfg["out"] = _str(src, ("out",), raw["out"])
    tables = {}
    for key in ("data", "model", "optimizer", "evaluate"):
        given = _table(src, (key,), raw.get(key, {}), tuple(base[key]))
        tables[key] = {**base[key], **given}
    d, m, o, e = tables["data"], tables["model"], tables["optimizer"], tables["evaluate"]
    d["name"] = _str(src, ("data", "name"), d["name"], DATASETS)
    d["max_words"] = _int(src, ("data", "max_words"), d["max_words"], 1)
    for k in ("test_fraction", "validation_fraction"):
        d[k] = _float(src, ("data", k), d[k], 1e-6, 0.5)
    for k in ("limit", "test_limit"):
        d[k] = _int(src, ("data", k), d[k], 0)
    for k in ("embed_dim", "intermediate_dim", "num_heads", "num_layers", "min_freq",
              "target_min_freq"):  # fmt: skip
        m[k] = _int(src, ("model", k), m[k], 1)
    m["max_length"] = _int(src, ("model", "max_length"), m["max_length"], 4)
    m["dropout"] = _float(src, ("model", "dropout"), m["dropout"], 0.0, 1.0)
    if m["embed_dim"] % m["num_heads"]:
        raise src.error(("model", "num_heads"), f"must divide embed_dim={m['embed_dim']}")
    if "learning_rate" in o:  # Keras's name, as the classification configs accept it
        o["lr"] = o.pop("learning_rate")
    o["lr"] = _float(src, ("optimizer", "lr"), o["lr"], 1e-8, 10.0)
    o["warmup"] = _int(src, ("optimizer", "warmup"), o["warmup"], 1)
    o["clip_norm"] = _float(src, ("optimizer", "clip_norm"), o["clip_norm"], 1e-6, 1e6)
    e["beam_size"] = _int(src, ("evaluate", "beam_size"), e["beam_size"], 1)
    e["length_penalty"] = _float(src, ("evaluate", "length_penalty"), e["length_penalty"], 0.0,
                                 10.0)  # fmt: skip
    e["examples"] = _int(src, ("evaluate", "examples"), e["examples"], 0)
    e["val_sentences"] = _int(src, ("evaluate", "val_sentences"), e["val_sentences"], 0)
    cfg.update(tables)
    return cfg


def _data(cfg: dict, data_dir):
    from ...data.translation import split_pairs_by_source
    from ...datasets import load_eng_fra_split

    d = cfg["data"]
    (en, fr), (en_test, fr_test) = load_eng_fra_split(d["max_words"], d["test_fraction"], 0,
                                                      data_dir)  # fmt: skip
    (en, fr), (en_val, fr_val) = split_pairs_by_source(en, fr, d["validation_fraction"], 1)
    if d["limit"]:
        en, fr = en[: d["limit"]], fr[: d["limit"]]
    if d["test_limit"]:
        keep = set(list(dict.fromkeys(en_test.tolist()))[: d["test_limit"]])
        sel = [i for i, s in enumerate(en_test.tolist()) if s in keep]
        en_test, fr_test = en_test[sel], fr_test[sel]
    return (en, fr), (en_val, fr_val), (en_test, fr_test)


def run(cfg: dict, *, resume: bool, data_dir, verbose: int, print_fn) -> dict:
    """Train, save, evaluate and report (see the module docstring)."""
    import numpy as np

    import chainrule

    from ... import optim
    from ...io.atomic import atomic_write_text
    from ...io.container import float_to_json
    from ...io.model_file import save_model
    from ...layers import reset_names
    from ...translation import Seq2Seq, Translator, build_translator
    from ...translation.training import (
        bleu_by_source,
        encode_pairs,
        evaluate_loss,
        text_spec_for,  # fmt: skip
        train_epoch,
        warmup_cosine,
    )
    from ..config import to_toml
    from ..train import history_csv

    if resume:
        raise ConfigError(f"--resume is not available for task {NAME!r}: its runs restart "
                          "from scratch")  # fmt: skip
    out_dir = Path(cfg["out"])
    out_dir.mkdir(parents=True, exist_ok=True)
    config_text = to_toml(cfg)
    atomic_write_text(out_dir / "config.toml", config_text)
    chainrule.manual_seed(cfg["seed"])
    reset_names()
    m, o, e = cfg["model"], cfg["optimizer"], cfg["evaluate"]
    (en, fr), (en_val, fr_val), (en_test, fr_test) = _data(cfg, data_dir)
    spec = text_spec_for(en, fr, context_length=m["max_length"], min_freq=m["min_freq"],
                         target_min_freq=m["target_min_freq"])  # fmt: skip
    src, tgt, _ = encode_pairs(en, fr, spec)
    val_src, val_tgt, _ = encode_pairs(en_val, fr_val, spec)
    model = build_translator(len(spec["vocabulary"]), len(spec["target_vocabulary"]),
                             max_length=m["max_length"], embed_dim=m["embed_dim"],
                             intermediate_dim=m["intermediate_dim"], num_heads=m["num_heads"],
                             num_layers=m["num_layers"], dropout=m["dropout"],
                             name=cfg["name"].replace("-", "_"))  # fmt: skip
    model.preprocessing = spec
    parts = Seq2Seq(model)
    translator = Translator(model)
    bos, eos = translator.bos, translator.eos
    optimizer = optim.Adam(model.parameters(), lr=o["lr"])
    steps_per_epoch = -(-len(src) // cfg["batch_size"])
    total = steps_per_epoch * cfg["epochs"]
    n_params = sum(int(p.data.size) for p in model.parameters())
    print_fn(f"chainrule train: {cfg['name']} (task {NAME}): {len(src):,} training pairs, "
             f"{len(val_src):,} validation, {len(en_test):,} test ({len(set(en_test.tolist())):,} "
             f"sources); vocabularies {len(spec['vocabulary']):,} / "
             f"{len(spec['target_vocabulary']):,}; {n_params:,} parameters; {cfg['epochs']} "
             f"epochs of {steps_per_epoch} steps → {out_dir}")  # fmt: skip
    history: dict[str, list[float]] = {"loss": [], "val_loss": [], "val_bleu": []}
    val_n = min(e["val_sentences"], len(set(en_val.tolist())))
    val_keep = set(list(dict.fromkeys(en_val.tolist()))[:val_n])
    val_pairs = [(s, t) for s, t in zip(en_val.tolist(), fr_val.tolist()) if s in val_keep]
    rng = np.random.default_rng(cfg["seed"])
    start, step = time.perf_counter(), 0
    cpu0 = time.process_time()

    def lr_at(s):
        return warmup_cosine(s, total, o["warmup"], o["lr"])

    def progress(s, loss):
        if verbose == 1 and s % 100 == 0:
            print_fn(f"  step {s}/{total}: loss {loss:.4f} ({time.perf_counter() - start:.0f} s)")

    diverged = None
    for epoch in range(cfg["epochs"]):
        try:
            loss, n = train_epoch(parts, optimizer, src, tgt, batch_size=cfg["batch_size"],
                                  bos=bos, eos=eos, lr_at=lr_at, step0=step,
                                  clip_norm=o["clip_norm"], rng=rng, on_step=progress)  # fmt: skip
        except FloatingPointError as exc:
            diverged = str(exc)
            break
        step += n
        val_loss = evaluate_loss(parts, val_src, val_tgt, bos=bos, eos=eos)
        val_bleu = float("nan")
        if val_pairs:
            vs, vt = zip(*val_pairs)
            val_bleu = bleu_by_source(translator, list(vs), list(vt))["bleu"]
        for k, v in (("loss", loss), ("val_loss", val_loss), ("val_bleu", val_bleu)):
            history[k].append(float(v))
        save_model(model, out_dir / "model.zip")
        print_fn(f"epoch {epoch + 1}/{cfg['epochs']}: loss {loss:.4f} - val_loss {val_loss:.4f} "
                 f"- val_bleu (greedy, {val_n} sources) {val_bleu:.2f} "
                 f"({time.perf_counter() - start:.0f} s)")  # fmt: skip
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    metrics: dict[str, float] = {}
    examples: list[tuple[str, str, str, str]] = []
    if diverged is None:
        greedy = bleu_by_source(translator, en_test.tolist(), fr_test.tolist())
        beam = bleu_by_source(translator, en_test.tolist(), fr_test.tolist(),
                              beam_size=e["beam_size"], length_penalty=e["length_penalty"])  # fmt: skip
        metrics = {"bleu_greedy": greedy["bleu"], "bleu_beam": beam["bleu"],
                   "bleu_greedy_multi_ref": greedy["bleu_multi"],
                   "bleu_beam_multi_ref": beam["bleu_multi"],
                   "test_loss": evaluate_loss(parts, *encode_pairs(en_test, fr_test, spec)[:2],
                                              bos=bos, eos=eos)}  # fmt: skip
        refs: dict[str, str] = {}
        for s, t in zip(en_test.tolist(), fr_test.tolist()):
            refs.setdefault(s, t)
        pick = np.random.default_rng(cfg["seed"]).permutation(len(refs))[: e["examples"]]
        sources = list(refs)
        for i in sorted(pick.tolist()):
            s = sources[i]
            examples.append((s, refs[s], greedy["hypotheses"][s], beam["hypotheses"][s]))
        metrics["signature"] = greedy["signature"]
    hist_json = {k: [float_to_json(v) for v in vs] for k, vs in history.items()}
    epochs_done = list(range(len(history["loss"])))
    atomic_write_text(out_dir / "history.json", json.dumps(
        {"epoch": [i + 1 for i in epochs_done], **hist_json}, indent=1, allow_nan=False))  # fmt: skip
    atomic_write_text(out_dir / "history.csv", history_csv(history, epochs_done))
    timing = {"train_seconds": seconds, "train_cpu_seconds": cpu}
    atomic_write_text(out_dir / "test_metrics.json", json.dumps(
        {**{k: (v if isinstance(v, str) else float_to_json(v)) for k, v in metrics.items()},
         **timing}, indent=1, allow_nan=False))  # fmt: skip
    atomic_write_text(out_dir / "examples.tsv", "".join(
        "\t".join(x.replace("\t", " ") for x in row) + "\n"
        for row in [("english", "reference", "greedy", "beam"), *examples]))  # fmt: skip
    _report(out_dir, cfg, history, metrics, examples, config_text, timing, n_params, model)
    if diverged:
        print_fn(f"chainrule train: training diverged: {diverged}")
    else:
        print_fn(f"test BLEU (sacrebleu, {len(en_test):,} pairs, one reference each): greedy "
                 f"{metrics['bleu_greedy']:.2f}, beam {e['beam_size']} "
                 f"{metrics['bleu_beam']:.2f} (training took {seconds:.0f} s, {cpu:.0f} s CPU)")  # fmt: skip
        print_fn(f"wrote {out_dir}/: model.zip, history.csv, history.json, test_metrics.json, "
                 "examples.tsv, report.html")  # fmt: skip
    test_metrics = {k: v for k, v in metrics.items() if not isinstance(v, str)}
    return {"out": out_dir, "test_metrics": test_metrics, "history": history,
            "diverged": diverged}  # fmt: skip


def _report(out_dir: Path, cfg, history, metrics, examples, config_text, timing, n_params, model):
    import html

    from ...io.atomic import atomic_write_text
    from ..report import html_page, html_table, plot_curves

    esc = html.escape
    e = cfg["evaluate"]
    rows = [(k, f"{v:.2f}" if isinstance(v, float) else v) for k, v in metrics.items()]
    took = f"{timing['train_seconds']:.0f} s wall, {timing['train_cpu_seconds']:.0f} s CPU"
    rows += [("training time", took), ("parameters", f"{n_params:,}")]
    curves = plot_curves({k: v for k, v in history.items() if v}, out_dir) if history else []
    note = (f"greedy and beam search (beam {e['beam_size']}, length penalty {e['length_penalty']}); "
            "'multi_ref': every French translation of a test sentence as a reference.")  # fmt: skip
    body = [
        "<h2>Test BLEU (sacrebleu corpus BLEU)</h2>",
        f"<p>{esc(note)}</p>",
        html_table(["metric", "value"], rows),
        "<h2>Example translations (test split)</h2>",
        html_table(["English", "reference", "greedy", "beam"], examples),
        "<h2>Training curves</h2>",
        "".join(f'<img src="{esc(p.name)}" alt="{esc(p.stem)}">' for p in curves)
        or "<p>No history recorded.</p>",
        "<h2>Model</h2>",
        f"<pre>{esc(model.summary(print_fn=lambda *a, **k: None) or '')}</pre>",
        "<h2>Configuration</h2>",
        f"<pre>{esc(config_text)}</pre>",
    ]
    atomic_write_text(out_dir / "report.html", html_page(f"chainrule run: {cfg['name']}", body))
