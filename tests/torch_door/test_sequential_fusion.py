"""nn.Sequential runs a Conv1d/Conv2d followed by a ReLU as one fused conv+ReLU node: same values
and gradients as PyTorch, no separate ReLU node, and no fusion wherever the difference could be
observed (hooks, subclasses overriding forward, anomaly mode)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule import nn


def _nodes(t) -> list[str]:
    """Names of the graph nodes behind ``t`` (walk of the recorded graph)."""
    seen, out, stack = set(), [], [t._fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        out.append(type(fn).__name__)
        stack.extend(p._fn for p in getattr(fn, "parents", ()))
    return out


def _pair(dims: int):
    conv = (nn.Conv2d, torch.nn.Conv2d) if dims == 2 else (nn.Conv1d, torch.nn.Conv1d)

    def build(lib_nn, c):
        return lib_nn.Sequential(
            c(2, 4, 3, padding=1), lib_nn.ReLU(), c(4, 3, 3, stride=2), lib_nn.ReLU(inplace=True),
            lib_nn.Flatten(),
        )  # fmt: skip

    ours, theirs = build(nn, conv[0]), build(torch.nn, conv[1])
    with torch.no_grad():
        for a, b in zip(theirs.parameters(), ours.parameters()):
            a.copy_(torch.from_numpy(b.data))
    return ours, theirs


@pytest.mark.parametrize("dims", [1, 2])
def test_fused_matches_torch(dims):
    cr.manual_seed(0)
    ours, theirs = _pair(dims)
    shape = (3, 2, 9, 7) if dims == 2 else (3, 2, 11)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = ours(xc), theirs(xt)
    assert "ReLU" not in _nodes(yc) and _nodes(yc).count("Conv") == 2
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = np.random.default_rng(1).standard_normal(yc.shape).astype(np.float32)
    (yc * cr.tensor(w)).sum().backward()
    (yt * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(xc.grad, xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    for a, b in zip(theirs.parameters(), ours.parameters()):
        np.testing.assert_allclose(b.grad, a.grad.numpy(), rtol=1e-4, atol=1e-5)
    # both modules record their shapes, as separate calls would
    assert (
        ours[0].output_shape
        == ours[1].input_shape
        == ours[1].output_shape
        == tuple(theirs[0](xt).shape)
    )


def test_not_fused_where_observable():
    cr.manual_seed(0)
    x = cr.tensor(np.random.default_rng(0).standard_normal((2, 1, 6, 6)).astype(np.float32))
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    seen = []
    handle = net[0].register_forward_hook(lambda m, args, out: seen.append(out.numpy().copy()))
    y = net(x)
    handle.remove()
    assert "ReLU" in _nodes(y) and (seen[0] < 0).any()  # the hook saw the pre-activation output
    np.testing.assert_array_equal(y.numpy(), np.maximum(seen[0], 0))

    class Shifted(nn.Conv2d):
        def forward(self, input):
            return super().forward(input) - 1.0

    cr.manual_seed(0)
    shifted = nn.Sequential(Shifted(1, 2, 3), nn.ReLU())
    cr.manual_seed(0)
    plain = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    np.testing.assert_allclose(
        shifted(x).numpy(), np.maximum(plain[0](x).numpy() - 1.0, 0), rtol=1e-6, atol=1e-6
    )
    with cr.detect_anomaly():
        assert "ReLU" in _nodes(plain(x.requires_grad_()))
