"""The "generator" preprocessing kind: strict checks of every field, save/load round trip."""

import copy

import pytest

from chainrule.io.generator_spec import check_generator_spec, generator_spec
from chainrule.io.preprocessing import check_preprocessing

GOOD = generator_spec(20, 28, 28)


def test_builder_fills_every_field_and_round_trips():
    assert GOOD == {"kind": "generator", "latent_dim": 20, "prior": "normal", "height": 28,
                    "width": 28, "channels": 1, "layout": "channels_last",
                    "output": "bernoulli-logits", "num_classes": None,
                    "label_input": None}  # fmt: skip
    assert check_preprocessing(copy.deepcopy(GOOD)) == GOOD
    cond = generator_spec(100, 28, 28, output="tanh", num_classes=10, class_names=range(10))
    assert cond["label_input"] == "index" and cond["class_names"][3] == "3"
    assert check_preprocessing(cond) == cond


BAD = [
    ({"latent_dim": 0}, "latent_dim"),
    ({"latent_dim": True}, "latent_dim"),
    ({"latent_dim": 20.0}, "latent_dim"),
    ({"latent_dim": 10**6}, "latent_dim"),
    ({"height": -1}, "height"),
    ({"width": "28"}, "width"),
    ({"channels": 2}, "channels"),
    ({"channels": True}, "channels"),
    ({"prior": "cauchy"}, "prior"),
    ({"layout": "nhwc"}, "layout"),
    ({"output": "linear"}, "output"),
    ({"output": None}, "output"),
    ({"num_classes": 1, "label_input": "index"}, "num_classes"),
    ({"num_classes": 10, "label_input": None}, "label_input"),
    ({"num_classes": 10, "label_input": "embedding"}, "label_input"),
    ({"label_input": "index"}, "label_input"),
    ({"class_names": ["a", "b"]}, "class_names"),
    ({"num_classes": 3, "label_input": "index", "class_names": ["a", "b"]}, "class_names"),
    ({"num_classes": 2, "label_input": "index", "class_names": ["a", 1]}, "class_names"),
    ({"extra": 1}, "unknown field"),
    ({"kind": "image"}, "kind"),
]


@pytest.mark.parametrize(("change", "match"), BAD)
def test_bad_fields_are_refused(change, match):
    spec = {**GOOD, **change}
    with pytest.raises(ValueError, match=match):
        check_generator_spec(spec)


@pytest.mark.parametrize("key", [k for k in GOOD if k != "kind"])
def test_missing_field_is_refused(key):
    spec = {k: v for k, v in GOOD.items() if k != key}
    with pytest.raises(ValueError, match=key):
        check_preprocessing(spec)


def test_not_an_object():
    with pytest.raises(ValueError, match="object"):
        check_generator_spec([1, 2])


def test_model_file_round_trip_and_tampered_file(tmp_path):
    import json
    import zipfile

    import chainrule as cr
    from chainrule import layers
    from chainrule.io import ModelFileError
    from chainrule.io.model_file import load_model, save_model

    cr.manual_seed(0)
    dec = cr.training.Sequential([layers.Dense(8, activation="relu"), layers.Dense(4 * 3)])
    dec(cr.tensor([[0.0, 1.0]]))
    dec.preprocessing = generator_spec(2, 4, 3)
    path = save_model(dec, tmp_path / "g.zip")
    assert load_model(path).preprocessing == dec.preprocessing
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(members["config.json"])
    config["preprocessing"]["latent_dim"] = -3
    members["config.json"] = json.dumps(config).encode()
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    with pytest.raises(ModelFileError, match="latent_dim"):
        load_model(bad)
