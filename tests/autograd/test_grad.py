"""autograd.grad, backward(inputs=, create_graph=), and their errors, against PyTorch."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import autograd

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
W = np.array([[0.2, -0.4], [1.1, 0.6], [-0.3, 0.9]])


def both(a, rg=True):
    return cr.Tensor(a.copy(), requires_grad=rg), torch.tensor(a.copy(), requires_grad=rg)


def f(x, w, lib):
    h = (x @ w).tanh() if lib == "cr" else torch.tanh(x @ w)
    return (h * h).sum() + (x**3).sum()


def test_grad_matches_torch_and_leaves_dot_grad_alone():
    (x, tx), (w, tw) = both(X), both(W)
    gx, gw = autograd.grad(f(x, w, "cr"), [x, w])
    ex, ew = torch.autograd.grad(f(tx, tw, "th"), [tx, tw])
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-12)
    assert x.grad is None and w.grad is None
    assert isinstance(gx, cr.Tensor) and not gx.requires_grad


def test_second_order_through_grad_matches_torch():
    (x, tx), (w, tw) = both(X), both(W)
    (gx,) = autograd.grad(f(x, w, "cr"), x, create_graph=True)
    (tgx,) = torch.autograd.grad(f(tx, tw, "th"), tx, create_graph=True)
    hx, hw = autograd.grad((gx * gx).sum(), [x, w])
    ex, ew = torch.autograd.grad((tgx * tgx).sum(), [tx, tw])
    np.testing.assert_allclose(hx.numpy(), ex.numpy(), rtol=1e-10)
    np.testing.assert_allclose(hw.numpy(), ew.numpy(), rtol=1e-10)


def test_third_order():
    x = cr.Tensor(np.array([0.7, -1.2]), requires_grad=True)
    tx = torch.tensor([0.7, -1.2], dtype=torch.float64, requires_grad=True)
    g = x.sin() * x.exp()
    tg = torch.sin(tx) * torch.exp(tx)
    for _ in range(3):
        (g,) = autograd.grad(g.sum(), x, create_graph=True)
        (tg,) = torch.autograd.grad(tg.sum(), tx, create_graph=True)
    np.testing.assert_allclose(g.numpy(), tg.detach().numpy(), rtol=1e-12)


def test_grad_outputs_several_outputs_and_non_leaf_inputs():
    (x, tx) = both(X)
    h, th = x * 2.0, tx * 2.0
    outs = [h.sin(), (h * h).sum(axis=1)]
    touts = [torch.sin(th), (th * th).sum(1)]
    v = [np.ones((2, 3)) * 0.5, np.array([1.0, -2.0])]
    gh, gx = autograd.grad(outs, [h, x], [cr.Tensor(a) for a in v])
    eh, ex = torch.autograd.grad(touts, [th, tx], [torch.tensor(a) for a in v])
    np.testing.assert_allclose(gh.numpy(), eh.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-12)


def test_unused_inputs_raise_unless_allowed():
    x = cr.Tensor(X, requires_grad=True)
    u = cr.Tensor(W, requires_grad=True)
    y = (x * x).sum()
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = autograd.grad(y, [x, u], allow_unused=True, retain_graph=True)
    np.testing.assert_allclose(gx.numpy(), 2 * X)
    assert gu is None
    _, gu = autograd.grad(y, [x, u], materialize_grads=True)
    np.testing.assert_array_equal(gu.numpy(), np.zeros_like(W))


def test_errors_name_the_problem():
    x = cr.Tensor(X, requires_grad=True)
    c = cr.Tensor(X)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad((x * 2).sum(), c)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad"):
        autograd.grad(c.sum(), x)
    with pytest.raises(RuntimeError, match="single-element"):
        autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="should not be empty"):
        autograd.grad((x * 2).sum(), [])


def test_retain_graph_defaults_to_create_graph():
    x = cr.Tensor(X, requires_grad=True)
    y = (x.exp() * x).sum()
    autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        autograd.grad(y, x)
    y = (x.exp() * x).sum()
    autograd.grad(y, x, create_graph=True)
    autograd.grad(y, x)  # the graph was kept


@pytest.mark.filterwarnings("ignore:Using backward")
def test_backward_create_graph_makes_grad_a_tensor_and_accumulates():
    (x, tx) = both(X)
    (x**3).sum().backward(create_graph=True)
    (tx**3).sum().backward(create_graph=True)
    assert isinstance(x.grad, cr.Tensor) and x.grad.requires_grad
    gx, tgx = x.grad, tx.grad
    x.grad, tx.grad = None, None
    (gx * gx).sum().backward()
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    assert isinstance(x.grad, np.ndarray)  # the plain pass keeps arrays


def test_plain_backward_onto_a_tensor_grad_adds_out_of_place():
    x = cr.Tensor(X, requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X + 3)


def test_backward_inputs_accumulates_only_there():
    (x, tx), (w, tw) = both(X), both(W)
    h, th = x @ w, tx @ tw
    loss, tloss = (h * h).sum(), (th * th).sum()
    loss.backward(inputs=[w, h])
    tloss.backward(inputs=[tw, th])
    assert x.grad is None and tx.grad is None
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.grad, th.grad.numpy(), rtol=1e-12)


def test_autograd_backward_several_roots():
    (x, tx) = both(X)
    autograd.backward([x.sum(), (x * x).sum()])
    torch.autograd.backward([tx.sum(), (tx * tx).sum()])
    np.testing.assert_allclose(x.grad, tx.grad.numpy())


def test_an_op_without_double_backward_names_itself():
    class Cube(cr.Function):
        def forward(self, a):
            self.a = a
            return a**3

        def backward(self, g):
            return 3 * g * self.a**2

    x = cr.Tensor(X, requires_grad=True)
    y = Cube.apply(x).sum()
    (g,) = autograd.grad(y, x, retain_graph=True)  # first order works
    np.testing.assert_allclose(g.numpy(), 3 * X**2)
    with pytest.raises(RuntimeError, match="Cube: this op has no differentiable backward"):
        autograd.grad(y, x, create_graph=True)


def test_gradcheck_and_gradgradcheck_wrappers():
    x = cr.Tensor(np.array([0.3, -0.8, 1.1]), requires_grad=True)
    c = cr.Tensor(np.array([2.0, 1.0, -1.0]))  # a constant: not checked
    assert autograd.gradcheck(lambda a, b: (a * b).sin(), (x, c))
    assert autograd.gradgradcheck(lambda a, b: (a * b).sin() * a, (x, c))

    class Wrong(cr.Function):
        def forward(self, a):
            self.a = a
            return a**2

        def backward(self, g):
            return g * self.a  # should be 2·a·g

        def backward_graph(self, g):
            return g * self.parents[0]

    assert autograd.gradcheck(lambda a: Wrong.apply(a), (x,), raise_exception=False) is False
    with pytest.raises(cr.GradcheckError):
        autograd.gradcheck(lambda a: Wrong.apply(a), (x,))

    class WrongSecond(cr.Function):
        def forward(self, a):
            self.a = a
            return a**3

        def backward(self, g):
            return 3 * g * self.a**2

        def backward_graph(self, g):
            return g * self.parents[0] ** 2 * 3.0 + self.parents[0]  # an extra term

    assert autograd.gradcheck(lambda a: WrongSecond.apply(a), (x,))
    assert not autograd.gradgradcheck(lambda a: WrongSecond.apply(a), (x,), raise_exception=False)


def test_custom_function_with_ctx_supports_double_backward():
    class Cube(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    class TCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x * x

    (x, tx) = both(X)
    (g,) = autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad(TCube.apply(tx).sum(), tx, create_graph=True)
    (h,) = autograd.grad((g * g).sum(), x)
    (th,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(h.numpy(), th.numpy(), rtol=1e-12)
