"""End to end through the autograd engine: gradients from backward(), then optimiser steps."""

import numpy as np
import torch

import chainrule
from chainrule import optim
from chainrule.nn import Parameter


def test_least_squares_with_adam_and_clipping_matches_torch():
    gen = chainrule.random.get_generator()
    x = gen.standard_normal((32, 5)).astype(np.float32)
    y = gen.standard_normal((32, 2)).astype(np.float32)
    w0 = gen.standard_normal((5, 2)).astype(np.float32)
    b0 = np.zeros(2, np.float32)

    w, b = Parameter(w0.copy()), Parameter(b0.copy())
    tw = torch.tensor(w0.copy(), requires_grad=True)
    tb = torch.tensor(b0.copy(), requires_grad=True)
    opt = optim.Adam([w, b], lr=0.05, weight_decay=1e-3)
    topt = torch.optim.Adam([tw, tb], lr=0.05, weight_decay=1e-3)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    losses = []
    for _ in range(15):
        # the bias is used twice, so backward accumulates (and may share) its gradient arrays
        pred = chainrule.tensor(x) @ w + b + b * 0.5
        loss = ((pred - chainrule.tensor(y)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        total = optim.clip_grad_norm([w, b], 1.0)
        opt.step()
        tloss = (((tx @ tw + tb + tb * 0.5) - ty) ** 2).mean()
        topt.zero_grad()
        tloss.backward()
        ttotal = torch.nn.utils.clip_grad_norm_([tw, tb], 1.0)
        topt.step()
        np.testing.assert_allclose(total, float(ttotal), rtol=1e-5)
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert w.data.dtype == np.float32 and b.data.dtype == np.float32
