"""nn modules of the PyTorch door against torch.nn: layouts, init, forward/backward, state dicts."""

from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def _copy_into(ours, theirs):
    """Load a torch module's state dict into ours (names must match exactly)."""
    result = ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []


def test_linear_layout_init_and_grads_match_torch():
    cr.manual_seed(0)
    lin = nn.Linear(6, 4)
    assert lin.weight.shape == (4, 6) and lin.bias.shape == (4,)
    assert lin.weight.dtype == np.float32
    bound = 1 / np.sqrt(6)
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.bias.data).max() <= bound
    assert lin.weight.data.std() > bound / 3  # really U(-bound, bound), not zeros
    ref = torch.nn.Linear(6, 4).double()
    ours = nn.Linear(6, 4).double()
    _copy_into(ours, ref)
    x = np.random.default_rng(1).standard_normal((5, 3, 6))
    xt = torch.tensor(x, requires_grad=True)
    xo = cr.tensor(x, requires_grad=True)
    out_t, out_o = ref(xt), ours(xo)
    np.testing.assert_allclose(out_o.numpy(), out_t.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(2).standard_normal(out_t.shape)
    out_t.backward(torch.tensor(g))
    out_o.backward(g)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.bias.grad, ref.bias.grad.numpy(), rtol=1e-10)
    assert repr(ours) == repr(ref) == "Linear(in_features=6, out_features=4, bias=True)"
    with pytest.raises(ValueError, match=r"Linear\(in_features=6.*expected 6"):
        ours(cr.zeros(2, 5))
    assert nn.Linear(3, 2, bias=False).bias is None
    assert cr.gradcheck(lambda x, w, b: F.linear(x, w, b), [np.ones((2, 3)), np.ones((4, 3)),
                                                          np.ones(4)])  # fmt: skip


def _layers(self, tnn):
    """The same network written with either library's nn."""
    self.fc1 = tnn.Linear(8, 16)
    self.bn = tnn.BatchNorm1d(16)
    self.drop = tnn.Dropout(0.5)
    self.blocks = tnn.ModuleList([tnn.Linear(16, 16), tnn.LayerNorm(16)])
    self.heads = tnn.ModuleDict({"a": tnn.Linear(16, 3), "b": tnn.Identity()})
    self.seq = tnn.Sequential(OrderedDict([("act", tnn.GELU()), ("out", tnn.Linear(16, 3))]))


def _forward(self, x):
    x = self.drop(self.bn(self.fc1(x)).relu())
    for m in self.blocks:
        x = m(x)
    return self.heads["a"](x) + self.seq(self.heads["b"](x))


class Net(nn.Module):
    def __init__(self, tnn):
        super().__init__()
        _layers(self, tnn)

    forward = _forward


class TorchNet(torch.nn.Module):
    def __init__(self, tnn):
        super().__init__()
        _layers(self, tnn)

    forward = _forward


def test_state_dict_keys_order_repr_and_predictions_match_torch():
    ref = TorchNet(torch.nn).double()
    ours = Net(nn).double()
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in ref.named_children()]
    assert repr(ours).replace("Net", "X") == repr(ref).replace("TorchNet", "X")
    with torch.no_grad():  # non-trivial running statistics and affine parameters
        for p in ref.parameters():
            p.add_(0.1 * torch.randn_like(p))
        ref.train()
        ref.bn.momentum = 0.1
        ref(torch.randn(32, 8, dtype=torch.float64))
    ref.eval()
    _copy_into(ours, ref)
    ours.eval()
    x = np.random.default_rng(0).standard_normal((7, 8))
    with torch.no_grad():
        expect = ref(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours(cr.tensor(x)).numpy(), expect, rtol=1e-10, atol=1e-12)
    ours.train()  # and back: our state dict loads into torch
    ref2 = TorchNet(torch.nn).double()
    ref2.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})
    ref2.eval()
    ours.eval()
    with torch.no_grad():
        np.testing.assert_allclose(ref2(torch.tensor(x)).numpy(), expect, rtol=1e-10)


def test_batchnorm1d_training_updates_running_stats_like_torch():
    ref = torch.nn.BatchNorm1d(5).double()
    ours = nn.BatchNorm1d(5).double()
    rng = np.random.default_rng(3)
    for shape in [(16, 5), (8, 5, 3), (4, 5)]:
        x = rng.standard_normal(shape) * 3 + 1
        xt, xo = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
        yt, yo = ref(xt), ours(xo)
        np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-12)
        yt.sum().backward()
        (yo * 1.0).sum().backward()
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[k], v.numpy(), rtol=1e-10, err_msg=k)
    assert int(ours.num_batches_tracked.item()) == 3
    ref.eval(), ours.eval()
    x = rng.standard_normal((3, 5))
    np.testing.assert_allclose(ours(cr.tensor(x)).numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-10)  # fmt: skip
    cum_t = torch.nn.BatchNorm1d(2, momentum=None, affine=False).double()
    cum_o = nn.BatchNorm1d(2, momentum=None, affine=False).double()
    for _ in range(3):
        x = rng.standard_normal((6, 2))
        cum_t(torch.tensor(x)), cum_o(cr.tensor(x))
    np.testing.assert_allclose(cum_o.running_var.numpy(), cum_t.running_var.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(5\).*3 channels"):
        ours(cr.zeros(4, 3))
    no_stats = nn.BatchNorm1d(3, track_running_stats=False).eval()
    assert "running_mean" not in no_stats.state_dict()
    assert abs(no_stats(cr.randn(10, 3)).numpy().mean()) < 1e-5  # batch statistics in eval


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.ReLU(), lambda m: m.LeakyReLU(0.2), lambda m: m.Sigmoid(), lambda m: m.Tanh(),
        lambda m: m.Softmax(dim=1), lambda m: m.LogSoftmax(dim=0), lambda m: m.GELU(),
        lambda m: m.GELU(approximate="tanh"), lambda m: m.SiLU(), lambda m: m.ELU(alpha=0.5),
        lambda m: m.Softplus(beta=2.0), lambda m: m.Hardtanh(-0.5, 0.5), lambda m: m.Mish(),
        lambda m: m.ReLU6(), lambda m: m.SELU(), lambda m: m.Flatten(0, 1),
        lambda m: m.Unflatten(1, (2, 3)), lambda m: m.Identity(),
    ],
)  # fmt: skip
def test_activation_and_shape_modules_match_torch(make):
    x = np.random.default_rng(4).standard_normal((4, 6)) * 3
    xt, xo = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    yt, yo = make(torch.nn)(xt), make(nn)(xo)
    np.testing.assert_allclose(yo.numpy(), yt.detach().numpy(), rtol=1e-7, atol=1e-10)
    g = np.random.default_rng(5).standard_normal(yt.shape)
    yt.backward(torch.tensor(g))
    (yo * cr.tensor(g)).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-6, atol=1e-9)
    assert repr(make(nn)) == repr(make(torch.nn))


def test_dropout_trains_and_evaluates_like_torch():
    cr.manual_seed(0)
    drop = nn.Dropout(0.3)
    x = cr.ones(200, 100)
    y = drop(x).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.02
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_sequential_and_containers_behave_like_torch():
    seq = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Linear)
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    head = seq[:2]
    assert (
        isinstance(head, nn.Sequential) and len(head) == 2 and head(cr.ones(1, 3)).shape == (1, 4)
    )
    seq.append(nn.Softmax(dim=1))
    assert len(seq) == 4 and [type(m).__name__ for m in seq][-1] == "Softmax"
    np.testing.assert_allclose(seq(cr.ones(2, 3)).sum(1).numpy(), 1.0, rtol=1e-6)
    named = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and named.fc is named[0]
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 4 and list(ml.state_dict())[-1] == "3.bias"
    md = nn.ModuleDict({"x": nn.Linear(1, 1)})
    md["y"] = nn.Linear(1, 2)
    assert list(md.keys()) == ["x", "y"] and "y.weight" in md.state_dict()
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.Linear(1, 1), lambda x: x)


def test_module_api_modes_dtype_apply_zero_grad_and_buffers():
    model = Net(nn)
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.bn.running_mean.dtype == np.float64
    model.to(cr.float32)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert model.to("cpu") is model and model.cpu() is model
    with pytest.raises(RuntimeError, match="not available"):
        model.to("cuda")
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Linear") == 4
    model.apply(lambda m: nn.init.zeros_(m.bias) if isinstance(m, nn.Linear) else None)
    assert all(np.all(m.bias.data == 0) for m in model.modules() if isinstance(m, nn.Linear))
    out = model(cr.randn(4, 8)).sum()
    out.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(np.all(p.grad == 0) for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())
    m = nn.Module()
    m.register_buffer("steps", cr.zeros(3))
    m.register_buffer("cache", cr.ones(2), persistent=False)
    m.register_parameter("w", nn.Parameter(cr.ones(2)))
    m.add_module("sub", nn.Linear(1, 1))
    assert list(m.state_dict()) == ["w", "steps", "sub.weight", "sub.bias"]  # as PyTorch orders
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    missing = m.load_state_dict({"w": np.zeros(2)}, strict=False)
    assert missing.missing_keys == ["steps", "sub.weight", "sub.bias"]
    with pytest.raises(ValueError, match="missing entries"):
        m.load_state_dict({"w": np.zeros(2)})
    assert m.get_submodule("sub") is m.sub


def test_keras_layer_and_torch_module_mix():
    """A Keras-style layer inside nn.Sequential, and an nn.Module inside the Keras fit loop."""
    from chainrule.layers import Dense

    mixed = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), Dense(3))
    assert mixed(cr.ones(2, 4)).shape == (2, 3)
    assert "2.kernel" in mixed.state_dict()
    cr.manual_seed(0)
    x = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = cr.Sequential([nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2)])
    loss = cr.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(cr.optimizers.Adam(learning_rate=0.01), loss, metrics=["accuracy"])
    hist = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0] * 0.5


def test_init_functions_follow_torch_formulas():
    cr.manual_seed(0)
    w = cr.empty(300, 200)
    nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain("relu"))
    bound = np.sqrt(2) * np.sqrt(6 / 500)
    assert np.abs(w.numpy()).max() <= bound and w.numpy().std() == pytest.approx(
        bound / np.sqrt(3), rel=0.02
    )
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.numpy().std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    nn.init.kaiming_uniform_(w, a=np.sqrt(5))
    assert np.abs(w.numpy()).max() <= 1 / np.sqrt(200)
    nn.init.normal_(w, 1.0, 0.5)
    assert w.numpy().mean() == pytest.approx(1.0, abs=0.01)
    nn.init.constant_(w, 0.25)
    assert np.all(w.numpy() == 0.25)
    q = nn.init.orthogonal_(cr.empty(4, 6))
    np.testing.assert_allclose(q.numpy() @ q.numpy().T, np.eye(4), atol=1e-5)
    for name, param in [("tanh", None), ("leaky_relu", 0.2), ("selu", None), ("linear", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param)
        )
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(cr.empty(3))
    assert w.dtype == np.float32
