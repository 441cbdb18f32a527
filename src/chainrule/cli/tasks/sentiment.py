"""Task ``sentiment``: binary sentence classification (SST-2, rt-polarity), trained from scratch.

Two model families after a TextVectorization (lower-cased words, ``max_tokens`` vocabulary):

- ``type = "bilstm"``: Embedding(mask_zero) → Dropout → Bidirectional(LSTM(units)) → Dropout →
  Dense(1, sigmoid);
- ``type = "cnn"``: Kim (2014)'s CNN-rand: Embedding → one Conv1D(filters, k, ReLU) per width k in
  ``kernel_sizes`` → max-over-time pooling → concatenation → Dropout → Dense(1, sigmoid).

Training runs on token ids in batches of similar length (:func:`chainrule.data.length_buckets`);
the saved model takes raw text: its first layer is the fitted TextVectorization, so
``chainrule predict runs/sst2-cnn/model.zip --text "a gripping film"`` and
``keras.models.load_model(...).predict(np.array([...]))`` work on sentences. Accuracies are
measured with that saved text model, so they are what a user of the file gets.

Data: ``sst2`` trains on SST-2's train.tsv, validates on dev.tsv and reports test.tsv (GLUE's
labelled dev set, the split papers report); ``rt-polarity`` runs ``folds``-fold cross-validation
(seeded folds) and reports the mean and spread of the fold accuracies; its model file is the last
fold's model.

Configuration (TOML)::

    task = "sentiment"
    name = "sst2-cnn"
    seed = 0
    epochs = 3
    batch_size = 64

    [data]
    name = "sst2"              # or "rt-polarity"
    limit = 5000               # optional: the first N training sentences
    test_limit = 500           # optional: the first N test sentences
    folds = 10                 # rt-polarity only

    [model]
    type = "cnn"               # or "bilstm" (units)
    embed = 128
    filters = 100
    kernel_sizes = [3, 4, 5]
    dropout = 0.5
    max_tokens = 20000
    max_len = 64

    [optimizer]
    name = "adam"
    lr = 0.001
"""

from __future__ import annotations

import copy
from pathlib import Path

from ..config import ConfigSource, _float, _int, _str, _table

DATASETS = ("sst2", "rt-polarity")
TOP_KEYS = ("task", "name", "describe", "seed", "epochs", "batch_size", "out", "data", "model",
            "optimizer")  # fmt: skip
MODEL_KEYS = {
    "bilstm": ("type", "embed", "units", "dropout", "max_tokens", "max_len"),
    "cnn": ("type", "embed", "filters", "kernel_sizes", "dropout", "max_tokens", "max_len"),
}
MODEL_DEFAULTS = {"embed": 128, "units": 64, "filters": 100, "kernel_sizes": [3, 4, 5],
                  "dropout": 0.5, "max_tokens": 20000, "max_len": 64}  # fmt: skip


def _preset(name: str, data: str, model: dict, lr: float, epochs: int, describe: str) -> dict:
    data_cfg = {"name": data, **({"folds": 10} if data == "rt-polarity" else {})}
    return {"task": "sentiment", "name": name, "describe": describe, "seed": 0, "epochs": epochs,
            "batch_size": 64, "data": data_cfg, "model": model,
            "optimizer": {"name": "adam", "lr": lr}}  # fmt: skip


PRESETS: dict[str, dict] = {
    # Bidirectional LSTM on SST-2 (docs/results.md: 82.6 % on test.tsv after 3 epochs).
    "sst2-bilstm": _preset("sst2-bilstm", "sst2", {"type": "bilstm", "embed": 128, "units": 64},
                           2e-3, 3, "SST-2 sentiment, Bi-LSTM from scratch"),
    # Kim (2014) CNN-rand on SST-2.
    "sst2-cnn": _preset("sst2-cnn", "sst2", {"type": "cnn", "embed": 128, "filters": 100},
                        1e-3, 3, "SST-2 sentiment, Kim's CNN-rand (widths 3/4/5)"),
    # rt-polarity, 10-fold cross-validation as Kim (2014) reports it.
    "rt-polarity-bilstm": _preset("rt-polarity-bilstm", "rt-polarity",
                                  {"type": "bilstm", "embed": 128, "units": 64}, 2e-3, 3,
                                  "rt-polarity sentiment, Bi-LSTM, 10-fold cross-validation"),
}  # fmt: skip


# ----------------------------------------------------------------------------- configuration
def validate(raw: dict, src: ConfigSource) -> dict:
    """The checked configuration with defaults filled in (see the module docstring)."""
    _table(src, (), raw, TOP_KEYS)
    cfg = copy.deepcopy(raw)
    _str(src, ("task",), cfg.get("task"), ("sentiment",))
    cfg["name"] = _str(src, ("name",), cfg.get("name", Path(src.label).stem or "sentiment"))
    if "describe" in cfg:
        _str(src, ("describe",), cfg["describe"])
    for key, default in (("seed", 0), ("epochs", 3), ("batch_size", 64)):
        cfg[key] = _int(src, (key,), cfg.get(key, default), 0 if key == "seed" else 1)
    if "out" in cfg:
        _str(src, ("out",), cfg["out"])
    data = _table(src, ("data",), cfg.get("data"), ("name", "limit", "test_limit", "folds"))
    _str(src, ("data", "name"), data.get("name"), DATASETS)
    for key in ("limit", "test_limit"):
        if key in data:
            _int(src, ("data", key), data[key], 1)
    if data["name"] == "rt-polarity":
        data["folds"] = _int(src, ("data", "folds"), data.get("folds", 10), 2)
    elif "folds" in data:
        raise src.error(("data", "folds"), "cross-validation folds apply to rt-polarity only")
    model = _table(src, ("model",), cfg.get("model"))
    kind = _str(src, ("model", "type"), model.get("type"), tuple(MODEL_KEYS))
    _table(src, ("model",), model, MODEL_KEYS[kind])
    for key in MODEL_KEYS[kind][1:]:
        value = model.get(key, MODEL_DEFAULTS[key])
        if key == "dropout":
            model[key] = _float(src, ("model", key), value, 0.0, 0.99)
        elif key == "kernel_sizes":
            if not isinstance(value, list) or not value:
                raise src.error(("model", key), f"expected a non-empty list of ints, got {value!r}")
            model[key] = [_int(src, ("model", key, i), k, 1) for i, k in enumerate(value)]
        else:
            model[key] = _int(src, ("model", key), value, 1)
    if kind == "cnn" and max(model["kernel_sizes"]) > model["max_len"]:
        raise src.error(("model", "kernel_sizes"), f"widths {model['kernel_sizes']} exceed "
                        f"max_len={model['max_len']}")  # fmt: skip
    opt = cfg.setdefault("optimizer", {"name": "adam"})
    if isinstance(opt, str):
        opt = cfg["optimizer"] = {"name": opt}
    _table(src, ("optimizer",), opt, ("name", "lr", "learning_rate"))
    if "learning_rate" in opt:
        opt["lr"] = opt.pop("learning_rate")
    _str(src, ("optimizer", "name"), opt.setdefault("name", "adam"), ("adam",))
    opt["lr"] = _float(src, ("optimizer", "lr"), opt.get("lr", 1e-3), 1e-12, 10.0)
    return cfg


# ----------------------------------------------------------------------------- models
def build_models(mcfg: dict, vectorizer):
    """``(ids_model, text_model)``: the same layers behind token ids (N, T) and behind raw text
    (N,) through ``vectorizer``; both output P(positive) (N, 1)."""
    from ... import layers as L
    from ...training import Model, Sequential
    from ...training.functional import Input

    vocab = vectorizer.vocabulary_size()
    if mcfg["type"] == "bilstm":
        stack = [L.Embedding(vocab, mcfg["embed"], mask_zero=True), L.Dropout(mcfg["dropout"]),
                 L.Bidirectional(L.LSTM(mcfg["units"])), L.Dropout(mcfg["dropout"]),
                 L.Dense(1, activation="sigmoid")]  # fmt: skip
        return Sequential(stack, name="sentiment_ids"), Sequential([vectorizer, *stack],
                                                                    name="sentiment")  # fmt: skip
    embedding = L.Embedding(vocab, mcfg["embed"])
    convs = [L.Conv1D(mcfg["filters"], k, activation="relu") for k in mcfg["kernel_sizes"]]
    pools = [L.GlobalMaxPooling1D() for _ in convs]
    concat, dropout = L.Concatenate(), L.Dropout(mcfg["dropout"])
    out = L.Dense(1, activation="sigmoid")

    def head(ids):
        x = embedding(ids)
        features = [pool(conv(x)) for conv, pool in zip(convs, pools)]
        return out(dropout(concat(features) if len(features) > 1 else features[0]))

    ids_in = Input(shape=(None,), dtype="int64", name="token_ids")
    text_in = Input(shape=(), dtype="string", name="text")
    return Model(ids_in, head(ids_in), name="sentiment_ids"), Model(
        text_in, head(vectorizer(text_in)), name="sentiment"
    )


def run(cfg: dict, *, resume: bool = False, data_dir: str | None = None, verbose: int = 1,
        print_fn=print) -> dict:  # fmt: skip
    """Train and evaluate, then write the output folder (:mod:`.sentiment_run`)."""
    from .sentiment_run import train_sentiment

    return train_sentiment(cfg, resume=resume, data_dir=data_dir, verbose=verbose,
                           print_fn=print_fn)  # fmt: skip
