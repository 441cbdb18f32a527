"""Task ``charlm`` (``chainrule train shakespeare-char|shakespeare-gpt``) and ``chainrule generate``
on a tiny subset of tiny-shakespeare: presets, training steps, the output folder, save/load,
resuming, streaming generation."""

from __future__ import annotations

import argparse
import io
import json
import re
import sys

import numpy as np
import pytest
import tomllib

import chainrule
from chainrule.cli import generate, main
from chainrule.cli.config import ConfigError, ConfigSource, to_toml, validate
from chainrule.cli.presets import PLANNED, get_preset
from chainrule.cli.tasks import TASKS, task_presets
from chainrule.cli.tasks.charlm import PRESETS, build_model, learning_rate
from chainrule.data.generation import _RecurrentStepper, generate_text
from chainrule.io.model_file import load_model
from chainrule.tensor import Tensor

pytest.importorskip("matplotlib")

TINY_MODELS = {
    "gpt": {"type": "gpt", "layers": 1, "d_model": 16, "heads": 2, "feedforward": 32},
    "lstm": {"type": "lstm", "embedding_dim": 8, "units": 16},
}


def tiny(kind: str, tmp_path, **extra) -> dict:
    cfg = {"task": "charlm", "name": f"tiny-{kind}", "epochs": 2, "steps_per_epoch": 4,
           "batch_size": 4, "context_length": 16,
           "data": {"name": "tiny-shakespeare", "limit": 20000, "val_limit": 2000},
           "model": dict(TINY_MODELS[kind]),
           "optimizer": {"name": "adam", "lr": 0.01, "clip_norm": 1.0, "warmup_steps": 2,
                         "schedule": "cosine", "min_lr": 0.001},
           "sample": {"prompt": "ROMEO:", "length": 30}, "out": str(tmp_path / kind), **extra}  # fmt: skip
    return cfg


def write_config(tmp_path, cfg: dict, name: str = "run.toml"):
    path = tmp_path / name
    path.write_text(to_toml(cfg))
    return path


# ----------------------------------------------------------------------------- presets
@pytest.mark.parametrize("name", ["shakespeare-char", "shakespeare-gpt"])
def test_presets_validate_and_round_trip_through_toml(name):
    assert "charlm" in TASKS and name in task_presets() and name not in PLANNED
    cfg = validate(get_preset(name), ConfigSource(f"preset '{name}'"))
    assert cfg == PRESETS[name] | cfg  # defaults filled in, nothing the preset says changed
    again = validate(tomllib.loads(to_toml(cfg)), ConfigSource("again.toml"))
    assert again == cfg


def test_preset_models_have_the_issue_sizes():
    lstm = build_model(PRESETS["shakespeare-char"]["model"], 65, 64)
    assert [type(layer).__name__ for layer in lstm.layers] == ["Embedding", "LSTM", "Dense"]
    assert lstm.layers[1].units == 256 and lstm.layers[0].output_dim == 64
    gpt = build_model(PRESETS["shakespeare-gpt"]["model"], 65, 128)
    names = [type(layer).__name__ for layer in gpt.layers]
    assert names == ["TokenAndPositionEmbedding", *["TransformerDecoder"] * 4,
                     "LayerNormalization", "Dense"]  # fmt: skip
    assert all(b.normalize_first for b in gpt.layers[1:5])  # pre-LN
    out = gpt(Tensor(np.zeros((2, 128), dtype=np.int64)))
    assert out.shape == (2, 128, 65) and out.dtype == np.float32


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"model": {"type": "rnn"}}, "model.type", "expected one of"),
        ({"model": {"type": "gpt", "units": 3}}, "model.units", "unknown key"),
        ({"model": {"type": "gpt", "d_model": 10, "heads": 4}}, "model.heads", "must divide"),
        ({"eval_length": 256}, "eval_length", "at most context_length"),
        ({"data": {"name": "imdb"}}, "data.name", "expected one of"),
        ({"sample": {"top_p": 0}}, "sample.top_p", "(0, 1]"),
        ({"sample": {"prompt": ""}}, "sample.prompt", "non-empty"),
        ({"optimizer": {"name": "sgd"}}, "optimizer.name", "expected one of"),
        ({"optimizer": {"schedule": "step"}}, "optimizer.schedule", "expected one of"),
        ({"steps_per_epoch": 0}, "steps_per_epoch", ">= 1"),
        ({"colour": "red"}, "colour", "unknown key"),
    ],
)
def test_bad_configurations_name_the_key(change, key, message):
    cfg = get_preset("shakespeare-gpt")
    cfg.update(change)
    with pytest.raises(ConfigError, match=f"key {re.escape(repr(key))}.*{re.escape(message)}"):
        validate(cfg, ConfigSource("x.toml"))


def test_learning_rate_warms_up_then_decays_to_min_lr():
    opt = {"lr": 1.0, "warmup_steps": 4, "schedule": "cosine", "min_lr": 0.1}
    rates = [learning_rate(opt, s, 20) for s in range(20)]
    assert rates[:4] == [0.25, 0.5, 0.75, 1.0] and rates[4] == 1.0
    assert rates[-1] == pytest.approx(0.1) and all(np.diff(rates[4:]) <= 0)
    assert learning_rate({**opt, "schedule": "constant"}, 10, 20) == 1.0


# ----------------------------------------------------------------------------- training
@pytest.mark.parametrize("kind", ["gpt", "lstm"])
def test_training_writes_the_output_folder_and_a_loadable_model(kind, tmp_path, data_dir, capsys):
    cfg = tiny(kind, tmp_path)
    assert main(["train", "--config", str(write_config(tmp_path, cfg)), "--quiet",
                 "--data-dir", str(data_dir)]) == 0  # fmt: skip
    out = tmp_path / kind
    files = {p.name for p in out.iterdir()}
    assert {"config.toml", "checkpoint.zip", "model.zip", "history.csv", "history.json",
            "test_metrics.json", "sample.txt", "report.html", "curve_loss.png"} <= files  # fmt: skip
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == [1, 2] and len(history["val_loss"]) == 2
    assert history["loss"][-1] < history["loss"][0] < 4.5  # it learns something in 8 steps
    metrics = json.loads((out / "test_metrics.json").read_text())
    assert metrics["val_loss"] == history["val_loss"][-1]
    sample = (out / "sample.txt").read_text()
    assert sample.startswith("ROMEO:") and len(sample) == len("ROMEO:") + 30 + 1
    report = (out / "report.html").read_text()
    assert "Sample text" in report and "val_loss" in report
    model = load_model(out / "model.zip")
    spec = model.preprocessing
    assert spec["kind"] == "text" and spec["tokenizer"] == "char"
    assert spec["context_length"] == 16 and len(spec["vocabulary"]) == 58
    chainrule.manual_seed(0)  # the sample is drawn with the run's seed
    assert "ROMEO:" + generate_text(model, spec, "ROMEO:", 30, temperature=0.8) + "\n" == sample
    assert "val_loss" in capsys.readouterr().out


def test_resume_continues_bit_identically(tmp_path, data_dir):
    from chainrule.cli.train import run_train

    full = tiny("gpt", tmp_path, out=str(tmp_path / "full"))
    main(["train", "--config", str(write_config(tmp_path, full, "a.toml")), "--quiet",
          "--data-dir", str(data_dir)])  # fmt: skip
    half = tiny("gpt", tmp_path, out=str(tmp_path / "half"))
    path = write_config(tmp_path, half, "b.toml")

    def interrupt(line: str) -> None:  # killed while epoch 2 reports: epoch 1 is checkpointed
        if line.startswith("epoch 2/2"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_train(config=str(path), data_dir=str(data_dir), verbose=2, print_fn=interrupt)
    assert not (tmp_path / "half" / "model.zip").exists()
    assert main(["train", "--config", str(path), "--quiet", "--resume",
                 "--data-dir", str(data_dir)]) == 0  # fmt: skip
    a = load_model(tmp_path / "full" / "model.zip").state_dict()
    b = load_model(tmp_path / "half" / "model.zip").state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    ha = json.loads((tmp_path / "full" / "history.json").read_text())
    hb = json.loads((tmp_path / "half" / "history.json").read_text())
    assert ha["val_loss"] == hb["val_loss"] and ha["loss"] == hb["loss"]


# ----------------------------------------------------------------------------- generation
@pytest.fixture(scope="module")
def lstm_file(tmp_path_factory):
    """A small untrained char-LSTM saved with its text preprocessing."""
    from chainrule.io.model_file import save_model
    from chainrule.io.text_preprocessing import text_spec

    chainrule.manual_seed(3)
    model = build_model(TINY_MODELS["lstm"], 12, 8)
    model.preprocessing = text_spec(list("\n :ADEMORabc"), context_length=8)
    path = tmp_path_factory.mktemp("gen") / "lstm.zip"
    save_model(model, path)
    return path


class _Recorder(io.StringIO):
    def __init__(self):
        super().__init__()
        self.flushed_at: list[int] = []

    def flush(self):
        self.flushed_at.append(len(self.getvalue()))


def test_generate_streams_each_character_and_repeats_with_a_seed(lstm_file, monkeypatch):
    outputs = []
    for _ in range(2):
        rec = _Recorder()
        monkeypatch.setattr(sys, "stdout", rec)
        assert main(["generate", str(lstm_file), "--prompt", "ROMEO:", "--max-new-tokens", "25",
                     "--temperature", "0.9", "--top-k", "5", "--top-p", "0.95",
                     "--seed", "7"]) == 0  # fmt: skip
        text = rec.getvalue()
        assert text.startswith("ROMEO:") and len(text) == 6 + 25 + 1 and text.endswith("\n")
        # one flush after the prompt and one after every character: the text streams
        assert rec.flushed_at == [*range(6, 32), 32]
        outputs.append(text)
    assert outputs[0] == outputs[1]
    rec = _Recorder()
    monkeypatch.setattr(sys, "stdout", rec)
    main(
        ["generate", str(lstm_file), "--prompt", "ROMEO:", "--max-new-tokens", "25", "--seed", "8"]
    )
    assert rec.getvalue() != outputs[0]


def test_generate_refuses_bad_prompts_and_options_before_printing(lstm_file, capsys):
    for argv, message in (
        (["--prompt", "ROMEO: hi!"], "does not have: '!', 'h', 'i'"),
        (["--prompt", ""], "--prompt is empty"),
        (["--top-p", "1.5"], "top_p must be in (0, 1]"),
        (["--top-k", "0"], "top_k must be a positive int"),
        (["--temperature", "-1"], "temperature must be a finite number >= 0"),
        (["--max-new-tokens", "-2"], "--max-new-tokens must be >= 0"),
    ):
        assert main(["generate", str(lstm_file), *argv]) == 1
        captured = capsys.readouterr()
        assert message in captured.err and captured.out == ""


def test_generate_refuses_another_kinds_options(lstm_file, monkeypatch):
    monkeypatch.setitem(generate.GENERATORS, "other", (lambda *a: 0, ("images",)))
    args = argparse.Namespace(model=str(lstm_file), seed=None, prompt="A", max_new_tokens=1,
                              temperature=None, top_k=None, top_p=None, images=4)  # fmt: skip
    with pytest.raises(ValueError, match="--images: not an option for 'text' models"):
        generate.run(args)


def test_recurrent_stepping_equals_running_the_whole_sequence(lstm_file):
    model = load_model(lstm_file)
    ids = np.array([[3, 1, 7, 2, 9, 4, 0, 11, 5]])
    step = _RecurrentStepper(model)
    assert _RecurrentStepper.fits(model)
    step(ids[:, :5])
    for t in range(5, 9):
        got = step(ids[:, t : t + 1])
        want = model(Tensor(ids[:, : t + 1])).data[0, -1]
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_gpt_generation_uses_the_last_context_length_tokens(tmp_path):
    from chainrule.io.text_preprocessing import text_spec

    model = build_model(TINY_MODELS["gpt"], 5, 4)
    spec = text_spec("abcde", context_length=4)
    assert not _RecurrentStepper.fits(model)
    chainrule.manual_seed(1)
    long = generate_text(model, spec, "abcdeabcde", 12, temperature=0)  # prompt > context
    chainrule.manual_seed(1)
    short = generate_text(model, spec, "bcde", 12, temperature=0)  # its last 4 characters
    assert long == short and len(long) == 12 and set(long) <= set("abcde")
