"""The Tensor methods and top-level functions PyTorch code uses, against torch."""

import numpy as np
import pytest
import torch

import chainrule as cr

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7 - 1


def both(fn):
    """fn applied to a torch tensor and to ours; returns the two results as arrays."""
    t = fn(torch.tensor(X), torch)
    o = fn(cr.tensor(X), cr)
    return o, t


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, m: x.view(6, 4), lambda x, m: x.view(-1), lambda x, m: x.reshape(4, -1),
        lambda x, m: x.flatten(1), lambda x, m: x.flatten(start_dim=0, end_dim=1),
        lambda x, m: x.unsqueeze(1), lambda x, m: x.unsqueeze(dim=-1), lambda x, m: x[:1].squeeze(0),
        lambda x, m: x.squeeze(1), lambda x, m: x.transpose(0, 2), lambda x, m: x[0].t(),
        lambda x, m: x.permute(2, 0, 1), lambda x, m: x.sum(dim=1), lambda x, m: x.sum(1, keepdim=True),
        lambda x, m: x.mean(dim=(0, 2)), lambda x, m: x.std(), lambda x, m: x.std(dim=1),
        lambda x, m: x.var(0, unbiased=False), lambda x, m: x.max(), lambda x, m: x.max(dim=1)[0],
        lambda x, m: x.max(2).indices, lambda x, m: x.min(1, keepdim=True).values,
        lambda x, m: x.argmax(), lambda x, m: x.argmax(dim=1, keepdim=True), lambda x, m: x.argmin(2),
        lambda x, m: x.eq(x[0]), lambda x, m: x.gt(0), lambda x, m: x.le(0.1),
        lambda x, m: x.ne(x.clone()), lambda x, m: x.clamp(min=0), lambda x, m: x.softmax(dim=1),
        lambda x, m: x.log_softmax(-1), lambda x, m: x.expand(3, 2, 3, 4), lambda x, m: x.repeat(1, 2, 1),
        lambda x, m: x[:, :1].expand_as(x), lambda x, m: x.norm(), lambda x, m: x.masked_fill(x > 0, 0.5),
        lambda x, m: x.long(), lambda x, m: x.double(), lambda x, m: x.to(m.float64),
        lambda x, m: x.type_as(x.long()), lambda x, m: m.cat([x, x], dim=1), lambda x, m: m.stack([x, x], 1),
        lambda x, m: m.max(x, 1)[1], lambda x, m: m.max(x, x.flip(0) if m is torch else x[::-1]),
        lambda x, m: m.sum(x, dim=2), lambda x, m: m.mean(x), lambda x, m: m.argmax(x, dim=0),
        lambda x, m: m.where(x > 0, x, m.zeros_like(x)), lambda x, m: m.clamp(x, -0.5, 0.5),
        lambda x, m: m.matmul(x, x.transpose(1, 2)), lambda x, m: m.bmm(x, x.transpose(1, 2)),
        lambda x, m: m.mm(x[0], x[0].t()), lambda x, m: m.flatten(x, 1), lambda x, m: m.transpose(x, 0, 1),
        lambda x, m: m.softmax(x, dim=0), lambda x, m: m.sigmoid(x), lambda x, m: m.relu(x),
        lambda x, m: m.exp(x), lambda x, m: m.abs(x), lambda x, m: m.sqrt(m.abs(x)),
        lambda x, m: m.squeeze(x[:, :1], 1), lambda x, m: m.unsqueeze(x, 0), lambda x, m: m.std(x, dim=0),
    ],
)  # fmt: skip
def test_methods_and_functions_match_torch(fn):
    o, t = both(fn)
    t = t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)
    assert o.shape == t.shape
    assert np.dtype(o.dtype) == t.dtype or (o.dtype == np.int64 and t.dtype == np.int64)
    np.testing.assert_allclose(np.asarray(o.numpy(), float), t.astype(float), rtol=1e-6, atol=1e-7)


def test_queries_conversions_and_creation_follow_torch():
    x = cr.tensor(X)
    assert x.size() == (2, 3, 4) and x.size(0) == 2 and x.size(-1) == 4 and x.dim() == 3
    assert x.numel() == 24 and cr.numel(x) == 24 and x.shape[1] == 3
    assert x.item is not None and cr.tensor(3.5).item() == 3.5 and x[0, 0, 0].item() == X[0, 0, 0]
    assert x.tolist() == X.tolist() and x.contiguous() is x and x.cpu() is x and x.to("cpu") is x
    assert str(x.device) == "cpu" and x.device == cr.device("cpu")
    assert cr.tensor([1, 2]).dtype == cr.int64 == cr.long and cr.tensor([1.5]).dtype == cr.float32
    assert cr.tensor([True]).dtype == cr.bool and cr.tensor(X, dtype=cr.float64).dtype == np.float64
    assert cr.from_numpy(np.ones(2)).dtype == np.float64  # from_numpy keeps the dtype
    assert cr.zeros(2, 3).dtype == cr.float32 and cr.ones((2,), dtype=cr.int64).dtype == np.int64
    assert cr.arange(5).dtype == cr.int64 and cr.arange(0, 1, 0.25).dtype == cr.float32
    assert cr.full((2,), 7).dtype == cr.int64 and cr.full((2,), 7.0).dtype == cr.float32
    assert cr.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert cr.eye(3).sum().item() == 3 and cr.empty(2, 2).shape == (2, 2)
    cr.manual_seed(0)
    a = cr.randint(0, 10, (100,))
    assert a.dtype == cr.int64 and 0 <= a.min().item() and a.max().item() < 10
    assert cr.randint(5, (3,)).max().item() < 5 and sorted(cr.randperm(5).tolist()) == [
        0,
        1,
        2,
        3,
        4,
    ]
    cr.manual_seed(1)
    r1 = cr.randn(3).tolist()
    cr.manual_seed(1)
    assert cr.randn(3).tolist() == r1
    assert cr.allclose(x, x + 1e-9) and cr.equal(x, x.clone()) and not cr.equal(x, x + 1)
    assert cr.is_tensor(x) and not cr.is_tensor(X)
    assert not cr.cuda.is_available() and not cr.backends.mps.is_available()
    with pytest.raises(RuntimeError, match="not available"):
        cr.zeros(2, device="cuda")
    assert (x > 0).type(cr.float).dtype == cr.float32 and x.long().type() == "torch.LongTensor"
    loss = cr.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123" and float(loss) == pytest.approx(0.123456, rel=1e-6)
    assert int(cr.tensor([2.7])) == 2
    cr.backends.cudnn.deterministic = True  # seeding boilerplate runs
    cr.cuda.manual_seed_all(0)
    values, indices = x.max(dim=2)
    assert values.shape == (2, 3) and indices.dtype == cr.int64


def test_clone_detach_grad_modes_and_inplace_rules():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    c = w.clone()
    (c * c).sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 4.0])
    d = w.detach()
    assert not d.requires_grad and np.shares_memory(d.data, w.data)
    with pytest.raises(RuntimeError, match="in-place"):
        w -= 1.0
    with pytest.raises(RuntimeError, match="in-place"):
        w.zero_()
    with cr.no_grad():
        w -= 0.5 * cr.tensor(w.grad)  # the manual SGD step of the tutorials
        assert (w * 2).requires_grad is False
    np.testing.assert_array_equal(w.numpy(), [0.0, 0.0])
    assert w.requires_grad and w.is_leaf
    with cr.set_grad_enabled(False):
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()
    y = (w * 3).sum()
    y2 = y
    y2 += 1  # on a tensor with a graph: out of place, like PyTorch's autograd result
    assert y2.item() == 1.0 and y.item() == 0.0
    t = cr.zeros(3)
    t += 2
    t.add_(cr.ones(3), alpha=2)
    np.testing.assert_array_equal(t.numpy(), [4.0, 4.0, 4.0])
    g = cr.Generator().manual_seed(3)
    assert (
        cr.randn(2, generator=g).tolist()
        == cr.randn(2, generator=cr.Generator().manual_seed(3)).tolist()
    )
