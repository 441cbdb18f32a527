"""autograd.functional (jacobian, hessian, vjp, jvp, vhp, hvp) against torch.autograd.functional."""

import numpy as np
import pytest
import torch
import torch.autograd.functional as TAF

import chainrule as cr
from chainrule.autograd import functional as AF

A = np.array([[0.4, -1.1, 0.7], [1.3, 0.2, -0.5]])
B = np.array([0.3, -0.8, 1.4])


def f_cr(a, b):
    return (a * b).sin() @ b.exp()


def f_th(a, b):
    return torch.sin(a * b) @ torch.exp(b)


def scalar_cr(a, b):
    return ((a * b).tanh() ** 2).sum() + (b**3).sum()


def scalar_th(a, b):
    return (torch.tanh(a * b) ** 2).sum() + (b**3).sum()


def _close(ours, theirs):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            _close(o, t)
        return
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


def ins():
    return (cr.Tensor(A.copy()), cr.Tensor(B.copy())), (torch.tensor(A), torch.tensor(B))


@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_and_hessian(create_graph):
    (a, b), (ta, tb) = ins()
    _close(AF.jacobian(f_cr, (a, b), create_graph=create_graph), TAF.jacobian(f_th, (ta, tb)))
    _close(AF.jacobian(lambda x: f_cr(x, b), a), TAF.jacobian(lambda x: f_th(x, tb), ta))
    _close(AF.hessian(scalar_cr, (a, b)), TAF.hessian(scalar_th, (ta, tb)))
    _close(AF.hessian(lambda x: scalar_cr(a, x), b), TAF.hessian(lambda x: scalar_th(ta, x), tb))


def test_jacobian_of_several_outputs():
    (_, b), (_, tb) = ins()
    _close(
        AF.jacobian(lambda x: (x.exp(), x.sum()), b),
        TAF.jacobian(lambda x: (torch.exp(x), x.sum()), tb),
    )


def test_vjp_jvp_vhp_hvp():
    (a, b), (ta, tb) = ins()
    v_out = np.array([0.5, -1.5])
    _close(AF.vjp(f_cr, (a, b), cr.Tensor(v_out)), TAF.vjp(f_th, (ta, tb), torch.tensor(v_out)))
    va, vb = A[::-1].copy(), B[::-1].copy()
    _close(
        AF.jvp(f_cr, (a, b), (cr.Tensor(va), cr.Tensor(vb))),
        TAF.jvp(f_th, (ta, tb), (torch.tensor(va), torch.tensor(vb))),
    )
    for ours, theirs in ((AF.vhp, TAF.vhp), (AF.hvp, TAF.hvp)):
        _close(
            ours(scalar_cr, (a, b), (cr.Tensor(va), cr.Tensor(vb))),
            theirs(scalar_th, (ta, tb), (torch.tensor(va), torch.tensor(vb))),
        )


def test_results_are_cut_from_the_graph_unless_create_graph():
    b = cr.Tensor(B.copy(), requires_grad=True)
    out, g = AF.vjp(lambda x: (x**2).sum(), b)
    assert not out.requires_grad and not g.requires_grad
    out, g = AF.vjp(lambda x: (x**2).sum(), b, create_graph=True)
    assert g.requires_grad
    (g.sum()).backward()
    np.testing.assert_allclose(b.grad, 2 * np.ones(3))


def test_strict_and_v_errors():
    b = cr.Tensor(B.copy())
    with pytest.raises(RuntimeError, match="independent of input 0"):
        AF.jacobian(lambda x: cr.Tensor(np.ones(2)), b, strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda x, y: (x * 2).sum(), (b, cr.Tensor(A.copy())), strict=True)
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda x: x * 2, b)
    with pytest.raises(RuntimeError, match="single Tensor with a single element"):
        AF.hessian(lambda x: x * 2, b)
    np.testing.assert_array_equal(AF.jacobian(lambda x: cr.Tensor(np.ones(2)), b).numpy(), 0)
