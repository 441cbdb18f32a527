"""``chainrule train`` task "vae" end to end on a small MNIST subset, and ``chainrule generate``
on the decoder it writes."""

import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.cli.config import ConfigError, ConfigSource, validate
from chainrule.cli.tasks import TASKS, task_presets

pytest.importorskip("matplotlib")

TINY = """
task = "vae"
name = "tiny-vae"
epochs = 2
batch_size = 64
iwae_k = 3
iwae_images = 32
[data]
name = "mnist"
limit = 400
test_limit = 64
[model]
variant = "mlp"
latent_dim = 4
hidden = [32]
"""


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs)["src"])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from tests.conftest import DATA

    if not DATA.is_dir():
        pytest.skip("real data not found")
    root = tmp_path_factory.mktemp("vae")
    cfg = root / "tiny.toml"
    cfg.write_text(TINY)
    out = root / "run"
    code = main(["train", "--config", str(cfg), "--out", str(out), "--quiet",
                 "--data-dir", str(DATA)])  # fmt: skip
    assert code == 0
    return out


def test_output_folder(tiny_run):
    names = {p.name for p in tiny_run.iterdir()}
    assert {"config.toml", "model.zip", "encoder.zip", "history.json", "history.csv",
            "test_metrics.json", "report.html", "samples.png", "reconstructions.png",
            "interpolation.png", "curve_loss.png", "curve_kl_loss.png"} <= names  # fmt: skip
    hist = json.loads((tiny_run / "history.json").read_text())
    assert hist["epoch"] == [1, 2]
    assert {"loss", "reconstruction_loss", "kl_loss", "test_loss"} <= set(hist)
    metrics = json.loads((tiny_run / "test_metrics.json").read_text())
    assert metrics["neg_elbo"] == pytest.approx(metrics["reconstruction"] + metrics["kl"])
    assert metrics["iwae_images"] == 32  # the bound on the first 32 of the 64 test images
    assert 0 < metrics["iwae_nll"] < metrics["neg_elbo_iwae_images"] + 5
    page = _Images()
    page.feed((tiny_run / "report.html").read_text())
    assert {"samples.png", "reconstructions.png", "interpolation.png", "curve_loss.png"} <= set(
        page.srcs
    )
    assert "test_loss" not in {s[6:-4] for s in page.srcs}  # drawn with its training curve


def test_png_grids_have_the_documented_layout(tiny_run):
    from matplotlib.image import imread

    samples = imread(tiny_run / "samples.png")
    recon = imread(tiny_run / "reconstructions.png")
    line = imread(tiny_run / "interpolation.png")
    cell = 2 * 28 + 2  # scale 2, padding 2
    assert samples.shape[:2] == (8 * cell + 2, 8 * cell + 2)
    assert recon.shape[:2] == (4 * cell + 2, 16 * cell + 2)
    assert line.shape[:2] == (4 * cell + 2, 10 * cell + 2)


def test_generate_from_the_decoder(tiny_run, tmp_path, capsys):
    from matplotlib.image import imread

    png = tmp_path / "s.png"
    assert main(["generate", str(tiny_run / "model.zip"), "--n", "10", "--out", str(png),
                 "--nrow", "5", "--seed", "1"]) == 0  # fmt: skip
    assert imread(png).shape[:2] == (2 * 30 + 2, 5 * 30 + 2)
    arr = tmp_path / "s.npy"
    assert main(["generate", str(tiny_run / "model.zip"), "--n", "3", "--out", str(arr),
                 "--seed", "1"]) == 0  # fmt: skip
    a = np.load(arr)
    assert a.shape == (3, 28, 28, 1) and a.dtype == np.float32 and 0 <= a.min() <= a.max() <= 1
    assert main(["generate", str(tiny_run / "model.zip"), "--n", "3", "--out", str(arr),
                 "--seed", "1"]) == 0  # fmt: skip
    np.testing.assert_array_equal(np.load(arr), a)  # seeded
    capsys.readouterr()
    assert main(["generate", str(tiny_run / "model.zip"), "--n", "0"]) == 1
    assert "--n must be" in capsys.readouterr().err
    assert main(["generate", str(tiny_run / "model.zip"), "--out", str(tmp_path / "x.gif")]) == 1
    assert ".png or .npy" in capsys.readouterr().err
    assert main(["generate", str(tiny_run / "encoder.zip")]) == 1
    assert "not a generative model" in capsys.readouterr().err
    assert main(["predict", str(tiny_run / "model.zip"), str(png)]) == 1
    assert "chainrule generate" in capsys.readouterr().err


def test_resume_is_refused(tiny_run, capsys):
    code = main(["train", "--config", str(tiny_run.parent / "tiny.toml"), "--out",
                 str(tiny_run.parent / "again"), "--resume"])  # fmt: skip
    assert code == 2 and "writes no checkpoints" in capsys.readouterr().err


def test_presets_are_registered_and_valid():
    assert "vae" in TASKS
    presets = task_presets()
    assert presets["mnist-vae"]["task"] == "vae"
    for name in ("mnist-vae", "mnist-vae-conv"):
        cfg = validate(presets[name], ConfigSource(name))
        assert validate(cfg, ConfigSource(name)) == cfg  # accepts its own output
        assert cfg["model"]["latent_dim"] == 20 and cfg["iwae_k"] == 100


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"model": {"variant": "gan"}}, "model.variant"),
        ({"model": {"hidden": []}}, "model.hidden"),
        ({"model": {"hidden": [400, 0]}}, "model.hidden[1]"),
        ({"model": {"variant": "conv", "hidden": [8, 8, 8]}}, "model.hidden"),
        ({"model": {"latent_dim": 0}}, "model.latent_dim"),
        ({"model": {"layers": []}}, "model.layers"),
        ({"data": {"name": "digits"}}, "data.name"),
        ({"data": {"name": "mnist", "limit": 0}}, "data.limit"),
        ({"iwae_k": -1}, "iwae_k"),
        ({"iwae_images": 0}, "iwae_images"),
        ({"epochs": 0}, "epochs"),
        ({"optimizer": {"name": "adam", "lr": "fast"}}, "optimizer.lr"),
        ({"loss": "mse"}, "loss"),
    ],
)
def test_config_errors_name_the_key(change, key):
    raw = {"task": "vae", "name": "x", "data": {"name": "mnist"}, "model": {}, **change}
    with pytest.raises(ConfigError, match=re.escape(f"key '{key}'")):
        validate(raw, ConfigSource("test"))


def test_list_shows_the_preset(capsys):
    assert main(["train", "--list"]) == 0
    assert "mnist-vae" in capsys.readouterr().out
