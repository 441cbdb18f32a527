"""Tensor hooks, retain_grad, and module hooks, against PyTorch."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])


def both(a, rg=True):
    return cr.Tensor(a.copy(), requires_grad=rg), torch.tensor(a.copy(), requires_grad=rg)


def test_hooks_see_the_total_gradient_once_and_may_replace_it():
    (x, tx) = both(X)
    seen, tseen = [], []
    for t, log in ((x, seen), (tx, tseen)):
        t.register_hook(lambda g, log=log: log.append(np.array(g.detach().numpy())))
        t.register_hook(lambda g: g * 2)  # runs after the first
    h, th = x * 3.0, tx * 3.0
    hs, ths = [], []
    h.register_hook(lambda g: hs.append(np.array(g.numpy())) or g + 1)
    th.register_hook(lambda g: ths.append(np.array(g.numpy())) or g + 1)
    ((h * h).sum() + x.sum()).backward()
    ((th * th).sum() + tx.sum()).backward()
    assert len(seen) == len(tseen) == 1 and len(hs) == 1
    np.testing.assert_allclose(seen[0], tseen[0])
    np.testing.assert_allclose(hs[0], ths[0])
    np.testing.assert_allclose(x.grad, tx.grad.numpy())


def test_handle_remove_and_retain_grad_after_hooks():
    (x, tx) = both(X)
    h, th = x.exp(), tx.exp()
    handle = h.register_hook(lambda g: g * 0)
    handle.remove()
    h.register_hook(lambda g: g * 10)
    th.register_hook(lambda g: g * 10)
    h.retain_grad()
    th.retain_grad()
    assert h.retains_grad
    h.sum().backward()
    th.sum().backward()
    np.testing.assert_allclose(h.grad, th.grad.numpy())  # PyTorch: retain_grad sees the hooked grad
    np.testing.assert_allclose(x.grad, tx.grad.numpy())


def test_hooks_under_create_graph_receive_tensors_with_graph():
    x = cr.Tensor(X, requires_grad=True)
    got = []
    x.register_hook(lambda g: got.append(g.requires_grad))
    cr.autograd.grad((x**3).sum(), x, create_graph=True)
    assert got == [True]


def test_hook_on_a_tensor_without_grad_raises_and_bad_shape_raises():
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        cr.Tensor(X).register_hook(lambda g: g)
    x = cr.Tensor(X, requires_grad=True)
    x.register_hook(lambda g: g.sum())
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).sum().backward()


class Lin(nn.Module):
    """A PyTorch-layout linear layer (weight (out, in)) built on the engine's linear op."""

    def __init__(self, weight, bias):
        super().__init__()
        self.weight, self.bias = nn.Parameter(weight), nn.Parameter(bias)
        self.built = True

    def forward(self, x):
        return cr.functional.linear(x, self.weight.T, self.bias)


def _pair():
    weight = np.array([[0.3, -0.5, 0.8], [1.2, 0.1, -0.4]])
    bias = np.array([0.05, -0.2])
    tlin = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tlin.weight.copy_(torch.from_numpy(weight))
        tlin.bias.copy_(torch.from_numpy(bias))
    return Lin(weight, bias), tlin


def test_forward_pre_and_forward_hooks_replace_args_and_output():
    lin, tlin = _pair()
    for m in (lin, tlin):
        m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        m.register_forward_hook(lambda mod, args, out: out + 1)
    (x, tx) = both(X)
    np.testing.assert_allclose(lin(x).numpy(), tlin(tx).detach().numpy(), rtol=1e-12)


def test_forward_hooks_with_kwargs_and_removal():
    lin, _ = _pair()
    calls = []
    h1 = lin.register_forward_pre_hook(
        lambda mod, args, kwargs: calls.append(("pre", dict(kwargs))), with_kwargs=True
    )
    h2 = lin.register_forward_hook(lambda mod, args, out: calls.append("post"), prepend=True)
    lin(cr.Tensor(X))
    assert calls == [("pre", {}), "post"]
    h1.remove()
    h2.remove()
    lin(cr.Tensor(X))
    assert len(calls) == 2


def test_full_backward_hook_matches_torch_and_may_replace_grad_input():
    lin, tlin = _pair()
    got, tgot = [], []

    def hook(log):
        def fn(mod, grad_input, grad_output):
            log.append([np.array(g.detach().numpy()) for g in grad_input + grad_output])
            return (grad_input[0] * 3,)

        return fn

    lin.register_full_backward_hook(hook(got))
    tlin.register_full_backward_hook(hook(tgot))
    (x, tx) = both(X)
    (lin(x) ** 2).sum().backward()
    (tlin(tx) ** 2).sum().backward()
    assert len(got) == len(tgot) == 1
    for a, b in zip(got[0], tgot[0]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.weight.grad, tlin.weight.grad.numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_full_backward_hook_when_the_input_needs_no_grad():
    lin, tlin = _pair()
    got, tgot = [], []
    lin.register_full_backward_hook(lambda m, gi, go: got.append((gi, go[0].shape)))
    tlin.register_full_backward_hook(lambda m, gi, go: tgot.append((gi, tuple(go[0].shape))))
    lin(cr.Tensor(X)).sum().backward()
    tlin(torch.tensor(X)).sum().backward()
    assert got == [((None,), (2, 2))] and tgot == [((None,), (2, 2))]
