"""PyTorch weights both ways, against real torch: a torch ``state_dict`` saved with safetensors
loads into the PyTorch-door twin (same outputs), and Keras-door weights load into the torch twin."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import layers, nn
from chainrule.io import export_torch_state_dict, load_torch_weights, save_torch_weights

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")

# One builder per family, applied to torch.nn and to chainrule.nn alike (the PyTorch door has
# torch's signatures). Families whose chainrule.nn class has not landed yet are skipped by name
# and start running as soon as it does.
FAMILIES = {
    "linear": (lambda m: m.Linear(6, 4), (5, 6)),
    "mlp": (lambda m: m.Sequential(m.Linear(6, 8), m.ReLU(), m.Linear(8, 3)), (5, 6)),
    "batchnorm1d": (lambda m: m.Sequential(m.Linear(6, 4), m.BatchNorm1d(4)), (5, 6)),
    "batchnorm2d": (lambda m: m.BatchNorm2d(3), (2, 3, 4, 4)),
    "layernorm": (lambda m: m.LayerNorm(6), (5, 6)),
    "layernorm_2d": (lambda m: m.LayerNorm([3, 4], eps=1e-3), (2, 3, 4)),
    "conv2d": (lambda m: m.Sequential(m.Conv2d(3, 4, 3, padding=1), m.ReLU(), m.MaxPool2d(2)),
               (2, 3, 6, 6)),
    "conv1d": (lambda m: m.Conv1d(3, 5, 3, stride=2), (2, 3, 9)),
    "conv_transpose2d": (lambda m: m.ConvTranspose2d(3, 2, 3, stride=2), (2, 3, 4, 4)),
    "embedding": (lambda m: m.Embedding(10, 4), "indices"),
    "lstm": (lambda m: m.LSTM(4, 5, batch_first=True), (2, 3, 4)),
    "gru": (lambda m: m.GRU(4, 5, batch_first=True), (2, 3, 4)),
}  # fmt: skip


def _needed_classes(build):
    names = []

    class Probe:
        def __getattr__(self, name):
            names.append(name)
            return lambda *a, **k: None

    build(Probe())
    return names


def _first(out):
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_torch_state_dict_loads_into_pytorch_door(family, tmp_path):
    build, shape = FAMILIES[family]
    missing = [n for n in _needed_classes(build) if not hasattr(nn, n)]
    if missing:
        pytest.skip(f"chainrule.nn has no {missing} yet")
    torch.manual_seed(0)
    ref = build(torch.nn)
    if shape == "indices":
        x = np.random.default_rng(0).integers(0, 10, (3, 5))
        xt, xc = torch.from_numpy(x), cr.tensor(x)
    else:
        x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
        xt, xc = torch.from_numpy(x), cr.tensor(x)
        ref.train()
        with torch.no_grad():  # move the norm layers' running statistics away from 0/1
            ref(xt * 2 + 1)
    ref.eval()
    st_torch.save_file(ref.state_dict(), str(tmp_path / "w.safetensors"))
    ours = build(nn)
    load_torch_weights(ours, tmp_path / "w.safetensors")
    ours.eval()
    with torch.no_grad():
        want = _first(ref(xt)).numpy()
    got = _first(ours(xc)).numpy()
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # and back: the PyTorch-door model's weights load into torch unchanged
    save_torch_weights(ours, tmp_path / "back.safetensors")
    twin = build(torch.nn)
    twin.load_state_dict(st_torch.load_file(str(tmp_path / "back.safetensors")), strict=True)
    twin.eval()
    with torch.no_grad():
        np.testing.assert_allclose(_first(twin(xt)).numpy(), want, rtol=1e-6, atol=1e-6)


def test_load_torch_weights_checks_before_writing(tmp_path):
    torch.manual_seed(0)
    st_torch.save_file(torch.nn.Linear(6, 3).state_dict(), str(tmp_path / "w.safetensors"))
    ours = nn.Linear(6, 4)
    before = ours.weight.numpy().copy()
    with pytest.raises(ValueError, match="weight"):
        load_torch_weights(ours, tmp_path / "w.safetensors")
    np.testing.assert_array_equal(ours.weight.numpy(), before)


# ---- Keras door → torch ---------------------------------------------------------------------
class _KerasStyleConv(layers.Layer):
    """A Keras-style layer with no registered PyTorch layout: exported op by op."""

    def __init__(self, filters, **kw):
        super().__init__(**kw)
        self.filters = filters

    def build(self, input_shape):
        rng = np.random.default_rng(3)
        self.kernel = nn.Parameter(
            rng.standard_normal((3, 3, input_shape[-1], self.filters)).astype(np.float32)
        )
        self.bias = nn.Parameter(rng.standard_normal(self.filters).astype(np.float32))

    def forward(self, x):
        return cr.ops.conv2d(x, self.kernel, self.bias, padding="same")


class _KerasStyleEmbedding(layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.autocast = False  # integer indices stay integers

    def build(self, input_shape):
        self.embeddings = nn.Parameter(
            np.random.default_rng(4).standard_normal((10, 3)).astype(np.float32)
        )

    def forward(self, i):
        return cr.ops.embedding(i, self.embeddings)


def test_op_level_layouts_for_unregistered_layers():
    x = np.random.default_rng(2).standard_normal((2, 5, 5, 2)).astype(np.float32)
    model = cr.models.Sequential([layers.Input((5, 5, 2)), _KerasStyleConv(4)])
    sd = export_torch_state_dict(model, strip_prefix="layers.")
    conv = torch.nn.Conv2d(2, 4, 3, padding=1)
    conv.load_state_dict({"weight": torch.from_numpy(sd["0.weight"]),
                          "bias": torch.from_numpy(sd["0.bias"])})  # fmt: skip
    with torch.no_grad():
        want = conv(torch.from_numpy(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(model(x).numpy(), want, rtol=1e-5, atol=1e-5)

    idx = np.array([[1, 2, 9], [0, 0, 4]])
    emb_model = cr.models.Sequential([layers.Input((3,), dtype="int64"), _KerasStyleEmbedding()])
    sd = export_torch_state_dict(emb_model, example_input=idx)
    emb = torch.nn.Embedding(10, 3)
    emb.load_state_dict({"weight": torch.from_numpy(sd["layers.0.weight"])})
    with torch.no_grad():
        np.testing.assert_allclose(emb(torch.from_numpy(idx)).numpy(), emb_model(idx).numpy())
