"""A small expression graph of a dozen mixed ops, gradients against PyTorch to 1e-10 (float64)."""

import numpy as np
import torch

import chainrule as cr
import chainrule.functional as F


def _graph(x, w, b, lib):
    """x (4, 3), w (3, 5), b (5,): matmul, add, tanh, mul, exp, div, sigmoid, sub, log_softmax,
    getitem, max, sqrt, pow, mean; x and w are each used more than once."""
    h = lib["tanh"](x @ w + b)  # matmul, add, tanh
    g = h * lib["sigmoid"](h) - x.sum() / 7  # sigmoid, mul, sum, div, sub
    z = lib["log_softmax"](g)  # log_softmax
    r = lib["exp"](z[:, 1:4]) ** 2  # getitem, exp, pow
    s = lib["sqrt"](w * w + 1.0)  # mul (same input twice), add, sqrt
    return r.mean() + lib["amax"](z) * s.mean()


CR = {
    "tanh": F.tanh,
    "sigmoid": F.sigmoid,
    "log_softmax": F.log_softmax,
    "exp": F.exp,
    "sqrt": F.sqrt,
    "amax": F.max,
}
TH = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "log_softmax": lambda t: torch.log_softmax(t, -1),
    "exp": torch.exp,
    "sqrt": torch.sqrt,
    "amax": torch.amax,
}


def test_expression_graph_matches_torch_to_1e10():
    rng = cr.get_generator()
    arrays = [rng.standard_normal(s) for s in [(4, 3), (3, 5), (5,)]]
    ours = [cr.Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = _graph(*ours, CR)
    ref = _graph(*theirs, TH)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-10, atol=1e-12)
    out.backward()
    ref.backward()
    for mine, t in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_expression_graph_gradcheck():
    rng = cr.get_generator()
    arrays = [rng.standard_normal(s) for s in [(4, 3), (3, 5), (5,)]]
    assert cr.gradcheck(lambda x, w, b: _graph(x, w, b, CR), arrays, atol=1e-7, rtol=1e-6)
