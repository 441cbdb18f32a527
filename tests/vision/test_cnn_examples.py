"""The CNN examples run end to end on small MNIST / Fashion-MNIST subsets (seconds each) and learn
well above chance (10%)."""

from __future__ import annotations

import os

import pytest
from examples_util import load_example

pytestmark = pytest.mark.skipif(
    not os.environ.get("CHAINRULE_DATA"), reason="needs CHAINRULE_DATA (the real datasets)"
)


def test_keras_simple_convnet(capsys):
    mod = load_example("keras/mnist_convnet")
    assert sum(p.data.size for p in mod.build_model().parameters()) == 34_826  # as keras.io
    acc = mod.main(["--epochs", "2", "--subset", "1500", "--test-subset", "500", "--verbose", "0"])
    assert acc > 0.6
    assert "Test accuracy" in capsys.readouterr().out


def test_lenet5():
    mod = load_example("keras/lenet5")
    assert sum(p.data.size for p in mod.build_lenet5().parameters()) == 61_706
    augmented = mod.build_lenet5(augment=True)
    assert sum(p.data.size for p in augmented.parameters()) == 61_706
    assert [type(layer).__name__ for layer in augmented.layers[:2]] == [
        "RandomTranslation",
        "RandomRotation",
    ]
    small = ["--epochs", "2", "--subset", "1500", "--test-subset", "500", "--verbose", "0"]
    assert mod.main([*small, "--no-augment"]) > 0.6
    assert mod.main(small) > 0.3  # distorted digits: slower on 1,500 images, still far above 10 %


def test_pytorch_basic_mnist_cnn(tmp_path):
    mod = load_example("pytorch/mnist_cnn")
    _, (_, acc) = mod.main(["--epochs", "1", "--subset", "1280", "--test-subset", "500",
                               "--log-interval", "100", "--save-model",
                               "--model-path", str(tmp_path / "m.pt")])  # fmt: skip
    assert acc > 0.6
    assert (tmp_path / "m.pt").exists()


def test_residual_vs_plain_writes_curves(tmp_path):
    pytest.importorskip("matplotlib")
    mod = load_example("keras/residual_vs_plain")
    results = mod.main(["--blocks", "1", "--epochs", "1", "--subset", "256", "--test-subset",
                        "128", "--plot", str(tmp_path / "c.png")])  # fmt: skip
    assert set(results) == {"plain", "resnet"} and (tmp_path / "c.png").stat().st_size > 1000
