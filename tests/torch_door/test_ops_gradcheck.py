"""Finite-difference checks (float64) of the PyTorch door's new differentiable paths, and
nn.utils against torch."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

RNG = np.random.default_rng(7)
LOGITS = RNG.standard_normal((4, 3, 2))
LABELS = np.array([[0, 2], [1, -100], [2, 2], [0, 1]])
W = np.array([0.3, 1.0, 2.0])
T01 = RNG.uniform(0, 1, (3, 2))


@pytest.mark.parametrize(
    "fn, inputs",
    [
        (lambda x, w, b: F.linear(x, w, b), [RNG.standard_normal((2, 5, 3)),
                                             RNG.standard_normal((4, 3)), RNG.standard_normal(4)]),
        (lambda x: F.cross_entropy(x, cr.tensor(LABELS), weight=cr.tensor(W),
                                   label_smoothing=0.2), [LOGITS]),
        (lambda x: F.cross_entropy(x, cr.tensor(LABELS), reduction="none"), [LOGITS]),
        (lambda x, t: F.cross_entropy(x, t.softmax(1)), [LOGITS, RNG.standard_normal((4, 3, 2))]),
        (lambda x: F.nll_loss(x.log_softmax(1), cr.tensor(LABELS), weight=cr.tensor(W)), [LOGITS]),
        (lambda x, t: F.binary_cross_entropy_with_logits(
            x, t, pos_weight=cr.tensor([2.0, 0.5])), [RNG.standard_normal((3, 2)),
                                                       RNG.uniform(0, 1, (3, 2))]),
        (lambda x: F.binary_cross_entropy(x.sigmoid(), cr.tensor(T01)),
         [RNG.standard_normal((3, 2))]),
        (lambda x, t: F.kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean"),
         [RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))]),
        (lambda x, t: F.smooth_l1_loss(x, t, beta=0.3) + F.huber_loss(x, t, delta=0.4),
         [RNG.standard_normal((5,)), RNG.standard_normal((5,))]),
        (lambda x: F.normalize(x, dim=1), [RNG.standard_normal((3, 4))]),
        (lambda x: F.pad(x, (1, 2)) * 1.5, [RNG.standard_normal((2, 3))]),
        (lambda x: x.repeat(2, 1, 3).expand(2, 2, 3, 6), [RNG.standard_normal((1, 3, 2))]),
    ],
)  # fmt: skip
def test_gradcheck(fn, inputs):
    assert cr.gradcheck(fn, inputs)


def test_nn_utils_match_torch():
    ref = torch.nn.Linear(4, 3).double()
    ours = nn.Linear(4, 3).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = RNG.standard_normal((6, 4))
    (ref(torch.tensor(x)) ** 2).sum().backward()
    (ours(cr.tensor(x)) ** 2).sum().backward()
    nt = torch.nn.utils.clip_grad_norm_(ref.parameters(), 0.5)
    no = nn.utils.clip_grad_norm_(ours.parameters(), 0.5)
    assert no.item() == pytest.approx(nt.item(), rel=1e-6)
    np.testing.assert_allclose(ours.weight.grad, ref.weight.grad.numpy(), rtol=1e-12)
    vec = nn.utils.parameters_to_vector(ours.parameters())
    assert vec.shape == (15,)
    nn.utils.vector_to_parameters(vec * 0, ours.parameters())
    assert np.all(ours.weight.numpy() == 0)
    ours.weight.grad[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours.parameters(), 1.0, error_if_nonfinite=True)
