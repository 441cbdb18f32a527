"""``chainrule train`` task ``translate``: the schema, the eng-fra preset and a tiny real run."""

import json

import pytest

from chainrule.cli import main
from chainrule.cli.config import ConfigError, ConfigSource, validate
from chainrule.cli.presets import all_presets
from chainrule.cli.tasks import TASKS, task_module

TINY = """\
task = "translate"
name = "tiny-eng-fra"
epochs = 1
batch_size = 32
[data]
limit = 300
test_limit = 12
[model]
embed_dim = 16
intermediate_dim = 32
num_layers = 1
num_heads = 2
[optimizer]
warmup = 5
[evaluate]
val_sentences = 10
examples = 3
beam_size = 2
"""


def test_preset_and_schema():
    assert "translate" in TASKS and task_module("translate").NAME == "translate"
    preset = all_presets()["eng-fra"]
    cfg = validate(preset, ConfigSource("preset"))
    assert cfg["model"]["embed_dim"] == 128 and cfg["evaluate"]["beam_size"] == 4
    assert validate(cfg, ConfigSource("again")) == cfg  # accepts its own output
    src = ConfigSource("test")
    with pytest.raises(ConfigError, match=r"key 'model.layers': unknown key"):
        validate({"task": "translate", "model": {"layers": 3}}, src)
    with pytest.raises(ConfigError, match=r"key 'model.num_heads': must divide embed_dim=128"):
        validate({"task": "translate", "model": {"num_heads": 3}}, src)
    with pytest.raises(ConfigError, match=r"key 'data.name': expected one of \['eng-fra'\]"):
        validate({"task": "translate", "data": {"name": "mnist"}}, src)
    with pytest.raises(ConfigError, match=r"key 'optimizer.warmup': expected an integer"):
        validate({"task": "translate", "optimizer": {"warmup": 1.5}}, src)


def test_tiny_run_writes_everything(data_dir, tmp_path, capsys):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    out = tmp_path / "run"
    argv = ["train", "--config", str(config), "--out", str(out), "--data-dir", str(data_dir)]
    assert main([*argv, "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "test BLEU (sacrebleu" in printed
    for name in ("config.toml", "model.zip", "history.json", "history.csv", "test_metrics.json",
                 "examples.tsv", "report.html"):  # fmt: skip
        assert (out / name).is_file(), name
    metrics = json.loads((out / "test_metrics.json").read_text())
    assert {"bleu_greedy", "bleu_beam", "bleu_greedy_multi_ref", "train_seconds"} <= set(metrics)
    assert 0 <= metrics["bleu_greedy"] <= 100
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1] and len(history["val_bleu"]) == 1
    rows = (out / "examples.tsv").read_text().splitlines()
    assert rows[0] == "english\treference\tgreedy\tbeam" and len(rows) == 4
    report = (out / "report.html").read_text()
    assert "bleu_beam" in report and "Example translations" in report
    assert main(["translate", str(out / "model.zip"), "I am hungry.", "--beam", "2"]) == 0
    assert capsys.readouterr().out.strip()
    assert main([*argv, "--resume"]) == 2
    err = capsys.readouterr().err
    assert "--resume is not available for task 'translate'" in err
