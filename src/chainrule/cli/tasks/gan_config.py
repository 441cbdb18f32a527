"""The configuration of ``task = "gan"`` (:mod:`chainrule.cli.tasks.gan`): its schema, defaults,
built-in presets and TOML rendering. Every problem is a ``ConfigError`` naming the key."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..config import ConfigSource

TASK = "gan"
DATASETS = ("mnist", "fashion-mnist")

TOP_KEYS = ("task", "name", "describe", "seed", "epochs", "batch_size", "out", "data", "model",
            "optimizer", "gan", "judge")  # fmt: skip
DEFAULTS = {
    "seed": 0,
    "epochs": 5,
    "batch_size": 64,
    "model": {
        "latent_dim": 64,
        "width": 32,
        "conditional": False,
        "mapping_layers": 0,
        "mapping_units": 256,
        "discriminator_units": 0,
    },
    "optimizer": {"name": "adam", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
    "gan": {"label_smoothing": 0.1, "ema": 0.0},
    "judge": {"classifier": "auto", "samples": 10000, "epoch_samples": 2000, "confidence": 0.9},
}


def _preset(name: str, dataset: str, conditional: bool, describe: str, *, epochs: int = 5,
            mapping_layers: int = 0, discriminator_units: int = 0,
            ema: float = 0.0) -> dict:  # fmt: skip
    return {
        "task": TASK,
        "name": name,
        "describe": describe,
        "seed": 0,
        "epochs": epochs,
        "batch_size": 64,
        "data": {"name": dataset},
        "model": {
            "latent_dim": 64,
            "width": 32,
            "conditional": conditional,
            "mapping_layers": mapping_layers,
            "mapping_units": 256,
            "discriminator_units": discriminator_units,
        },
        "optimizer": {"name": "adam", "lr": 2e-4, "beta_1": 0.5, "beta_2": 0.999},
        "gan": {"label_smoothing": 0.1, "ema": ema},
        "judge": {"classifier": "auto", "samples": 10000, "epoch_samples": 2000, "confidence": 0.9},
    }


UNCONDITIONAL = (
    "DCGAN with fully connected hidden layers and weight averaging, judged by a classifier"
)
#: What the unconditional presets add to the conditional one's settings (measured in
#: docs/results.md: each raises the share of samples the judge recognises)
UNCONDITIONAL_SETTINGS = {"epochs": 10, "mapping_layers": 1, "discriminator_units": 1024,
                          "ema": 0.999}  # fmt: skip

PRESETS: dict[str, dict] = {
    "mnist-gan": _preset("mnist-gan", "mnist", False, UNCONDITIONAL, **UNCONDITIONAL_SETTINGS),
    "fashion-gan": _preset(
        "fashion-gan", "fashion-mnist", False, UNCONDITIONAL, **UNCONDITIONAL_SETTINGS
    ),
    "mnist-cgan": _preset("mnist-cgan", "mnist", True, "conditional GAN (AC-GAN): --label K"),
}


# ----------------------------------------------------------------------------- configuration
def _number(src, path, value, lo, hi, *, integer=False, lo_open=False):
    kind = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
        raise src.error(path, f"expected {kind}, got {value!r:.60}")
    if not math.isfinite(value) or value > hi or value < lo or (lo_open and value == lo):
        left = "(" if lo_open else "["
        raise src.error(path, f"expected {kind} in {left}{lo}, {hi}], got {value!r}")
    return value if integer else float(value)


def _table(src, path, value, allowed):
    if not isinstance(value, dict):
        raise src.error(path, f"expected a table, got {value!r:.60}")
    for key in value:
        if key not in allowed:
            raise src.error(path + (key,), f"unknown key; allowed here: {list(allowed)}")
    return value


def validate(raw: dict, src: ConfigSource) -> dict:
    """The checked configuration with defaults filled in (module docstring)."""
    _table(src, (), raw, TOP_KEYS)
    if raw.get("task") != TASK:
        raise src.error(("task",), f"expected {TASK!r}, got {raw.get('task')!r:.60}")
    cfg = {"task": TASK}
    name = raw.get("name", Path(src.label).stem)
    if not isinstance(name, str) or not name:
        raise src.error(("name",), f"expected a non-empty string, got {name!r:.60}")
    cfg["name"] = name
    if "describe" in raw:
        if not isinstance(raw["describe"], str):
            raise src.error(("describe",), "expected a string")
        cfg["describe"] = raw["describe"]
    for key, lo, hi in (("seed", 0, 2**63 - 1), ("epochs", 1, 10_000), ("batch_size", 2, 65536)):
        cfg[key] = _number(src, (key,), raw.get(key, DEFAULTS[key]), lo, hi, integer=True)
    if "out" in raw:
        if not isinstance(raw["out"], str) or not raw["out"]:
            raise src.error(("out",), f"expected a non-empty string, got {raw['out']!r:.60}")
        cfg["out"] = raw["out"]
    data = _table(src, ("data",), raw.get("data", {}), ("name", "limit", "test_limit"))
    if data.get("name") not in DATASETS:
        raise src.error(("data", "name"), f"expected one of {list(DATASETS)}, got "
                        f"{data.get('name')!r:.60}")  # fmt: skip
    cfg["data"] = {"name": data["name"]}
    for key in ("limit", "test_limit"):
        if key in data:
            cfg["data"][key] = _number(src, ("data", key), data[key], 2, 10**9, integer=True)

    model = _table(src, ("model",), raw.get("model", {}), tuple(DEFAULTS["model"]))
    m = {**DEFAULTS["model"], **model}
    m["latent_dim"] = _number(src, ("model", "latent_dim"), m["latent_dim"], 1, 4096, integer=True)
    m["width"] = _number(src, ("model", "width"), m["width"], 1, 1024, integer=True)
    m["mapping_layers"] = _number(src, ("model", "mapping_layers"), m["mapping_layers"], 0, 16,
                                  integer=True)  # fmt: skip
    m["mapping_units"] = _number(src, ("model", "mapping_units"), m["mapping_units"], 1, 8192,
                                 integer=True)  # fmt: skip
    m["discriminator_units"] = _number(src, ("model", "discriminator_units"),
                                       m["discriminator_units"], 0, 8192, integer=True)  # fmt: skip
    if not isinstance(m["conditional"], bool):
        raise src.error(("model", "conditional"), f"expected true or false, got "
                        f"{m['conditional']!r:.60}")  # fmt: skip
    cfg["model"] = m

    opt = raw.get("optimizer", {})
    if isinstance(opt, str):
        opt = {"name": opt}
    opt = _table(src, ("optimizer",), opt, ("name", "lr", "learning_rate", "beta_1", "beta_2"))
    o = {**DEFAULTS["optimizer"], **opt}
    if "learning_rate" in o:  # the Keras spelling
        o["lr"] = o.pop("learning_rate")
    if o["name"] != "adam":
        raise src.error(("optimizer", "name"), f"the GAN task trains with 'adam', got "
                        f"{o['name']!r:.60}")  # fmt: skip
    o["lr"] = _number(src, ("optimizer", "lr"), o["lr"], 0.0, 1.0, lo_open=True)
    for key in ("beta_1", "beta_2"):
        o[key] = _number(src, ("optimizer", key), o[key], 0.0, 0.9999)
    cfg["optimizer"] = o

    gan = _table(src, ("gan",), raw.get("gan", {}), tuple(DEFAULTS["gan"]))
    g = {**DEFAULTS["gan"], **gan}
    g["label_smoothing"] = _number(src, ("gan", "label_smoothing"), g["label_smoothing"], 0.0, 0.49)
    g["ema"] = _number(src, ("gan", "ema"), g["ema"], 0.0, 0.99999)
    cfg["gan"] = g

    judge = _table(src, ("judge",), raw.get("judge", {}), tuple(DEFAULTS["judge"]))
    j = {**DEFAULTS["judge"], **judge}
    if not isinstance(j["classifier"], str) or not j["classifier"]:
        raise src.error(("judge", "classifier"), 'expected "auto", "none" or a model file path')
    j["samples"] = _number(src, ("judge", "samples"), j["samples"], 2, 100_000, integer=True)
    j["epoch_samples"] = _number(src, ("judge", "epoch_samples"), j["epoch_samples"], 2, 100_000,
                                 integer=True)  # fmt: skip
    j["confidence"] = _number(src, ("judge", "confidence"), j["confidence"], 0.0, 0.999,
                              lo_open=True)  # fmt: skip
    cfg["judge"] = j
    return cfg


def to_toml(cfg: dict) -> str:
    """The configuration as TOML (top-level values, then one table per section)."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        return json.dumps(str(v), ensure_ascii=False)  # a TOML basic string

    lines = [f"{k} = {value(v)}" for k, v in cfg.items() if not isinstance(v, dict)]
    for key, table in cfg.items():
        if isinstance(table, dict):
            lines += ["", f"[{key}]", *(f"{k} = {value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"
