"""``chainrule`` end to end on the bundled digits: the output folder, the report, predict, info,
and resuming through the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest

import chainrule
from chainrule.cli import main

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

EXPECTED_FILES = {
    "config.toml", "checkpoint.zip", "model.zip", "history.csv", "history.json",
    "test_metrics.json", "report.html", "curve_loss.png", "curve_accuracy.png",
}  # fmt: skip


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.tables, self.stack, self.text = [], 0, [], []

    def handle_starttag(self, tag, attrs):
        if tag not in ("img", "meta", "br"):
            self.stack.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag == "table":
            self.tables += 1

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """``chainrule`` with no arguments, as the README's first command runs it."""
    cwd = tmp_path_factory.mktemp("fresh")
    env = {**os.environ, "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, "-m", "chainrule.cli"], check=False, cwd=cwd, env=env, capture_output=True,
        text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return cwd / "runs" / "digits-mlp", proc.stdout


def test_no_arguments_trains_digits_mlp_to_95_percent(default_run):
    out, stdout = default_run
    assert EXPECTED_FILES <= {p.name for p in out.iterdir()}
    metrics = json.loads((out / "test_metrics.json").read_text())
    assert metrics["accuracy"] >= 0.95
    assert "test: loss:" in stdout and f"accuracy: {metrics['accuracy']:.4f}" in stdout


def test_history_files_agree(default_run):
    out, _ = default_run
    history = json.loads((out / "history.json").read_text())
    assert history["epoch"] == list(range(1, 41))
    lines = (out / "history.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[0] == "epoch" and {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(header)
    assert len(lines) == 41
    last = dict(zip(header, lines[-1].split(",")))
    assert float(last["val_accuracy"]) == history["val_accuracy"][-1]


def test_report_parses_and_references_existing_images(default_run):
    out, _ = default_run
    page = _Page()
    page.feed((out / "report.html").read_text())
    page.close()
    assert not page.stack
    assert {"curve_loss.png", "curve_accuracy.png"} <= set(page.images)
    for src in page.images:
        assert (out / src).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(page.text)
    assert page.tables >= 2  # test metrics, confusion matrix
    assert "Confusion matrix (test set)" in text and "Total params: " in text
    assert 'name = "digits-mlp"' in text  # the configuration used


def test_saved_model_predicts_like_the_report_and_info_describes_it(default_run, tmp_path, capsys):
    out, _ = default_run
    from chainrule.datasets import load_digits

    _, (x_test, y_test) = load_digits()
    x = (x_test.astype(np.float32) / 16.0)[:50]
    np.save(tmp_path / "x.npy", x)
    assert main(["predict", str(out / "model.zip"), str(tmp_path / "x.npy"),
                 "--out", str(tmp_path / "p.npy")]) == 0  # fmt: skip
    preds = np.load(tmp_path / "p.npy")
    model = chainrule.load_model(out / "model.zip")
    assert np.array_equal(preds, model.predict(x, batch_size=256))  # the CLI default batch
    assert preds.shape == (50, 10) and preds.dtype == np.float32
    assert all(v.dtype == np.float32 for v in model.state_dict().values())  # no float64 leak
    assert (preds.argmax(axis=1) == y_test[:50]).mean() >= 0.9
    printed = capsys.readouterr().out
    assert "50 predictions" in printed
    assert main(["info", str(out / "model.zip")]) == 0
    info = capsys.readouterr().out
    assert "Sequential 'digits-mlp'" in info and "layers.1.kernel" in info
    assert "(64, 256)" in info and "optimizer state: included" in info


def test_predict_errors_are_clear(default_run, tmp_path, capsys):
    out, _ = default_run
    np.save(tmp_path / "wrong.npy", np.zeros((3, 5), np.float32))
    assert main(["predict", str(out / "model.zip"), str(tmp_path / "wrong.npy")]) == 1
    assert "expects 64 input features, got 5" in capsys.readouterr().err
    (tmp_path / "empty.npy").write_bytes(b"")
    assert main(["predict", str(out / "model.zip"), str(tmp_path / "empty.npy")]) == 1
    assert "not a valid .npy array file" in capsys.readouterr().err
    assert main(["predict", str(out / "model.zip"), str(tmp_path / "absent.npy")]) == 1
    assert "absent.npy does not exist" in capsys.readouterr().err
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    assert main(["info", str(bad)]) == 1
    assert "not a chainrule file" in capsys.readouterr().err


SMALL = """
name = "small"
seed = 3
epochs = {epochs}
batch_size = 32

[data]
name = "digits"
limit = 300
test_limit = 100
validation_split = 0.1

[model]
layers = [
  {{ type = "Flatten" }},
  {{ type = "Dense", units = 32, activation = "relu" }},
  {{ type = "Dropout", rate = 0.2 }},
  {{ type = "Dense", units = 10, activation = "softmax" }},
]

[optimizer]
name = "adam"
lr = 0.002

[checkpoint]
save_freq = 4
"""


def test_resume_through_the_cli_matches_an_uninterrupted_run(tmp_path, capsys):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SMALL.format(epochs=2))
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert (
        main(["train", "--config", str(cfg), "--epochs", "3", "--out", str(straight), "--quiet"])
        == 0
    )
    assert main(["train", "--config", str(cfg), "--out", str(split), "--quiet"]) == 0
    assert main(["train", "--config", str(cfg), "--epochs", "3", "--out", str(split), "--quiet",
                 "--resume"]) == 0  # fmt: skip
    assert "resumed from" in capsys.readouterr().out
    a = chainrule.load_model(straight / "model.zip").state_dict()
    b = chainrule.load_model(split / "model.zip").state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert json.loads((split / "history.json").read_text())["epoch"] == [1, 2, 3]


def test_resume_without_checkpoint_and_overrides(tmp_path, capsys):
    cfg = tmp_path / "small.toml"
    cfg.write_text(SMALL.format(epochs=1))
    assert main(["train", "--config", str(cfg), "--out", str(tmp_path / "o"), "--resume"]) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["train", "--config", str(cfg), "--epochs", "0", "--out", str(tmp_path / "o")]) == 2
    assert "epochs" in capsys.readouterr().err
    run = tmp_path / "lr"
    assert main(["train", "--config", str(cfg), "--lr", "0.01", "--seed", "5", "--out", str(run),
                 "--quiet"]) == 0  # fmt: skip
    used = (run / "config.toml").read_text()
    assert "lr = 0.01" in used and "seed = 5" in used


def test_unavailable_and_unknown_presets(capsys, monkeypatch):
    from chainrule.cli import presets

    monkeypatch.setitem(presets.PLANNED, "future-preset", "needs something not built yet")
    assert main(["train", "future-preset"]) == 2
    assert "not available yet" in capsys.readouterr().err
    assert main(["train", "nope"]) == 2
    assert "digits-mlp" in capsys.readouterr().err
    assert main(["train", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "digits-mlp" in listing and "fashion-mlp" in listing and "mnist-cnn" in listing


def test_info_names_each_input_of_a_functional_model(tmp_path, capsys):
    import chainrule as keras
    from chainrule import layers as L

    a, b = keras.Input((4,), name="left"), keras.Input((3,), name="right")
    model = keras.Model([a, b], L.Dense(2)(L.Concatenate()([a, b])))
    model.predict([np.ones((2, 4), np.float32), np.ones((2, 3), np.float32)], verbose=0)
    keras.saving.save_model(model, tmp_path / "two.zip")
    assert main(["info", str(tmp_path / "two.zip")]) == 0
    assert "inputs left (None, 4), right (None, 3)" in capsys.readouterr().out
