"""Every op argument that could be a tensor requiring grad gets its gradient or raises (issue 10,
item 11): none is silently detached."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F
from chainrule import losses


def _x():
    return cr.Tensor(np.array([[-1.0, 0.5, 2.0]], np.float32), requires_grad=True)


def _p(value=0.5):
    return cr.Tensor(np.array(value, np.float32), requires_grad=True)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda p: F.leaky_relu(_x(), p), "leaky_relu: negative_slope must be a number"),
        (lambda p: F.elu(_x(), p), "elu: alpha must be a number"),
        (lambda p: F.softplus(_x(), p), "softplus: beta must be a number"),
        (lambda p: F.softplus(_x(), 1.0, p), "softplus: threshold must be a number"),
        (lambda p: F.pad(_x(), 1, value=p), "pad: value must be a number"),
        (lambda p: F.layer_norm(_x(), 3, eps=p), "layer_norm: eps must be a number"),
        (lambda p: F.batch_norm(_x().reshape(3, 1), None, None, eps=p), "batch_norm: eps"),
        (lambda p: F.where(p, _x(), 0.0), "where: cond is a condition"),
        (
            lambda p: F.batch_norm(
                _x().reshape(3, 1), None, None, p.reshape(1), p.reshape(1), False
            ),
            "batch_norm: running_mean is a statistic",
        ),
    ],
)
def test_number_parameters_refuse_tensors_that_require_grad(call, match):
    with pytest.raises(TypeError, match=match):
        call(_p())


def test_number_parameters_still_take_plain_tensors_and_arrays():
    x = _x()
    a = F.leaky_relu(x, cr.Tensor(np.array(0.5)))
    b = F.leaky_relu(x, np.float32(0.5))
    np.testing.assert_array_equal(a.data, b.data)


def test_clip_with_a_tensor_bound_gives_it_a_gradient():
    """Issue 10, item 11: ``clip(x, lo, hi)`` with a tensor bound that requires grad gave it none."""
    x = cr.Tensor(np.array([-2.0, 0.0, 0.5, 3.0]), requires_grad=True)
    lo = cr.Tensor(np.array(-1.0), requires_grad=True)
    hi = cr.Tensor(np.array([1.0, 1.0, 1.0, 2.0]), requires_grad=True)
    F.clip(x, lo, hi).sum().backward()
    xt = torch.tensor([-2.0, 0.0, 0.5, 3.0], dtype=torch.float64, requires_grad=True)
    lt = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)
    ht = torch.tensor([1.0, 1.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.clamp(xt, lt, ht).sum().backward()
    for ours, theirs in ((x, xt), (lo, lt), (hi, ht)):
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())
    assert lo.grad.shape == () and lo.grad == 1.0 and list(hi.grad) == [0, 0, 0, 1]


def test_sample_weights_that_require_grad_get_it():
    x = _x()
    w = cr.Tensor(np.array([2.0], np.float32), requires_grad=True)
    loss = losses.MeanSquaredError()(np.zeros((1, 3), np.float32), x, sample_weight=w)
    loss.backward()
    np.testing.assert_allclose(w.grad, [(1 + 0.25 + 4) / 3], rtol=1e-6)
    np.testing.assert_allclose(x.grad, 2 * 2 * x.data / 3, rtol=1e-6)
