"""``chainrule train`` task 'gan' on tiny MNIST subsets: outputs, report, judge measurements,
failure reporting, exact resume, configuration errors and ``chainrule generate --label``."""

import json
from pathlib import Path

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers as L
from chainrule.cli import main
from chainrule.cli.config import ConfigError, ConfigSource
from chainrule.cli.tasks import TASKS, gan, task_module
from chainrule.cli.train import run_train
from chainrule.io.model_file import load_model, save_model


@pytest.fixture(scope="module")
def judge_path(tmp_path_factory):
    """A small dense MNIST classifier (seconds to train; far below the real judge's accuracy, but
    the measurements only need a Sequential softmax classifier)."""
    from chainrule.datasets import load_mnist
    from tests.conftest import DATA

    if not DATA.is_dir():
        pytest.skip("real data not found (set CHAINRULE_DATA)")
    keras.manual_seed(0)
    (x, y), _ = load_mnist(str(DATA))
    model = keras.Sequential([L.Flatten(), L.Dense(16, activation="relu"),
                              L.Dense(10, activation="softmax")])  # fmt: skip
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x[:1000].astype(np.float32) / 255, y[:1000], epochs=2, batch_size=50, verbose=0)
    path = tmp_path_factory.mktemp("judge") / "judge.zip"
    save_model(model, path)
    return path


def _config(tmp_path, judge, *, conditional=False, epochs=2, name="tiny", ema=0.0):
    text = f"""
task = "gan"
name = "{name}"
epochs = {epochs}
batch_size = 16
[data]
name = "mnist"
limit = 64
test_limit = 40
[model]
latent_dim = 8
width = 4
mapping_layers = 1
mapping_units = 6
discriminator_units = 5
conditional = {"true" if conditional else "false"}
[gan]
label_smoothing = 0.1
ema = {ema}
[judge]
classifier = "{judge}"
samples = 40
epoch_samples = 20
"""
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return str(path)


def test_gan_is_a_registered_task_with_its_presets():
    assert "gan" in TASKS and task_module("gan") is gan
    assert set(gan.PRESETS) == {"mnist-gan", "fashion-gan", "mnist-cgan"}
    for name, preset in gan.PRESETS.items():
        cfg = gan.validate(preset, ConfigSource(name))
        assert cfg == gan.validate(cfg, ConfigSource("again"))  # accepts its own output
        assert cfg["model"]["conditional"] == (name == "mnist-cgan")


def test_unconditional_run_writes_everything(tmp_path, data_dir, judge_path):
    out = tmp_path / "run"
    result = run_train(config=_config(tmp_path, judge_path), out=str(out), data_dir=str(data_dir),
                       print_fn=lambda *a: None)  # fmt: skip
    names = {p.name for p in out.iterdir()}
    assert {"config.toml", "model.zip", "discriminator.zip", "samples.png", "history.csv",
            "history.json", "test_metrics.json", "report.html", "samples_epoch_001.png",
            "samples_epoch_002.png", "curve_d_loss.png", "curve_fd.png",
            "curve_confident_share.png", "checkpoint"} <= names  # fmt: skip
    m = result["test_metrics"]
    for key in ("confident_share", "max_class_share", "classes_present", "fd", "fd_floor",
                "judge_accuracy", "diversity", "share_0", "share_9"):  # fmt: skip
        assert np.isfinite(m[key]), key
    assert sum(m[f"share_{i}"] for i in range(10)) == pytest.approx(1.0)
    assert "label_agreement" not in m
    hist = json.loads((out / "history.json").read_text())
    assert hist["epoch"] == [1, 2] and len(hist["g_loss"]) == 2 and len(hist["fd"]) == 2
    saved = json.loads((out / "test_metrics.json").read_text())
    assert saved["failures"] == result["failures"]
    last = [f["message"] for f in result["failures"] if f["epoch"] == 2]
    assert result["diverged"] == ("; ".join(last) or None)
    page = (out / "report.html").read_text()
    assert "samples_epoch_002.png" in page and 'src="samples.png"' in page
    assert "curve_fd.png" in page
    g = load_model(out / "model.zip")
    assert g.preprocessing["kind"] == "generator" and g.preprocessing["output"] == "tanh"
    assert g.preprocessing["num_classes"] is None
    # the saved config is a valid configuration again
    again = gan.validate(__import__("tomllib").loads((out / "config.toml").read_text()),
                         ConfigSource("config.toml"))  # fmt: skip
    assert again["judge"]["classifier"] == str(judge_path)


def test_resume_is_exact_and_a_judge_added_later_starts_with_nan(tmp_path, data_dir, judge_path):
    kw = {"data_dir": str(data_dir), "print_fn": lambda *a: None}
    full = tmp_path / "full"
    run_train(config=_config(tmp_path, "none", epochs=2), out=str(full), **kw)
    part = tmp_path / "part"
    first = run_train(config=_config(tmp_path, "none", epochs=2), out=str(part), epochs=1, **kw)
    with pytest.raises(ConfigError, match="no checkpoint"):
        run_train(config=_config(tmp_path, "none"), out=str(tmp_path / "x"), resume=True, **kw)
    result = run_train(config=_config(tmp_path, judge_path, epochs=2), out=str(part),
                       resume=True, **kw)  # fmt: skip
    a, b = load_model(full / "model.zip"), load_model(part / "model.zip")
    for (k1, v1), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
        assert k1 == k2
        np.testing.assert_array_equal(v1, v2)
    # the training time adds up over the resumed parts
    assert result["test_metrics"]["train_seconds"] > first["test_metrics"]["train_seconds"]
    h = result["history"]
    assert len(h["g_loss"]) == 2 and np.isnan(h["fd"][0]) and np.isfinite(h["fd"][1])
    hf = json.loads((full / "history.json").read_text())
    assert hf["g_loss"] == h["g_loss"] and "fd" not in hf  # no judge: no judge measurements


def test_weight_averaged_generator_is_saved_measured_and_resumed_exactly(tmp_path, data_dir,
                                                                        judge_path):  # fmt: skip
    """With gan.ema the average is model.zip (the live generator is generator_live.zip, measured
    too); the checkpoint carries the average, so a resumed run ends bit-identical; resuming with
    a different gan.ema setting is refused."""
    kw = {"data_dir": str(data_dir), "print_fn": lambda *a: None}
    full, part = tmp_path / "full", tmp_path / "part"
    done = run_train(config=_config(tmp_path, judge_path, ema=0.5), out=str(full), **kw)
    run_train(config=_config(tmp_path, judge_path, ema=0.5), out=str(part), epochs=1, **kw)
    assert (part / "checkpoint" / "ema_generator-1.zip").exists()
    state = json.loads((part / "checkpoint" / "state.json").read_text())
    assert state["ema_updates"] == 64 // 16
    with pytest.raises(ConfigError, match="gan.ema"):
        run_train(config=_config(tmp_path, judge_path), out=str(part), resume=True, **kw)
    resumed = run_train(config=_config(tmp_path, judge_path, ema=0.5), out=str(part),
                        resume=True, **kw)  # fmt: skip
    for name in ("model.zip", "generator_live.zip", "discriminator.zip"):
        a, b = load_model(full / name), load_model(part / name)
        for (k1, v1), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
            assert k1 == k2
            np.testing.assert_array_equal(v1, v2, err_msg=f"{name}: {k1}")
    avg, live = load_model(full / "model.zip"), load_model(full / "generator_live.zip")
    assert avg.preprocessing == live.preprocessing and avg.preprocessing["kind"] == "generator"
    assert any(not np.array_equal(v1, v2) for v1, v2 in zip(avg.state_dict().values(),
                                                           live.state_dict().values()))  # fmt: skip
    for m in (done["test_metrics"], resumed["test_metrics"]):
        assert 0.0 <= m["live_confident_share"] <= 1.0 and np.isfinite(m["live_fd"])
    assert done["test_metrics"]["fd"] == resumed["test_metrics"]["fd"]
    # a checkpoint written without the average cannot resume into a run with one
    plain = tmp_path / "plain"
    run_train(config=_config(tmp_path, "none", epochs=2), out=str(plain), epochs=1, **kw)
    with pytest.raises(ConfigError, match="holds no weight-averaged generator"):
        run_train(config=_config(tmp_path, "none", ema=0.5), out=str(plain), resume=True, **kw)


def test_conditional_run_and_generate_label(tmp_path, data_dir, judge_path, capsys):
    out = tmp_path / "cgan"
    result = run_train(config=_config(tmp_path, judge_path, conditional=True, epochs=1),
                       out=str(out), data_dir=str(data_dir), print_fn=lambda *a: None)  # fmt: skip
    assert 0.0 <= result["test_metrics"]["label_agreement"] <= 1.0
    assert "d_class_accuracy" in result["history"]
    cm = np.array(json.loads((out / "test_metrics.json").read_text())["label_confusion"])
    assert cm.shape == (10, 10) and (cm.sum(axis=1) == 4).all()  # 40 samples, 4 per label
    assert np.trace(cm) / 40 == pytest.approx(result["test_metrics"]["label_agreement"])
    assert "Confusion matrix" in (out / "report.html").read_text()
    spec = load_model(out / "model.zip").preprocessing
    assert spec["num_classes"] == 10 and spec["label_input"] == "one_hot"
    png = tmp_path / "sevens.png"
    assert main(["generate", str(out / "model.zip"), "--label", "7", "--n", "12", "--out",
                 str(png), "--seed", "1"]) == 0  # fmt: skip
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    npy = tmp_path / "sevens.npy"
    main(["generate", str(out / "model.zip"), "--label", "7", "--n", "5", "--out", str(npy)])
    assert np.load(npy).shape == (5, 28, 28, 1)
    capsys.readouterr()
    assert main(["generate", str(out / "model.zip"), "--label", "10", "--out", str(png)]) == 1
    assert "not a class index in [0, 9]" in capsys.readouterr().err
    # an unconditional generator refuses --label
    plain = tmp_path / "plain"
    run_train(config=_config(tmp_path, "none", epochs=1, name="plain"), out=str(plain),
              data_dir=str(data_dir), print_fn=lambda *a: None)  # fmt: skip
    assert main(["generate", str(plain / "model.zip"), "--label", "3", "--out", str(png)]) == 1
    assert "unconditional" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"data": {"name": "digits"}}, "data.name"),
        ({"model": {"latent_dim": 0}}, "model.latent_dim"),
        ({"model": {"conditional": "yes"}}, "model.conditional"),
        ({"model": {"depth": 3}}, "model.depth"),
        ({"model": {"mapping_layers": -1}}, "model.mapping_layers"),
        ({"model": {"mapping_layers": 1.0}}, "model.mapping_layers"),
        ({"model": {"mapping_units": 0}}, "model.mapping_units"),
        ({"model": {"discriminator_units": -1}}, "model.discriminator_units"),
        ({"model": {"discriminator_units": "8"}}, "model.discriminator_units"),
        ({"optimizer": {"name": "sgd"}}, "optimizer.name"),
        ({"optimizer": {"lr": 0}}, "optimizer.lr"),
        ({"gan": {"label_smoothing": 0.5}}, "gan.label_smoothing"),
        ({"gan": {"ema": 1.0}}, "gan.ema"),
        ({"gan": {"ema": "0.999"}}, "gan.ema"),
        ({"judge": {"confidence": 1.0}}, "judge.confidence"),
        ({"judge": {"samples": 1}}, "judge.samples"),
        ({"judge": {"classifier": ""}}, "judge.classifier"),
        ({"colour": 1}, "colour"),
    ],
)
def test_configuration_errors_name_the_key(change, key):
    raw = {"task": "gan", "name": "x", "data": {"name": "mnist"}}
    for k, v in change.items():
        raw[k] = {**raw.get(k, {}), **v} if isinstance(v, dict) else v
    with pytest.raises(ConfigError, match=f"key '{key}'"):
        gan.validate(raw, ConfigSource("test"))


def test_missing_judge_file_is_an_error(tmp_path, data_dir):
    with pytest.raises(ConfigError, match="does not exist"):
        run_train(config=_config(tmp_path, tmp_path / "nope.zip"), out=str(tmp_path / "o"),
                  data_dir=str(data_dir), print_fn=lambda *a: None)  # fmt: skip


def test_judge_cache_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert gan.judge_cache_path("mnist") == tmp_path / "chainrule/judges/mnist-cnn/model.zip"
    assert gan.judge_cache_path("fashion-mnist").parent.name == "fashion-cnn"


def test_auto_judge_is_trained_once_into_the_cache(monkeypatch, tmp_path, data_dir, judge_path):
    """With classifier = "auto" a missing judge is trained with its classification preset into
    the cache (the training itself is replaced by a copy of a small judge here) and reused."""
    import shutil

    import chainrule.cli.train as train_mod

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []

    def fake_run_train(preset, *, epochs, out, data_dir, verbose, print_fn):
        calls.append((preset, epochs))
        Path(out).mkdir(parents=True)
        shutil.copy(judge_path, Path(out) / "model.zip")

    monkeypatch.setattr(train_mod, "run_train", fake_run_train)
    kw = {"data_dir": str(data_dir), "print_fn": lambda *a: None}
    for i in range(2):
        run = gan.run(gan.validate(
            {"task": "gan", "name": "t", "epochs": 1, "batch_size": 16,
             "data": {"name": "mnist", "limit": 32, "test_limit": 20},
             "model": {"latent_dim": 4, "width": 2},
             "judge": {"samples": 20, "epoch_samples": 10}, "out": str(tmp_path / f"o{i}")},
            ConfigSource("t")), **kw)  # fmt: skip
        assert np.isfinite(run["test_metrics"]["fd"])
    assert calls == [("mnist-cnn", 15)]
    assert gan.judge_cache_path("mnist").exists()
