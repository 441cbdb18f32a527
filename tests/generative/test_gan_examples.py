"""The DCGAN examples (examples/pytorch/dcgan.py, examples/keras/dcgan.py) run end to end on a
small MNIST subset (seconds) and write their per-epoch sample grids."""

from __future__ import annotations

import math
import os

import pytest
from examples_util import load_example

import chainrule as torch

pytestmark = pytest.mark.skipif(
    not os.environ.get("CHAINRULE_DATA"), reason="needs CHAINRULE_DATA (the real datasets)"
)


def test_pytorch_dcgan_example(tmp_path, capsys):
    mod = load_example("pytorch/dcgan")
    g, d = mod.Generator(16, ngf=8), mod.Discriminator(ndf=8)
    img = g(torch.randn(3, 16))
    assert tuple(img.shape) == (3, 1, 28, 28) and tuple(d(img).shape) == (3,)
    means = mod.main(["--epochs", "2", "--subset", "256", "--nz", "16", "--label-smoothing",
                      "0.1", "--out", str(tmp_path)])  # fmt: skip
    assert all(math.isfinite(v) for v in means.values())
    assert 0 < means["d_fake"] < 1
    assert (tmp_path / "epoch_002.png").read_bytes()[:4] == b"\x89PNG"
    assert "[2/2] Loss_D:" in capsys.readouterr().out


def test_keras_dcgan_example_trains_through_fit(tmp_path):
    mod = load_example("keras/dcgan")
    hist = mod.main(["--epochs", "2", "--subset", "256", "--width", "8", "--latent-dim", "16",
                     "--label-smoothing", "0.1", "--verbose", "0", "--out", str(tmp_path)])  # fmt: skip
    assert set(hist) == {"d_loss", "g_loss"} and len(hist["g_loss"]) == 2
    assert all(math.isfinite(v) for vs in hist.values() for v in vs)
    assert (tmp_path / "epoch_002.png").read_bytes()[:4] == b"\x89PNG"
