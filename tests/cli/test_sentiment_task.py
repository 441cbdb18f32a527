"""Task ``sentiment`` (chainrule train sst2-cnn / sst2-bilstm / rt-polarity-bilstm): presets,
schema errors, a small SST-2 run whose model takes raw text, bit-identical --resume, and
rt-polarity cross-validation."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.cli.config import ConfigError, ConfigSource, validate
from chainrule.cli.presets import get_preset
from chainrule.cli.train import run_train
from chainrule.io.model_file import load_model

needs_data = pytest.mark.skipif(not os.environ.get("CHAINRULE_DATA"), reason="needs CHAINRULE_DATA")

SMALL = """\
task = "sentiment"
name = "tiny"
epochs = {epochs}
batch_size = 32

[data]
name = "{data}"
limit = {limit}
{extra}

[model]
type = "{model}"
embed = 16
{model_extra}
max_tokens = 2000
max_len = 24

[optimizer]
name = "adam"
lr = 0.01
"""


def _config(tmp_path, *, epochs=2, data="sst2", limit=2000, model="cnn", extra="test_limit = 120"):
    model_extra = "filters = 8" if model == "cnn" else "units = 4"
    path = tmp_path / "s.toml"
    path.write_text(SMALL.format(epochs=epochs, data=data, limit=limit, model=model, extra=extra,
                                 model_extra=model_extra))  # fmt: skip
    return str(path)


@pytest.mark.parametrize("name", ["sst2-cnn", "sst2-bilstm", "rt-polarity-bilstm"])
def test_presets_validate_and_are_listed(name, capsys):
    cfg = validate(get_preset(name), ConfigSource(f"preset '{name}'"))
    assert cfg["task"] == "sentiment" and cfg["epochs"] >= 1
    assert main(["train", "--list"]) == 0
    assert name in capsys.readouterr().out


@pytest.mark.parametrize(("edit", "key"), [
    ({"model": {"type": "rnn"}}, "model.type"),
    ({"data": {"name": "sst2", "folds": 5}}, "data.folds"),
    ({"model": {"type": "cnn", "kernel_sizes": [3, 99], "max_len": 20}}, "model.kernel_sizes"),
    ({"optimizer": {"name": "sgd"}}, "optimizer.name"),
    ({"batch": 3}, "batch"),
])  # fmt: skip
def test_schema_errors_name_the_key(edit, key):
    raw = {**get_preset("sst2-cnn"), **edit}
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        validate(raw, ConfigSource("test"))


@needs_data
def test_small_sst2_run_writes_a_text_model_and_resumes_bit_identically(tmp_path, capsys):
    full = run_train(config=_config(tmp_path), out=str(tmp_path / "full"), verbose=2,
                     print_fn=lambda *a: None)  # fmt: skip
    assert full["test_metrics"]["accuracy"] > 0.55  # 2,000 sentences, 2 epochs: above chance
    out = tmp_path / "full"
    for f in ("config.toml", "checkpoint.zip", "model.zip", "history.csv", "report.html"):
        assert (out / f).exists(), f
    model = load_model(out / "model.zip")
    probs = model.predict(np.array(["a moving film", "boring"]), verbose=0)
    assert probs.shape == (2, 1) and np.all((probs > 0) & (probs < 1))
    assert main(["predict", str(out / "model.zip"), "--text", "a moving film"]) == 0
    assert "P(positive)" in capsys.readouterr().out
    # interrupted after epoch 1, then resumed to 2 epochs: the same numbers as the straight run
    half = str(tmp_path / "half")
    run_train(config=_config(tmp_path, epochs=1), out=half, verbose=2, print_fn=lambda *a: None)
    resumed = run_train(config=_config(tmp_path, epochs=2), out=half, resume=True, verbose=2,
                        print_fn=lambda *a: None)  # fmt: skip
    assert resumed["history"]["val_accuracy"] == full["history"]["val_accuracy"]
    assert resumed["test_metrics"] == full["test_metrics"]


@needs_data
def test_rt_polarity_cross_validation_reports_each_fold(tmp_path):
    res = run_train(config=_config(tmp_path, epochs=1, data="rt-polarity", limit=400,
                                   model="bilstm", extra="folds = 2"),
                    out=str(tmp_path / "cv"), verbose=2, print_fn=lambda *a: None)  # fmt: skip
    metrics = json.loads((tmp_path / "cv" / "test_metrics.json").read_text())
    folds = [metrics["fold_1_accuracy"], metrics["fold_2_accuracy"]]
    assert metrics["accuracy"] == pytest.approx(np.mean(folds))
    assert res["history"]["fold_accuracy"] == folds
    assert len(res["history"]["val_accuracy"]) == 2  # one epoch per fold
