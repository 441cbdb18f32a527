"""Gradient clipping: the functions against torch.nn.utils, and the optimiser options."""

import math

import numpy as np
import pytest
import torch

import chainrule
from chainrule import optim
from chainrule.nn import Parameter


def _pair(dtype=np.float32, scale=3.0):
    gen = chainrule.random.get_generator()
    grads = [np.asarray(scale * gen.standard_normal(s), dtype) for s in [(4, 3), (7,), ()]]
    ours = [Parameter(np.zeros(g.shape, dtype)) for g in grads]
    theirs = [
        torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True) for g in grads
    ]
    for p, tp, g in zip(ours, theirs, grads):
        p.grad, tp.grad = g, torch.from_numpy(g.copy())
    return grads, ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    grads, ours, theirs = _pair()
    originals = [g.copy() for g in grads]
    total = optim.clip_grad_norm(ours, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert total == pytest.approx(float(ttotal), rel=1e-5)
    for p, tp, g, orig in zip(ours, theirs, grads, originals):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-5, atol=1e-7)
        assert p.grad.dtype == np.float32
        np.testing.assert_array_equal(g, orig)  # the (possibly shared) array was not written
    if max_norm < total:
        assert optim.global_grad_norm(ours, norm_type) == pytest.approx(max_norm, rel=1e-4)


def test_clip_grad_value_matches_torch_without_writing_grads():
    grads, ours, theirs = _pair()
    originals = [g.copy() for g in grads]
    optim.clip_grad_value(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, tp, g, orig in zip(ours, theirs, grads, originals):
        np.testing.assert_array_equal(p.grad, tp.grad.numpy())
        np.testing.assert_array_equal(g, orig)
    assert max(np.abs(p.grad).max() for p in ours) == pytest.approx(1.5)


def test_optimizer_clip_options_against_numpy_reference():
    """SGD with lr=1 moves the weights by exactly minus the processed gradient."""
    grads, _, _ = _pair(np.float64)
    flat = np.concatenate([g.ravel() for g in grads])
    cases = {
        "clipvalue": ({"clipvalue": 0.7}, [np.clip(g, -0.7, 0.7) for g in grads]),
        "clipnorm": (
            {"clipnorm": 1.0},  # each gradient on its own (Keras)
            [g * min(1.0, 1.0 / np.linalg.norm(g)) for g in grads],
        ),
        "global_clipnorm": (
            {"global_clipnorm": 2.0},
            [g * 2.0 / np.linalg.norm(flat) for g in grads],
        ),
    }
    for name, (kw, expected) in cases.items():
        params = [Parameter(np.zeros(g.shape)) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g
        originals = [g.copy() for g in grads]
        optim.SGD(params, lr=1.0, **kw).step()
        for p, e, g, orig in zip(params, expected, grads, originals):
            np.testing.assert_allclose(-p.data, e, rtol=1e-12, atol=1e-15, err_msg=name)
            np.testing.assert_array_equal(g, orig)


def test_clipping_then_weight_decay_order():
    """Clipping applies to the raw gradient; the L2 term is added afterwards (as with torch's
    clip_grad_value_ followed by an optimizer with weight_decay)."""
    _, ours, theirs = _pair(np.float64)
    for p, tp in zip(ours, theirs):
        p.data[...] = 2.0
        with torch.no_grad():
            tp.fill_(2.0)
    opt = optim.SGD(ours, lr=0.1, weight_decay=0.5, momentum=0.9, clipvalue=1.0)
    topt = torch.optim.SGD(theirs, lr=0.1, weight_decay=0.5, momentum=0.9)
    torch.nn.utils.clip_grad_value_(theirs, 1.0)
    opt.step()
    topt.step()
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12)


def test_bad_clip_arguments():
    p = Parameter(np.ones(2, np.float32))
    with pytest.raises(ValueError, match="at most one of clipnorm, clipvalue"):
        optim.Adam([p], clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="clipnorm"):
        optim.Adam([p], clipnorm=-1.0)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm([p], -1.0)
    with pytest.raises(ValueError, match="clip_value"):
        optim.clip_grad_value([p], float("nan"))
    with pytest.raises(TypeError, match="clip_grad_norm: expected Tensors"):
        optim.clip_grad_norm([np.ones(2)], 1.0)
