"""F.batch_norm/layer_norm/group_norm/instance_norm, GroupNorm, InstanceNorm1d/2d, PReLU, CELU,
GLU, cosine_similarity and pairwise_distance against torch 2.13, forward and backward, plus
finite differences in float64 and the error messages."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.gradcheck import gradcheck
from tests.torch_check import check_vs_torch

TF = torch.nn.functional
RNG = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, groups", [((4, 6), 3), ((2, 6, 5), 2), ((3, 4, 3, 5), 4),
                                           ((2, 6, 2, 2, 3), 1)])  # fmt: skip
def test_group_norm_matches_torch(shape, groups, dtype):
    c = shape[1]
    tol = 1e-5 if dtype == np.float32 else 1e-10
    check_vs_torch(lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-3),
                   lambda x, w, b: TF.group_norm(x, groups, w, b, eps=1e-3),
                   [rand(*shape, dtype=dtype), rand(c, dtype=dtype), rand(c, dtype=dtype)],
                   rtol=tol, atol=tol)  # fmt: skip
    check_vs_torch(lambda x: F.group_norm(x, groups), lambda x: TF.group_norm(x, groups),
                   [rand(*shape, dtype=dtype)], rtol=tol, atol=tol)  # fmt: skip


def test_group_norm_module_and_gradcheck():
    m, t = nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4)
    m.weight.data[...] = rand(4)
    t.weight.data = torch.tensor(m.weight.data.copy())
    x = rand(3, 4, 5, 5)
    np.testing.assert_allclose(m(cr.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)  # fmt: skip
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    xs = [cr.tensor(rand(2, 4, 3, dtype=np.float64), requires_grad=True),
          cr.tensor(rand(4, dtype=np.float64), requires_grad=True),
          cr.tensor(rand(4, dtype=np.float64), requires_grad=True)]  # fmt: skip
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), xs)
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups"):
        nn.GroupNorm(2, 5)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4\): expected input \(N, 4, \*\)"):
        m(cr.tensor(rand(3, 6, 2)))


def test_group_norm_channels_last_matches_channels_first():
    from chainrule.ops.group_norm import group_norm

    x, w, b = rand(2, 4, 5, 6), rand(6), rand(6)
    last = group_norm(cr.tensor(x), 3, cr.tensor(w), cr.tensor(b), axis=-1).numpy()
    first = F.group_norm(cr.tensor(np.moveaxis(x, -1, 1).copy()), 3, cr.tensor(w), cr.tensor(b))
    np.testing.assert_allclose(last, np.moveaxis(first.numpy(), 1, -1), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_updates_running_stats_like_torch(training):
    x, w, b = rand(8, 3, 4), rand(3), rand(3)
    rm, rv = rand(3), np.abs(rand(3)) + 0.5
    ours_m, ours_v = cr.tensor(rm.copy()), cr.tensor(rv.copy())
    th_m, th_v = torch.tensor(rm.copy()), torch.tensor(rv.copy())
    check_vs_torch(
        lambda x, w, b: F.batch_norm(x, ours_m, ours_v, w, b, training=training, momentum=0.3),
        lambda x, w, b: TF.batch_norm(x, th_m, th_v, w, b, training=training, momentum=0.3),
        [x, w, b], rtol=1e-5, atol=1e-5,
    )  # fmt: skip
    np.testing.assert_allclose(ours_m.numpy(), th_m.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours_v.numpy(), th_v.numpy(), rtol=1e-6)


def test_functional_layer_norm_matches_torch():
    x, w, b = rand(2, 3, 4, 5), rand(4, 5), rand(4, 5)
    check_vs_torch(lambda x, w, b: F.layer_norm(x, (4, 5), w, b),
                   lambda x, w, b: TF.layer_norm(x, (4, 5), w, b), [x, w, b],
                   rtol=1e-5, atol=1e-5)  # fmt: skip


@pytest.mark.parametrize("cls, shape", [("InstanceNorm1d", (3, 4, 7)), ("InstanceNorm2d",
                                        (2, 4, 3, 5)), ("InstanceNorm2d", (4, 3, 5))])  # fmt: skip
@pytest.mark.parametrize("affine, track", [(False, False), (True, True), (True, False),
                                           (False, True)])  # fmt: skip
def test_instance_norm_modules_match_torch_in_train_and_eval(cls, shape, affine, track):
    m = getattr(nn, cls)(4, affine=affine, track_running_stats=track, momentum=0.2)
    t = getattr(torch.nn, cls)(4, affine=affine, track_running_stats=track, momentum=0.2)
    if affine:
        m.weight.data[...] = rand(4)
        m.bias.data[...] = rand(4)
        t.weight.data, t.bias.data = torch.tensor(m.weight.data), torch.tensor(m.bias.data)
    for step in range(2):
        x = rand(*shape)
        xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        yc, yt = m(xc), t(xt)
        np.testing.assert_allclose(yc.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
        w = rand(*yc.shape)
        (yc * cr.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(xc.grad, xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    if track:
        np.testing.assert_allclose(m.running_mean.numpy(), t.running_mean.numpy(), rtol=1e-5)
        np.testing.assert_allclose(m.running_var.numpy(), t.running_var.numpy(), rtol=1e-5)
    m.eval(), t.eval()
    x = rand(*shape)
    np.testing.assert_allclose(m(cr.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)  # fmt: skip


def test_instance_norm_errors_name_the_module_and_shape():
    with pytest.raises(ValueError, match=r"InstanceNorm2d: expected 3D \(unbatched\) or 4D"):
        nn.InstanceNorm2d(3)(cr.tensor(rand(2, 3)))
    with pytest.raises(ValueError, match=r"InstanceNorm1d\(3\): input of shape \(2, 5, 4\)"):
        nn.InstanceNorm1d(3)(cr.tensor(rand(2, 5, 4)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c, shape", [(1, (4, 3, 5)), (3, (4, 3, 5)), (3, (2, 3)), (1, (7,))])
def test_prelu_matches_torch_including_zeros(c, shape, dtype):
    x = rand(*shape, dtype=dtype)
    x.flat[::3] = 0.0  # at exactly 0 the input's gradient is the slope, as torch's
    check_vs_torch(F.prelu, TF.prelu, [x, rand(c, dtype=dtype)])
    m = nn.PReLU(c, init=0.1, dtype=dtype)
    t = torch.nn.PReLU(c, init=0.1, dtype=torch.float64 if dtype == np.float64 else None)
    np.testing.assert_allclose(m(cr.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6)  # fmt: skip
    assert m.weight.shape == tuple(t.weight.shape)


def test_prelu_weight_size_is_checked():
    with pytest.raises(ValueError, match=r"prelu: weight of shape \(2,\) must hold 1 or 3 values"):
        F.prelu(cr.tensor(rand(4, 3)), cr.tensor(rand(2)))
    with pytest.raises(TypeError, match="prelu: input is float64 but weight is float32"):
        nn.PReLU()(cr.tensor(rand(4, 3, dtype=np.float64)))


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_celu_matches_torch(alpha):
    x = np.array([-30.0, -2.0, -0.1, 0.0, 0.3, 50.0], dtype=np.float64)
    check_vs_torch(lambda x: F.celu(x, alpha), lambda x: TF.celu(x, alpha), [x],
                   rtol=1e-12, atol=1e-12)  # fmt: skip
    np.testing.assert_allclose(nn.CELU(alpha)(cr.tensor(x)).numpy(),
                               torch.nn.CELU(alpha)(torch.tensor(x)).numpy())  # fmt: skip


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_glu_matches_torch(dim):
    x = rand(4, 6, 2)
    check_vs_torch(lambda x: F.glu(x, dim), lambda x: TF.glu(x, dim), [x])
    np.testing.assert_allclose(nn.GLU(dim)(cr.tensor(x)).numpy(),
                               torch.nn.GLU(dim)(torch.tensor(x)).numpy(), rtol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match=r"glu: dim 0 of input \(3, 2\) has odd size 3"):
        F.glu(cr.tensor(rand(3, 2)), 0)


@pytest.mark.parametrize("s1, s2, dim", [((5, 4), (5, 4), 1), ((3, 1, 6), (4, 6), -1),
                                         ((2, 3, 4), (2, 3, 4), 0)])  # fmt: skip
def test_cosine_similarity_matches_torch(s1, s2, dim):
    check_vs_torch(lambda a, b: F.cosine_similarity(a, b, dim),
                   lambda a, b: TF.cosine_similarity(a, b, dim), [rand(*s1), rand(*s2)],
                   rtol=1e-5, atol=1e-6)  # fmt: skip
    a, b = rand(*s1), rand(*s2)
    np.testing.assert_allclose(
        nn.CosineSimilarity(dim)(cr.tensor(a), cr.tensor(b)).numpy(),
        torch.nn.CosineSimilarity(dim)(torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-5,
    )  # fmt: skip


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_matches_torch(p, keepdim):
    check_vs_torch(lambda a, b: F.pairwise_distance(a, b, p, keepdim=keepdim),
                   lambda a, b: TF.pairwise_distance(a, b, p, keepdim=keepdim),
                   [rand(6, 5), rand(6, 5)], rtol=1e-5, atol=1e-6)  # fmt: skip
    m = nn.PairwiseDistance(p, keepdim=keepdim)
    a, b = rand(3, 4), rand(3, 4)
    np.testing.assert_allclose(m(cr.tensor(a), cr.tensor(b)).numpy(),
                               torch.nn.PairwiseDistance(p, keepdim=keepdim)(
                                   torch.tensor(a), torch.tensor(b)).numpy(), rtol=1e-5)  # fmt: skip


def test_float64_gradchecks():
    xs = [cr.tensor(rand(3, 4, dtype=np.float64), requires_grad=True),
          cr.tensor(rand(3, 4, dtype=np.float64), requires_grad=True)]  # fmt: skip
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b), xs)
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b, 3.0), xs)
    assert gradcheck(lambda a: F.glu(a, 1), xs[:1])
    assert gradcheck(lambda a: F.celu(a, 0.7), xs[:1])
    w = cr.tensor(rand(4, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a, w: F.prelu(a, w), [xs[0], w])
    x3 = cr.tensor(rand(2, 4, 5, dtype=np.float64), requires_grad=True)
    assert gradcheck(lambda a: F.instance_norm(a), [x3])
