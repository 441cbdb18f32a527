"""Weights exported by chainrule load into the equivalent PyTorch model via safetensors.torch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule import layers as L
from chainrule.io import export_torch_state_dict, save_torch_weights

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")


class TorchTwin(torch.nn.Module):
    """The PyTorch counterpart of the chainrule model below: same layer indices, ReLU in forward."""

    def __init__(self):
        super().__init__()
        self.layers = torch.nn.ModuleList(
            [
                torch.nn.Flatten(),
                torch.nn.Linear(12, 16),
                torch.nn.BatchNorm1d(16, eps=1e-3),
                torch.nn.Dropout(0.2),
                torch.nn.Linear(16, 8),
                torch.nn.LayerNorm(8, eps=1e-3),
                torch.nn.Linear(8, 5),
            ]
        )

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == 1:
                x = torch.relu(x)
        return x


def _chainrule_model(x):
    model = L.Sequential(
        [
            L.Flatten(),
            L.Dense(16, activation="relu"),
            L.BatchNormalization(),
            L.Dropout(0.2),
            L.Dense(8),
            L.LayerNormalization(epsilon=1e-3),
            L.Dense(5),
        ]
    )
    model.train()
    model(x)  # builds, and moves the BatchNorm running statistics away from 0/1
    model.eval()
    return model


def test_torch_model_loads_the_weights_and_predicts_the_same(tmp_path):
    x = chainrule.get_generator().normal(size=(6, 3, 4)).astype(np.float32)
    model = _chainrule_model(x)
    path = save_torch_weights(model, tmp_path / "weights.safetensors")
    twin = TorchTwin().eval()
    twin.load_state_dict(st_torch.load_file(str(path)), strict=True)
    with torch.no_grad():
        expected = twin(torch.from_numpy(x)).numpy()
    got = model(x).data
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_mapping_transposes_dense_kernels_and_renames():
    model = L.Sequential([L.Dense(3, input_dim=4), L.BatchNormalization(), L.Dense(2)])
    model(np.zeros((2, 4), np.float32))
    sd = export_torch_state_dict(model)
    assert np.array_equal(sd["layers.0.weight"], model.layers[0].kernel.data.T)
    assert sd["layers.0.weight"].flags["C_CONTIGUOUS"]
    assert set(sd) >= {
        "layers.1.weight",
        "layers.1.bias",
        "layers.1.running_mean",
        "layers.1.running_var",
    }
    assert sd["layers.1.num_batches_tracked"].shape == ()
    bare = export_torch_state_dict(model, strip_prefix="layers.")
    assert "0.weight" in bare and "2.bias" in bare
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in bare.items()}, strict=True)


def test_layer_without_a_torch_mapping_is_named():
    class Scale(L.Layer):
        def build(self, input_shape):
            self.alpha = chainrule.nn.Parameter(np.ones(1, np.float32))

        def forward(self, x):
            return x * self.alpha

    model = L.Sequential([Scale(name="scale")])
    model(np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="no PyTorch mapping for Scale 'layers.0'"):
        export_torch_state_dict(model)


def test_safetensors_header_length_with_low_byte_0x80_is_not_taken_for_a_pickle(tmp_path):
    """A safetensors file starts with its header length (little-endian u64): a length whose low
    byte is 0x80 looks like a pickle's first byte and must still load."""
    from safetensors.numpy import save_file

    for n in range(1, 300):  # find a name length that makes the header 0x80 mod 256 bytes long
        path = tmp_path / f"w{n}.safetensors"
        save_file({"w" * n: np.arange(3, dtype=np.float32)}, str(path))
        if path.read_bytes()[0] == 0x80:
            break
    else:
        pytest.fail("no header length ending in 0x80 found")
    loaded = chainrule.load(path)
    np.testing.assert_array_equal(loaded["w" * n].numpy(), np.arange(3, dtype=np.float32))
