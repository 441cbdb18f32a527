"""Shared helper for tests/nn: run a chainrule function and its PyTorch twin, compare values and grads."""

from __future__ import annotations

import numpy as np
import torch

import chainrule as cr


def check_vs_torch(cr_fn, th_fn, arrays, grad_mask=None, rtol=1e-5, atol=1e-6, seed=7):
    """Evaluate both on the same inputs; compare outputs, then the gradients of Σ w·out (fixed w).

    ``arrays``: NumPy arrays (float ones get gradients unless ``grad_mask`` says otherwise).
    Returns the chainrule output Tensor.
    """
    grad_mask = grad_mask or [a.dtype.kind == "f" for a in arrays]
    xs = [cr.Tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad_mask)]
    ts = [torch.tensor(a.copy(), requires_grad=g) for a, g in zip(arrays, grad_mask)]
    out = cr_fn(*xs)
    tout = th_fn(*ts)
    assert out.shape == tuple(tout.shape), (out.shape, tuple(tout.shape))
    assert out.dtype == np.dtype(str(tout.dtype).replace("torch.", ""))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    w = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    (out * cr.Tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        if t.requires_grad:
            assert x.grad is not None, f"input {i} got no gradient"
            assert x.grad.dtype == x.data.dtype, f"input {i}: grad dtype {x.grad.dtype}"
            np.testing.assert_allclose(
                x.grad, t.grad.numpy(), rtol=rtol, atol=atol, err_msg=f"gradient of input {i}"
            )
    return out
