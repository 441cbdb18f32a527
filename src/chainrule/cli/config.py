"""The run configuration of ``chainrule train``: TOML schema, defaults and error reporting.

A configuration is a TOML file (or a built-in preset, the same structure as a dict)::

    name = "my-run"            # used for the default output folder runs/<name>/
    seed = 0
    epochs = 20
    batch_size = 32
    out = "runs/my-run"        # optional

    [data]
    name = "digits"            # digits | mnist | fashion-mnist
    limit = 5000               # optional: first N training examples
    test_limit = 1000          # optional: first N test examples
    validation_split = 0.1     # optional: last fraction of the training set held out

    [model]
    layers = [
      { type = "Dense", units = 64, activation = "relu" },
      { type = "Dense", units = 10 },
    ]

    [optimizer]
    name = "adam"
    learning_rate = 0.001

    loss = "sparse_categorical_crossentropy"   # (top level, before the first table)
    metrics = ["accuracy"]

    [[callbacks]]
    type = "EarlyStopping"
    patience = 3

    [checkpoint]
    save_freq = 20             # batches between checkpoints (also at each epoch end), or "epoch"

Every error is a :class:`ConfigError` naming the key (``model.layers[1].units``) and, for files, the
line it is on.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

from .toml_lines import find_line

DATASETS = ("digits", "mnist", "fashion-mnist")

DEFAULTS: dict[str, Any] = {
    "seed": 0,
    "epochs": 10,
    "batch_size": 32,
    "loss": "sparse_categorical_crossentropy",
    "metrics": ["accuracy"],
    "callbacks": [],
    "checkpoint": {"save_freq": 50},
}


class ConfigError(ValueError):
    """A configuration value that is missing, mistyped or out of range."""


def format_key(path: tuple) -> str:
    """``("model", "layers", 1, "units")`` → ``model.layers[1].units``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class ConfigSource:
    """Where a configuration came from: a TOML file (with its text) or a named preset."""

    def __init__(self, label: str, text: str | None = None):
        self.label = label
        self.text = text

    def error(self, path: tuple, message: str) -> ConfigError:
        """A ConfigError that names ``path`` and, for files, its line."""
        where = self.label
        if self.text is not None:
            line = find_line(self.text, path)
            if line is not None:
                where += f", line {line}"
        key = format_key(path)
        return ConfigError(f"{where}: key '{key}': {message}" if key else f"{where}: {message}")


def _toml_module():
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli
    except ImportError as exc:  # pragma: no cover - only on Python 3.10 without tomli
        raise ImportError("reading TOML on Python 3.10 needs 'tomli': pip install tomli") from exc
    return tomli


def read_toml(path: str | Path) -> tuple[dict, ConfigSource]:
    """Parse a TOML file; a syntax error becomes a ConfigError with the parser's line/column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {path} is not UTF-8 text ({exc})") from None
    toml = _toml_module()
    try:
        raw = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    return raw, ConfigSource(str(path), text)


# ----------------------------------------------------------------------------- checks
def _int(src: ConfigSource, path: tuple, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise src.error(path, f"expected an integer, got {value!r}")
    if value < minimum:
        raise src.error(path, f"expected an integer >= {minimum}, got {value}")
    return value


def _float(src: ConfigSource, path: tuple, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise src.error(path, f"expected a number, got {value!r}")
    if not lo <= value < hi:
        raise src.error(path, f"expected a number in [{lo}, {hi}), got {value}")
    return float(value)


def _str(src: ConfigSource, path: tuple, value: Any, choices: tuple = ()) -> str:
    if not isinstance(value, str) or not value:
        raise src.error(path, f"expected a non-empty string, got {value!r}")
    if choices and value not in choices:
        raise src.error(path, f"expected one of {list(choices)}, got {value!r}")
    return value


def _table(src: ConfigSource, path: tuple, value: Any, allowed: tuple | None = None) -> dict:
    if not isinstance(value, dict):
        raise src.error(path, f"expected a table, got {value!r}")
    if allowed is not None:
        for key in value:
            if key not in allowed:
                raise src.error(path + (key,), f"unknown key; allowed here: {list(allowed)}")
    return value


def _typed_tables(src: ConfigSource, path: tuple, value: Any, what: str) -> list[dict]:
    """A list of tables each with a string ``type`` (layers, callbacks)."""
    if not isinstance(value, list):
        raise src.error(path, f"expected a list of {what} tables, got {value!r}")
    for i, entry in enumerate(value):
        _table(src, path + (i,), entry)
        if "type" not in entry:
            raise src.error(path + (i,), f"{what} entry needs a 'type' key")
        _str(src, path + (i, "type"), entry["type"])
    return value


TOP_KEYS = (
    "name", "seed", "epochs", "batch_size", "out", "data", "model",
    "optimizer", "loss", "metrics", "callbacks", "checkpoint",
)  # fmt: skip
DATA_KEYS = ("name", "limit", "test_limit", "validation_split")


def optimizer_table(src: ConfigSource, cfg: dict, booleans: bool = True) -> dict:
    """``cfg["optimizer"]`` checked (a name string becomes ``{"name": ...}``): a ``name`` and
    numeric arguments (booleans too unless ``booleans=False``); returns the table."""
    opt = cfg["optimizer"]
    if isinstance(opt, str):
        opt = cfg["optimizer"] = {"name": opt}
    _table(src, ("optimizer",), opt)
    if "name" not in opt:
        raise src.error(("optimizer", "name"), 'missing (e.g. name = "adam")')
    _str(src, ("optimizer", "name"), opt["name"])
    kinds = (bool, int, float) if booleans else (int, float)
    for key, value in opt.items():
        if key != "name" and (not isinstance(value, kinds) or (isinstance(value, bool)
                                                                  and not booleans)):  # fmt: skip
            what = "a number or a boolean" if booleans else "a number"
            raise src.error(("optimizer", key), f"expected {what}, got {value!r}")
    return opt


def validate(raw: dict, src: ConfigSource) -> dict:
    """Check ``raw`` against the schema; return a new dict with defaults filled in.

    A configuration with a top-level ``task`` key is checked by that task's own schema
    (``chainrule.cli.tasks``)."""
    if isinstance(raw, dict) and "task" in raw:
        from .tasks import task_module

        try:
            module = task_module(_str(src, ("task",), raw["task"]))
        except ValueError as exc:
            raise src.error(("task",), str(exc)) from None
        return module.validate(raw, src)
    _table(src, (), raw, TOP_KEYS)
    cfg = copy.deepcopy(DEFAULTS)
    cfg.update(copy.deepcopy(raw))
    for key in ("data", "model", "optimizer"):
        if key not in cfg:
            raise src.error((key,), "missing required table")
    if "name" in cfg:
        _str(src, ("name",), cfg["name"])
    else:
        cfg["name"] = Path(src.label).stem
    _int(src, ("seed",), cfg["seed"], 0)
    _int(src, ("epochs",), cfg["epochs"], 1)
    _int(src, ("batch_size",), cfg["batch_size"], 1)
    if "out" in cfg:
        _str(src, ("out",), cfg["out"])
    data = _table(src, ("data",), cfg["data"], DATA_KEYS)
    if "name" not in data:
        raise src.error(("data", "name"), "missing; expected one of " + str(list(DATASETS)))
    _str(src, ("data", "name"), data["name"], DATASETS)
    for key in ("limit", "test_limit"):
        if key in data:
            _int(src, ("data", key), data[key], 1)
    if "validation_split" in data:
        _float(src, ("data", "validation_split"), data["validation_split"], 0.0, 1.0)
    model = _table(src, ("model",), cfg["model"], ("layers",))
    if "layers" not in model or not model["layers"]:
        raise src.error(("model", "layers"), "expected a non-empty list of layer tables")
    _typed_tables(src, ("model", "layers"), model["layers"], "layer")
    optimizer_table(src, cfg)
    _str(src, ("loss",), cfg["loss"])
    if not isinstance(cfg["metrics"], list):
        raise src.error(("metrics",), f"expected a list of strings, got {cfg['metrics']!r}")
    for i, m in enumerate(cfg["metrics"]):
        _str(src, ("metrics", i), m)
    _typed_tables(src, ("callbacks",), cfg["callbacks"], "callback")
    ckpt = _table(src, ("checkpoint",), cfg["checkpoint"], ("save_freq",))
    ckpt.setdefault("save_freq", DEFAULTS["checkpoint"]["save_freq"])
    if ckpt["save_freq"] != "epoch":
        _int(src, ("checkpoint", "save_freq"), ckpt["save_freq"], 1)
    return cfg


def load_config(path: str | Path) -> tuple[dict, ConfigSource]:
    """Read and validate a TOML run configuration; returns (config, source)."""
    raw, src = read_toml(path)
    return validate(raw, src), src


def to_toml(cfg: dict) -> str:
    """Render a validated configuration back as TOML (for the report and the output folder)."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(f"to_toml: cannot render {type(v).__name__}")

    lines = [f"{k} = {value(v)}" for k, v in cfg.items() if not isinstance(v, (dict, list))]
    lines += [
        f"{k} = {value(v)}" for k, v in cfg.items() if isinstance(v, list) and k != "callbacks"
    ]
    tables = [k for k in ("data", "model", "optimizer", "checkpoint") if k in cfg]
    tables += [k for k, v in cfg.items() if isinstance(v, dict) and k not in tables]
    for key in tables:
        lines.append(f"\n[{key}]")
        for k, v in cfg[key].items():
            if k == "layers" and isinstance(v, list):
                lines.append("layers = [")
                lines += [f"  {value(layer)}," for layer in v]
                lines.append("]")
            else:
                lines.append(f"{k} = {value(v)}")
    for cb in cfg.get("callbacks", []):
        lines.append("\n[[callbacks]]")
        lines += [f"{k} = {value(v)}" for k, v in cb.items()]
    return "\n".join(lines) + "\n"
