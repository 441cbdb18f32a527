"""chainrule train with hostile or diverging runs (issue 10): a run whose loss goes NaN ends with
its message, exit status 3 and every file written (NaN as "nan" in strict JSON); --resume from a
checkpoint naming code to import refuses it without importing anything."""

from __future__ import annotations

import json
import os
import sys
import warnings
import zipfile

import pytest

from chainrule.cli import main

RUN = """
name = "small"
seed = 3
epochs = 2
batch_size = 32

[data]
name = "digits"
limit = 200
test_limit = 50

[model]
layers = [
  { type = "Flatten" },
  { type = "Dense", units = 16, activation = "relu" },
  { type = "Dense", units = 10, activation = "softmax" },
]

[optimizer]
name = "sgd"
lr = 1e30

[checkpoint]
save_freq = 2

[[callbacks]]
type = "TerminateOnNaN"
"""


def _strict(text: str):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON token {c}"))


def _train(cfg, out, *extra) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return main(["train", "--config", str(cfg), "--out", str(out), "--quiet", *extra])


@pytest.fixture(scope="module")
def nan_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nanrun")
    cfg = folder / "run.toml"
    cfg.write_text(RUN)
    out = folder / "run"
    status = _train(cfg, out)
    return cfg, out, status


def test_diverging_run_ends_with_its_message_and_files(nan_run, capsys):
    cfg, out, status = nan_run
    assert status == 3
    for name in ("model.zip", "checkpoint.zip", "history.csv", "history.json", "report.html",
                 "test_metrics.json", "config.toml"):  # fmt: skip
        assert (out / name).is_file(), name
    history = _strict((out / "history.json").read_text())
    assert "nan" in history["loss"]
    _strict((out / "test_metrics.json").read_text())
    with zipfile.ZipFile(out / "checkpoint.zip") as zf:
        assert '"nan"' in zf.read("training.json").decode()
    assert _train(cfg, out, "--resume") == 3  # a NaN history resumes; the message comes again
    printed = capsys.readouterr()
    assert "training diverged: TerminateOnNaN" in printed.out
    assert "Out of range" not in printed.err


CANARY = "chainrule_cli_canary"


def test_resume_never_imports_what_the_checkpoint_names(nan_run, tmp_path, monkeypatch, capsys):
    cfg, out, _ = nan_run
    (tmp_path / f"{CANARY}.py").write_text(
        "import os\nos.environ['CHAINRULE_CANARY'] = '1'\ndef boom(step):\n    return 0.1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CHAINRULE_CANARY", raising=False)
    evil = {"class_name": "LambdaSchedule", "config": {"fn": f"{CANARY}:boom"}}
    ckpt = out / "checkpoint.zip"
    with zipfile.ZipFile(ckpt) as zf:
        items = {i.filename: zf.read(i) for i in zf.infolist()}
    opt = json.loads(items["optimizer.json"])
    opt["config"]["lr"] = evil
    opt["param_groups"][0]["lr"] = evil
    items["optimizer.json"] = json.dumps(opt).encode()
    with zipfile.ZipFile(ckpt, "w") as zf:
        for name, data in items.items():
            zf.writestr(name, data)
    assert _train(cfg, out, "--resume") == 1
    assert "custom_objects" in capsys.readouterr().err
    assert CANARY not in sys.modules and "CHAINRULE_CANARY" not in os.environ
