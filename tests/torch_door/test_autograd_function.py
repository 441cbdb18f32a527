"""chainrule.autograd.Function with ctx, checked by gradcheck and against torch."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import Function, gradcheck


class MyReLU(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        (input,) = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0  # PyTorch's tutorial, verbatim
        return grad_input


class ScaleShift(Function):
    """Two tensor inputs, a float argument, two outputs (one not differentiable)."""

    @staticmethod
    def forward(ctx, x, w, scale):
        ctx.scale = scale
        ctx.save_for_backward(x, w)
        ctx.seen = ctx.needs_input_grad
        idx = x.argmax(dim=1)
        ctx.mark_non_differentiable(idx)
        return x * w * scale, idx

    @staticmethod
    def backward(ctx, grad_out, grad_idx):
        x, w = ctx.saved_tensors
        gx = grad_out * w * ctx.scale if ctx.needs_input_grad[0] else None
        gw = (grad_out * x * ctx.scale).sum(0) if ctx.needs_input_grad[1] else None
        return gx, gw, None


class Split(Function):
    """Two differentiable outputs: x² and sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x, x.sin()

    @staticmethod
    def backward(ctx, ga, gb):
        (x,) = ctx.saved_tensors
        return ga * 2 * x + gb * x.cos()


def test_custom_function_gradcheck_and_values():
    cr.manual_seed(0)
    x = cr.randn(5, 3, dtype=cr.float64, requires_grad=True)
    w = cr.randn(3, dtype=cr.float64, requires_grad=True)
    assert gradcheck(lambda a, b: ScaleShift.apply(a, b, 2.5)[0], (x, w), eps=1e-6, atol=1e-5)
    assert gradcheck(lambda a: Split.apply(a), (x,))
    assert gradcheck(MyReLU.apply, (cr.tensor([[0.3, -1.2], [2.0, -0.1]], dtype=cr.float64),))
    out, idx = ScaleShift.apply(x, w, 2.0)
    assert out.requires_grad and not idx.requires_grad and idx.dtype == cr.int64
    a, b = Split.apply(x)
    (a.sum() + 3 * b.sum()).backward()  # gradients from both outputs meet in one backward
    np.testing.assert_allclose(x.grad, 2 * x.numpy() + 3 * np.cos(x.numpy()), rtol=1e-12)
    x.grad = None
    a, _ = Split.apply(x)
    a.sum().backward()  # an unused output gets a zero gradient (materialize_grads)
    np.testing.assert_allclose(x.grad, 2 * x.numpy(), rtol=1e-12)


def test_needs_input_grad_and_no_graph_when_not_needed():
    x = cr.randn(2, 3, dtype=cr.float64)
    w = cr.randn(3, dtype=cr.float64, requires_grad=True)
    out, _ = ScaleShift.apply(x, w, 1.0)
    out.sum().backward()
    assert x.grad is None and w.grad is not None
    with cr.no_grad():
        assert not ScaleShift.apply(x, w, 1.0)[0].requires_grad
    plain = ScaleShift.apply(x, cr.ones(3, dtype=cr.float64), 1.0)[0]
    assert not plain.requires_grad


def test_matches_torch_custom_function():
    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    class Cube(Function):
        forward = staticmethod(TorchCube.forward.__func__ if hasattr(TorchCube.forward, "__func__")
                               else TorchCube.forward)  # fmt: skip
        backward = staticmethod(TorchCube.backward)

    v = np.random.default_rng(1).standard_normal(7)
    xt = torch.tensor(v, requires_grad=True)
    xo = cr.tensor(v, requires_grad=True)
    (TorchCube.apply(xt) * torch.tensor(v)).sum().backward()
    (Cube.apply(xo) * cr.tensor(v)).sum().backward()
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-12)


def test_bad_backward_is_reported():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g.sum()

    class Off(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3  # wrong value

    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient of shape"):
        Wrong.apply(x).sum().backward()
    assert gradcheck(Off.apply, (x,), raise_exception=False) is False
    with pytest.raises(cr.GradcheckError, match="analytic .* vs numeric"):
        gradcheck(Off.apply, (x,))
