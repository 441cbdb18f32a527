"""Run configurations: every schema error names the key and its line; presets validate; TOML
written back parses to the same configuration."""

from __future__ import annotations

import sys

import pytest

from chainrule.cli import main
from chainrule.cli.config import ConfigError, ConfigSource, load_config, to_toml, validate
from chainrule.cli.presets import PLANNED, PRESETS, get_preset
from chainrule.cli.toml_lines import find_line
from chainrule.cli.train import build_callbacks, build_model

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

GOOD = """\
name = "t"
epochs = 2

[data]
name = "digits"

[model]
layers = [
  { type = "Flatten" },
  { type = "Dense", units = 16, activation = "relu" },
  { type = "Dense", units = 10, activation = "softmax" },
]

[optimizer]
name = "adam"
lr = 0.01

[[callbacks]]
type = "EarlyStopping"
patience = 2
"""


def _write(tmp_path, text):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return path


def _error(tmp_path, text, build=False):
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        cfg, src = load_config(path)
        if build:
            build_model(cfg, src)
            build_callbacks(cfg, src)
    return str(info.value)


def test_good_config_loads_with_defaults(tmp_path):
    cfg, src = load_config(_write(tmp_path, GOOD))
    assert cfg["batch_size"] == 32 and cfg["seed"] == 0 and cfg["checkpoint"]["save_freq"] == 50
    model = build_model(cfg, src)
    assert [type(layer).__name__ for layer in model.layers] == ["Flatten", "Dense", "Dense"]
    assert model.optimizer.lr == 0.01
    assert type(build_callbacks(cfg, src)[0]).__name__ == "EarlyStopping"


# (edit the GOOD text, expected key, expected line, expected words)
CASES = [
    (("epochs = 2", "epochs = -1"), "epochs", 2, ">= 1"),
    (("epochs = 2", 'epochs = "2"'), "epochs", 2, "integer"),
    (('name = "t"', 'name = "t"\nbatchsize = 3'), "batchsize", 2, "unknown key"),
    (('name = "digits"', 'name = "cifar"'), "data.name", 5, "digits"),
    (('name = "digits"', 'name = "digits"\nlimit = 0'), "data.limit", 6, ">= 1"),
    (("lr = 0.01", 'lr = "fast"'), "optimizer.lr", 16, "number"),
    (
        ("patience = 2", 'patience = 2\n\n[checkpoint]\nsave_freq = "often"'),
        "checkpoint.save_freq",
        23,
        "integer",
    ),
    (("units = 16,", "unitz = 16,"), "model.layers[1].unitz", 10, "unitz"),
    (("units = 16,", "units = -16,"), "model.layers[1].units", 10, "units"),
    (('activation = "relu"', 'activation = "relux"'), "model.layers[1].activation", 10, "relux"),
    (('{ type = "Flatten" }', '{ type = "Conv9D" }'), "model.layers[0].type", 9, "Conv9D"),
    (('{ type = "Flatten" }', "{ kind = 1 }"), "model.layers[0]", 9, "'type'"),
    (('name = "adam"', 'name = "adamz"'), "optimizer.name", 15, "adamz"),
    (("lr = 0.01", "lr = -1.0"), "optimizer.lr", 16, "lr"),
    (("lr = 0.01", "lr = 0.01\nbeta = 3"), "optimizer.beta", 17, "beta"),
    (("patience = 2", "patiance = 2"), "callbacks[0].patiance", 20, "patiance"),
    (('type = "EarlyStopping"', 'type = "Shell"'), "callbacks[0].type", 19, "Shell"),
]


@pytest.mark.parametrize("edit, key, line, words", CASES)
def test_schema_errors_name_key_and_line(tmp_path, edit, key, line, words):
    assert edit[0] in GOOD
    message = _error(tmp_path, GOOD.replace(edit[0], edit[1], 1), build=True)
    assert f"line {line}:" in message, message
    assert f"key '{key}'" in message, message
    assert words in message, message


def test_missing_table_and_syntax_error(tmp_path):
    message = _error(tmp_path, GOOD.replace('[optimizer]\nname = "adam"\nlr = 0.01\n', ""))
    assert "key 'optimizer'" in message and "missing" in message
    message = _error(tmp_path, GOOD.replace("epochs = 2", "epochs = = 2"))
    assert "TOML syntax error" in message and "line 2" in message


def test_cli_reports_config_errors_with_status_2(tmp_path, capsys):
    path = _write(tmp_path, GOOD.replace("units = 16,", "units = -16,"))
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "line 10" in err and "model.layers[1].units" in err
    assert not (tmp_path / "o").exists()  # nothing written before the config is known good
    assert main(["train", "--config", str(tmp_path / "absent.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["train", "digits-mlp", "--config", str(path)]) == 2


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_validate_build_and_round_trip_through_toml(name):
    src = ConfigSource(f"preset '{name}'")
    cfg = validate(get_preset(name), src)
    build_model(cfg, src)
    again = validate(tomllib.loads(to_toml(cfg)), ConfigSource("again.toml"))
    assert again == cfg


def test_planned_presets_are_refused_not_faked():
    for name in PLANNED:
        assert name not in PRESETS
        with pytest.raises(ValueError, match="not available yet"):
            get_preset(name)


def test_find_line_handles_headers_arrays_and_inline_tables():
    text = (
        'seed = 1\n[model]\nlayers = [{ type = "A", units = 1 }, { type = "B", rate = 2 }]\n'
        "x = [\n  [1, 2],\n]\n[[callbacks]]\ntype = 'A'\n[[callbacks]]\n# patience = 0\n"
        "patience = 3\n"
    )
    assert find_line(text, ("seed",)) == 1
    assert find_line(text, ("model", "layers", 1, "rate")) == 3
    assert find_line(text, ("model", "x")) == 4
    assert find_line(text, ("callbacks", 1, "patience")) == 11
    assert find_line(text, ("callbacks", 0)) == 7
    assert find_line(text, ("nowhere",)) is None


def test_unknown_task_is_a_config_error_naming_the_key(tmp_path, capsys):
    path = tmp_path / "t.toml"
    path.write_text('task = "import os"\nname = "t"\n')
    with pytest.raises(ConfigError, match=r"task.*unknown task 'import os'"):
        load_config(path)
    assert main(["train", "--config", str(path)]) == 2
    assert "unknown task" in capsys.readouterr().err
