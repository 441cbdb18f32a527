"""torch.save / torch.load of state dicts in the safe format; real PyTorch files are refused."""

import zipfile

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.optim as optim
from chainrule.io import ModelFileError


def _model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def test_state_dicts_and_checkpoints_round_trip(tmp_path):
    cr.manual_seed(0)
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    for _ in range(3):
        opt.zero_grad()
        model(cr.randn(8, 3)).sum().backward()
        opt.step()
        sched.step()
    path = tmp_path / "ckpt.pt"
    cr.save({"epoch": 3, "model": model.state_dict(), "optimizer": opt.state_dict(),
             "scheduler": sched.state_dict(), "best": float("inf"), "tags": ("a", 1)}, path)  # fmt: skip
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["chainrule-torch-save.json", "tensors.safetensors"]
    ckpt = cr.load(path)
    assert ckpt["epoch"] == 3 and ckpt["best"] == float("inf") and ckpt["tags"] == ["a", 1]
    assert isinstance(ckpt["model"]["0.weight"], cr.Tensor)
    assert ckpt["model"]["1.num_batches_tracked"].item() == 3
    model2, opt2 = _model(), None
    model2.load_state_dict(ckpt["model"])
    opt2 = optim.Adam(model2.parameters(), lr=0.01)
    opt2.load_state_dict(ckpt["optimizer"])
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=2)
    sched2.load_state_dict(ckpt["scheduler"])
    for a, b in zip(model.state_dict().values(), model2.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    x = cr.randn(8, 3)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).sum().backward()
        o.step()
    np.testing.assert_array_equal(model[0].weight.numpy(), model2[0].weight.numpy())
    assert sched2.get_last_lr() == sched.get_last_lr()
    with pytest.raises(TypeError, match="state_dict"):
        cr.save(model, tmp_path / "model.pt")


def test_real_torch_files_are_refused_and_safetensors_load(tmp_path):
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                              torch.nn.Linear(4, 2))  # fmt: skip
    pt = tmp_path / "model.pt"
    torch.save(ref.state_dict(), pt)
    with pytest.raises(ModelFileError, match="never unpickles.*safetensors"):
        cr.load(pt)
    legacy = tmp_path / "legacy.pt"
    torch.save(ref.state_dict(), legacy, _use_new_zipfile_serialization=False)
    with pytest.raises(ModelFileError, match="pickle"):
        cr.load(legacy)
    with pytest.raises(ValueError, match="weights_only=False"):
        cr.load(pt, weights_only=False)
    from safetensors.torch import save_file

    st = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in ref.state_dict().items()}, st)
    model = _model()
    model.load_state_dict(cr.load(st), strict=True)
    ref.eval(), model.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    with torch.no_grad():
        expect = ref(torch.tensor(x)).numpy()
    np.testing.assert_allclose(model(cr.tensor(x)).numpy(), expect, rtol=1e-5, atol=1e-6)
    back = tmp_path / "back.safetensors"  # and back into torch
    save_file({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in model.state_dict().items()},
              back)  # fmt: skip
    from safetensors.torch import load_file

    ref2 = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
                               torch.nn.Linear(4, 2)).eval()  # fmt: skip
    ref2.load_state_dict(load_file(back), strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(ref2(torch.tensor(x)).numpy(), expect, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="map_location"):
        cr.load(st, map_location="cuda:0")
    assert cr.load(st, map_location="cpu").keys() == cr.load(st).keys()
