"""PyTorch-door vision modules and functions against torch itself: same weights, same outputs and
gradients; a real torch CNN state dict loads strictly and predicts the same."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def _pair(cr_mod, th_mod, shape, tol=2e-5):
    """Copy th_mod's parameters into cr_mod, compare forward and all gradients."""
    if th_mod is not None:
        state = {
            k: cr.from_numpy(v.detach().numpy().copy()) for k, v in th_mod.state_dict().items()
        }
        cr_mod.load_state_dict(state, strict=True)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xc, xt = cr.Tensor(x.copy(), requires_grad=True), torch.tensor(x, requires_grad=True)
    y, ty = cr_mod(xc), th_mod(xt)
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    w = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    (y * cr.Tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xc.grad, xt.grad.numpy(), rtol=tol, atol=tol)
    for (name, p), (_, tp) in zip(cr_mod.named_parameters(), th_mod.named_parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=tol, atol=tol, err_msg=name)


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((3, 4, 3), {}),
        ((3, 6, (3, 2)), {"stride": 2, "padding": 1}),
        ((3, 4, 3), {"padding": "same", "dilation": 2}),
        ((4, 6, 3), {"groups": 2, "bias": False, "padding": (1, 0)}),
        ((3, 3, 2), {"groups": 3, "padding": "valid"}),
    ],
)
def test_conv2d_module_matches_torch(args, kwargs):
    _pair(nn.Conv2d(*args, **kwargs), torch.nn.Conv2d(*args, **kwargs), (2, args[0], 7, 8))


def test_conv1d_and_unbatched_inputs_match_torch():
    _pair(nn.Conv1d(3, 5, 3, stride=2, padding=1), torch.nn.Conv1d(3, 5, 3, stride=2, padding=1),
          (2, 3, 11))  # fmt: skip
    _pair(nn.Conv2d(3, 4, 3), torch.nn.Conv2d(3, 4, 3), (3, 6, 6))  # (C, H, W): batch of one


@pytest.mark.parametrize(
    "kwargs", [{}, {"stride": 2, "padding": 1, "output_padding": 1}, {"dilation": 2, "groups": 2}]
)
def test_conv_transpose2d_module_matches_torch(kwargs):
    _pair(nn.ConvTranspose2d(4, 6, 3, **kwargs), torch.nn.ConvTranspose2d(4, 6, 3, **kwargs),
          (2, 4, 5, 6))  # fmt: skip


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.MaxPool2d(2),
        lambda m: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        lambda m: m.MaxPool2d(2, dilation=2),
        lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        lambda m: m.AvgPool2d(2, ceil_mode=True, divisor_override=3),
        lambda m: m.AdaptiveAvgPool2d((3, 2)),
        lambda m: m.AdaptiveAvgPool2d(1),
        lambda m: m.Upsample(scale_factor=2),
        lambda m: m.Upsample(size=(5, 9), mode="bilinear"),
        lambda m: m.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True),
        lambda m: m.ZeroPad2d((1, 2, 0, 3)),
        lambda m: m.ZeroPad2d(1),
        lambda m: m.ZeroPad2d((-1, 2, 0, -2)),
    ],
)
def test_pool_pad_upsample_modules_match_torch(make):
    _pair(make(nn), make(torch.nn), (2, 3, 7, 8))


def test_1d_pools_match_torch():
    _pair(nn.MaxPool1d(3, 2), torch.nn.MaxPool1d(3, 2), (2, 3, 10))
    _pair(nn.AvgPool1d(2, padding=1), torch.nn.AvgPool1d(2, padding=1), (2, 3, 9))


def test_functional_forms_use_torch_argument_names():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    pairs = [
        (F.conv2d(cr.Tensor(x), cr.Tensor(w), cr.Tensor(b), stride=2, padding=1),
         torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride=2,
                                    padding=1)),
        (F.max_pool2d(cr.Tensor(x), kernel_size=3, stride=1, padding=1),
         torch.nn.functional.max_pool2d(torch.tensor(x), kernel_size=3, stride=1, padding=1)),
        (F.avg_pool2d(cr.Tensor(x), 2), torch.nn.functional.avg_pool2d(torch.tensor(x), 2)),
        (F.adaptive_avg_pool2d(cr.Tensor(x), 3),
         torch.nn.functional.adaptive_avg_pool2d(torch.tensor(x), 3)),
        (F.interpolate(cr.Tensor(x), scale_factor=2, mode="bilinear"),
         torch.nn.functional.interpolate(torch.tensor(x), scale_factor=2, mode="bilinear")),
        (F.conv_transpose2d(cr.Tensor(x), cr.Tensor(w.transpose(1, 0, 2, 3).copy()), stride=2),
         torch.nn.functional.conv_transpose2d(torch.tensor(x),
                                              torch.tensor(w.transpose(1, 0, 2, 3).copy()),
                                              stride=2)),
    ]  # fmt: skip
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=2e-5, atol=2e-5)


def test_dropout2d_zeroes_whole_channels_in_training_only():
    cr.manual_seed(0)
    d = nn.Dropout2d(0.5)
    x = cr.ones(4, 8, 5, 5)
    y = d(x).numpy().reshape(4, 8, 25)
    assert np.all(y.min(-1) == y.max(-1)) and set(np.unique(y)) <= {0.0, 2.0}
    assert 0 < (y == 0).mean() < 1
    d.eval()
    np.testing.assert_array_equal(d(x).numpy(), x.numpy())


def test_default_init_follows_torch_bounds():
    cr.manual_seed(0)
    conv = nn.Conv2d(6, 8, (3, 5), groups=2)
    bound = 1 / np.sqrt(3 * 15)  # fan_in = C_in/groups · kh · kw
    w = conv.weight.numpy()
    assert w.shape == (8, 3, 3, 5) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(conv.bias.numpy()).max() <= bound
    tconv = nn.ConvTranspose2d(4, 6, 3)
    assert tconv.weight.shape == (4, 6, 3, 3)
    assert np.abs(tconv.weight.numpy()).max() <= 1 / np.sqrt(6 * 9)


class _TorchCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2)
        self.fc = torch.nn.Linear(16 * 6 * 6, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        return self.fc(torch.flatten(torch.relu(self.conv2(x)), 1))


class _CrCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2)
        self.fc = nn.Linear(16 * 6 * 6, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        return self.fc(cr.flatten(F.relu(self.conv2(x)), 1))


def test_torch_cnn_state_dict_loads_strictly_and_predicts_the_same(tmp_path):
    torch.manual_seed(0)
    theirs = _TorchCNN()
    x = torch.randn(6, 1, 28, 28)
    theirs.train()
    theirs(x)  # move the running statistics away from their initial values
    theirs.eval()
    from safetensors.torch import save_file

    path = tmp_path / "cnn.safetensors"  # chainrule never unpickles: the documented conversion
    save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, str(path))
    ours = _CrCNN()
    ours.load_state_dict(cr.load(str(path)), strict=True)
    ours.eval()
    np.testing.assert_allclose(ours(cr.from_numpy(x.numpy())).numpy(),
                               theirs(x).detach().numpy(), rtol=1e-5, atol=1e-5)  # fmt: skip


@pytest.mark.parametrize(
    "make, err, match",
    [
        (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError, "strided"),
        (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, "divisible by groups"),
        (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size"),
        (lambda: nn.Conv2d(3, 4, 3, padding_mode="reflect"), ValueError, "padding_mode"),
        (
            lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2),
            ValueError,
            "output_padding",
        ),
        (lambda: nn.MaxPool2d(2, return_indices=True), ValueError, "return_indices"),
        (lambda: nn.Upsample(), ValueError, "size and scale_factor"),
        (lambda: nn.Conv2d(3.0, 4, 3), TypeError, "in_channels"),
    ],
)
def test_bad_constructor_arguments(make, err, match):
    with pytest.raises(err, match=match):
        make()


def test_bad_inputs_name_the_module_and_shapes():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*\(2, 5, 8, 8\) has 5 channels"):
        conv(cr.zeros(2, 5, 8, 8))
    with pytest.raises(ValueError, match=r"Conv2d.*3-D.*4-D.*\(8, 8\)"):
        conv(cr.zeros(8, 8))
    with pytest.raises(ValueError, match="max_pool2d"):
        F.max_pool2d(cr.zeros(8), 2)
