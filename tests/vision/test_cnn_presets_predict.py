"""The CNN presets of ``chainrule train`` and ``chainrule predict MODEL image.png`` on real MNIST
images (a small subset: a few seconds)."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.cli.presets import get_preset
from chainrule.cli.train import build_model
from chainrule.io.image_preprocessing import image_spec
from chainrule.io.model_file import ModelFileError, load_model
from chainrule.io.preprocessing import check_preprocessing

PIL = pytest.importorskip("PIL.Image")
DATA = os.environ.get("CHAINRULE_DATA")
needs_mnist = pytest.mark.skipif(
    not DATA or not os.path.isdir(os.path.join(DATA, "mnist")), reason="needs CHAINRULE_DATA"
)


@pytest.mark.parametrize("name, params", [("mnist-cnn", 34_826), ("fashion-cnn", None)])
def test_cnn_presets_build(name, params):
    from chainrule.cli.config import ConfigSource, validate

    cfg = validate(get_preset(name), ConfigSource(name))
    model = build_model(cfg, ConfigSource(name))
    out = model.predict(np.zeros((2, 28, 28), np.float32), verbose=0)
    assert out.shape == (2, 10)
    if params is not None:
        assert sum(p.data.size for p in model.parameters()) == params


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """mnist-cnn's layers trained 2 epochs on 3,000 MNIST digits through `chainrule train`."""
    if not DATA:
        pytest.skip("needs CHAINRULE_DATA")
    tmp = tmp_path_factory.mktemp("cnn")
    cfg = get_preset("mnist-cnn")
    layers = ",\n".join(
        "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in entry.items()) + "}"
        for entry in cfg["model"]["layers"]
    )
    (tmp / "cnn.toml").write_text(
        'name = "cnn-small"\nseed = 0\nepochs = 2\nbatch_size = 64\n'
        'loss = "sparse_categorical_crossentropy"\nmetrics = ["accuracy"]\n'
        '[data]\nname = "mnist"\nlimit = 3000\ntest_limit = 500\n'
        f"[model]\nlayers = [\n{layers}\n]\n"
        '[optimizer]\nname = "adam"\nlr = 0.001\n'
    )
    assert main(["train", "--config", str(tmp / "cnn.toml"), "--out", str(tmp / "run"),
                 "--quiet"]) == 0  # fmt: skip
    return tmp / "run" / "model.zip"


@needs_mnist
def test_predict_classifies_png_digits_from_the_test_set(trained, tmp_path, capsys):
    from chainrule.datasets import load_mnist

    model = load_model(trained)
    assert model.preprocessing["height"] == 28 and model.preprocessing["white_on_black"]
    _, (x_test, y_test) = load_mnist()
    paths = []
    for i in range(20):
        img = x_test[i]
        if i % 2:  # half of them dark ink on white paper, as a user's drawing would be
            img = 255 - img
        path = tmp_path / f"digit{i}.png"
        PIL.fromarray(img.astype(np.uint8)).resize((56, 56)).save(path)  # a larger picture
        paths.append(str(path))
    capsys.readouterr()
    assert main(["predict", str(trained), *paths, "--out", str(tmp_path / "p.npy")]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith(str(tmp_path))]
    got = [int(ln.split("(class ")[1].split(",")[0]) for ln in lines]
    assert len(got) == 20
    assert np.mean(np.array(got) == y_test[:20]) >= 0.85
    assert np.load(tmp_path / "p.npy").shape == (20, 10)
    # the PNG path gives the same answer as the prepared array
    direct = model.predict(x_test[:20:2].astype(np.float32) / 255, verbose=0).argmax(1)
    assert np.mean(direct == np.array(got[::2])) >= 0.9


@needs_mnist
def test_predict_refuses_missing_and_broken_images(trained, tmp_path, capsys):
    assert main(["predict", str(trained), str(tmp_path / "none.png")]) != 0
    (tmp_path / "bad.png").write_bytes(b"not an image")
    assert main(["predict", str(trained), str(tmp_path / "bad.png")]) != 0
    assert "bad.png" in capsys.readouterr().err


@pytest.mark.parametrize(
    "spec, match",
    [
        ({"kind": "audio"}, "kind"),
        ({**image_spec(28, 28), "height": 0}, "height"),
        ({**image_spec(28, 28), "width": 10**9}, "width"),
        ({**image_spec(28, 28), "channels": 2}, "channels"),
        ({**image_spec(28, 28), "scale": float("nan")}, "scale"),
        ({**image_spec(28, 28), "scale": "1/255"}, "scale"),
        ({**image_spec(28, 28), "white_on_black": "yes"}, "white_on_black"),
        ({**image_spec(28, 28), "class_names": [1, 2]}, "class_names"),
        ({**image_spec(28, 28), "exec": "rm -rf /"}, "unknown field"),
        ([28, 28], "object"),
    ],
)
def test_preprocessing_field_is_checked(spec, match):
    with pytest.raises(ValueError, match=match):
        check_preprocessing(spec)


@needs_mnist
def test_tampered_preprocessing_in_a_model_file_is_refused(trained, tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(trained) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "config.json":
                cfg = json.loads(data)
                cfg["preprocessing"]["height"] = -5
                data = json.dumps(cfg).encode()
            dst.writestr(item, data)
    with pytest.raises(ModelFileError, match=r"bad.zip.*preprocessing.height"):
        load_model(bad)


@pytest.mark.skipif(
    not DATA or not os.path.isdir(os.path.join(DATA, "fashion-mnist")),
    reason="needs CHAINRULE_DATA",
)
def test_fashion_cnn_preset_as_configured_trains_on_a_subset(tmp_path):
    """The whole fashion-cnn preset (BN, dropout, ReduceLROnPlateau) through `chainrule train`
    on 1,200 images for 2 epochs: it learns, saves, and predicts deterministically (inference)."""
    from chainrule.cli.config import to_toml

    cfg = get_preset("fashion-cnn")
    assert sum(entry["type"] == "BatchNormalization" for entry in cfg["model"]["layers"]) == 2
    assert [cb["type"] for cb in cfg["callbacks"]] == ["ReduceLROnPlateau"]
    cfg.update(epochs=2, name="fashion-small")
    cfg["data"].update(limit=1200, test_limit=300)
    (tmp_path / "f.toml").write_text(to_toml(cfg))
    assert main(["train", "--config", str(tmp_path / "f.toml"), "--out", str(tmp_path / "run"),
                 "--quiet"]) == 0  # fmt: skip
    metrics = json.loads((tmp_path / "run" / "test_metrics.json").read_text())
    assert metrics["accuracy"] > 0.5, metrics  # 10 classes: chance is 0.1
    model = load_model(tmp_path / "run" / "model.zip")
    x = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
