"""examples/keras/mnist_vae.py and examples/pytorch/mnist_vae.py run (both architectures) on a
small MNIST subset, learn, and write their PNGs; the Keras example's decoder file generates."""

import runpy
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _main(door: str):
    return runpy.run_path(str(EXAMPLES / door / "mnist_vae.py"), run_name="example")["main"]


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_keras_example(arch, data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("CHAINRULE_DATA", str(data_dir))
    r = _main("keras")(["--arch", arch, "--epochs", "2", "--subset", "320", "--test-subset",
                        "64", "--iwae-k", "4", "--out", str(tmp_path), "--verbose", "0"])  # fmt: skip
    losses = r["history"].history["loss"]
    assert losses[1] < losses[0] < 560  # 784 log 2 = 543 nats at the start
    b = r["bounds"]
    assert b["neg_elbo"] == pytest.approx(b["reconstruction"] + b["kl"], rel=1e-6)
    assert b["iwae_nll"] < b["neg_elbo"] + 2
    for name in ("samples.png", "reconstructions.png", "interpolation.png", "decoder.zip"):
        assert (tmp_path / name).is_file()
    from chainrule.generative.sampling import generate_images
    from chainrule.io.model_file import load_model

    dec = load_model(tmp_path / "decoder.zip")
    assert generate_images(dec, dec.preprocessing, 4).shape == (4, 28, 28, 1)


@pytest.mark.parametrize("arch", ["mlp", "conv"])
def test_pytorch_example(arch, data_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("CHAINRULE_DATA", str(data_dir))
    r = _main("pytorch")(["--arch", arch, "--epochs", "2", "--subset", "320", "--test-subset",
                          "64", "--iwae-k", "4", "--out", str(tmp_path)])  # fmt: skip
    h = r["history"]
    assert h["train_loss"][1] < h["train_loss"][0] < 560
    assert h["test_loss"][1] < h["test_loss"][0]
    assert r["iwae_nll"] < h["test_loss"][-1] + 5
    for name in ("sample_1.png", "sample_2.png", "reconstruction.png", "interpolation.png",
                 f"vae_{arch}.pt"):  # fmt: skip
        assert (tmp_path / name).is_file()
    import chainrule as torch

    state = torch.load(tmp_path / f"vae_{arch}.pt")
    np.testing.assert_array_equal(state["fc21.weight"].numpy(), r["model"].fc21.weight.data)
