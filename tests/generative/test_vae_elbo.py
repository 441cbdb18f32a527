"""The VAE objective (generative/elbo.py) against PyTorch on the same weights and draws: the
negative ELBO, its parts and the IWAE bound, forward values and gradients; finite differences in
float64."""

import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.generative.elbo import (
    bernoulli_nll,
    gaussian_kl,
    iwae_log_likelihood,
    negative_elbo,
    reparameterize,
    split_gaussian,
)
from chainrule.generative.vae import mlp_decoder, mlp_encoder

LATENT, SHAPE = 3, (4, 5, 1)


def _torch_mlp(seq):
    """A torch Sequential with the Dense kernels of a chainrule Sequential (weight = kernel.T)."""
    mods = []
    dense = [layer for layer in seq.layers if hasattr(layer, "kernel")]
    for i, layer in enumerate(dense):
        lin = torch.nn.Linear(*layer.kernel.shape)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(layer.kernel.data.T))
            lin.bias.copy_(torch.tensor(layer.bias.data))
        mods.append(lin)
        if i < len(dense) - 1:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def _pair(seed=0):
    cr.manual_seed(seed)
    enc = mlp_encoder(LATENT, (6,), SHAPE)
    dec = mlp_decoder(LATENT, (7,), SHAPE)
    rng = np.random.default_rng(seed)
    x = rng.random((5, *SHAPE[:2])).astype(np.float32)  # intensities in [0, 1] as targets
    x[0, 0, :3] = [0.0, 1.0, 0.5]
    enc(cr.Tensor(x))
    return enc, dec, x, _torch_mlp(enc), _torch_mlp(dec), rng


def _close(a, b, what, rtol=2e-5, atol=2e-5):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def _close_parameter_grads(enc, dec, tenc, tdec, rtol=2e-5, atol=2e-5):
    """Every kernel and bias gradient of the encoder/decoder pair equals torch's (kernels are
    stored transposed)."""
    ours = [p for layer in (*enc.layers, *dec.layers) if hasattr(layer, "kernel")
            for p in (layer.kernel, layer.bias)]  # fmt: skip
    theirs = [p for m in (tenc, tdec) for p in m.parameters()]
    assert len(ours) == len(theirs) == 8
    for i, (p, t) in enumerate(zip(ours, theirs)):
        g = t.grad.numpy()
        _close(p.grad, g.T if g.ndim == 2 else g, f"gradient of parameter {i}", rtol, atol)


def _torch_kl(mu, lv):
    return -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), dim=1)  # PyTorch's VAE example


def test_negative_elbo_values_and_gradients_match_torch():
    enc, dec, x, tenc, tdec, rng = _pair()
    eps = rng.standard_normal((5, LATENT)).astype(np.float32)
    mu, lv = split_gaussian(enc(cr.Tensor(x)))
    logits = dec(reparameterize(mu, lv, eps))
    neg, rec, kl = negative_elbo(logits, x, mu, lv)
    assert neg.shape == rec.shape == kl.shape == (5,)
    assert neg.dtype == np.float32
    neg.mean().backward()

    tx = torch.tensor(x).reshape(5, -1)
    h = tenc(tx)
    tmu, tlv = h[:, :LATENT], h[:, LATENT:]
    tz = tmu + torch.exp(0.5 * tlv) * torch.tensor(eps)
    tlog = tdec(tz)
    trec = torch.nn.functional.binary_cross_entropy_with_logits(tlog, tx, reduction="none").sum(1)
    tkl = _torch_kl(tmu, tlv)
    (trec + tkl).mean().backward()
    _close(rec.data, trec.detach().numpy(), "reconstruction", rtol=1e-5)
    _close(kl.data, tkl.detach().numpy(), "kl", rtol=1e-5)
    _close(neg.data, (trec + tkl).detach().numpy(), "negative elbo", rtol=1e-5)
    _close_parameter_grads(enc, dec, tenc, tdec)


def test_iwae_bound_values_and_gradients_match_torch():
    enc, dec, x, tenc, tdec, rng = _pair(1)
    k = 7
    eps = rng.standard_normal((k, 5, LATENT)).astype(np.float32)
    mu, lv = split_gaussian(enc(cr.Tensor(x)))
    mu.retain_grad()
    lv.retain_grad()
    ll = iwae_log_likelihood(dec, mu, lv, x, k=k, eps=eps)
    assert ll.shape == (5,) and ll.dtype == np.float32
    ll.sum().backward()

    tx = torch.tensor(x).reshape(5, -1)
    h = tenc(tx)
    tmu, tlv = h[:, :LATENT], h[:, LATENT:]
    tmu.retain_grad()
    tlv.retain_grad()
    q = torch.distributions.Normal(tmu, torch.exp(0.5 * tlv))
    tz = tmu + torch.exp(0.5 * tlv) * torch.tensor(eps)  # (k, N, L)
    log_q = q.log_prob(tz).sum(-1)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(tz).sum(-1)
    tlog = tdec(tz)
    log_px = -torch.nn.functional.binary_cross_entropy_with_logits(
        tlog, tx.expand(k, -1, -1), reduction="none"
    ).sum(-1)
    tll = torch.logsumexp(log_px + log_p - log_q, dim=0) - math.log(k)
    tll.sum().backward()
    _close(ll.data, tll.detach().numpy(), "iwae bound", rtol=1e-5, atol=1e-4)
    _close(mu.grad, tmu.grad.numpy(), "d bound / d mu", rtol=1e-4, atol=1e-5)
    _close(lv.grad, tlv.grad.numpy(), "d bound / d logvar", rtol=1e-4, atol=1e-5)
    _close_parameter_grads(enc, dec, tenc, tdec, 1e-4, 1e-5)


def test_iwae_with_one_sample_is_the_log_weight_and_repeated_draws_change_nothing():
    enc, dec, x, *_ = _pair(2)
    mu, lv = split_gaussian(enc(cr.Tensor(x)))
    rng = np.random.default_rng(3)
    e = rng.standard_normal((1, 5, LATENT)).astype(np.float32)
    one = iwae_log_likelihood(dec, mu, lv, x, k=1, eps=e).data
    # the same draw 4 times: logsumexp(4 equal log w) - log 4 = log w
    four = iwae_log_likelihood(dec, mu, lv, x, k=4, eps=np.repeat(e, 4, axis=0)).data
    _close(one, four, "repeated draws", atol=1e-4)
    z = reparameterize(mu, lv, e[0])
    log_w = (
        -bernoulli_nll(dec(z), x).data
        - 0.5 * (z.data**2).sum(1)
        + 0.5 * (e[0] ** 2).sum(1)
        + 0.5 * lv.data.sum(1)
    )
    _close(one, log_w, "k = 1", atol=1e-4)


def test_finite_differences_float64():
    rng = np.random.default_rng(4)
    mu = rng.standard_normal((3, 2))
    lv = rng.standard_normal((3, 2)) * 0.5
    logits = rng.standard_normal((3, 6)) * 3
    x = rng.random((3, 6))
    eps = rng.standard_normal((3, 2))
    assert cr.gradcheck(lambda m, v: gaussian_kl(m, v), [mu, lv])
    assert cr.gradcheck(lambda z: bernoulli_nll(z, x), [logits])
    assert cr.gradcheck(lambda m, v: reparameterize(m, v, eps), [mu, lv])
    w = rng.standard_normal((2, 6))
    e3 = rng.standard_normal((5, 3, 2))
    assert cr.gradcheck(
        lambda m, v, w_: iwae_log_likelihood(lambda z: z @ w_, m, v, x, k=5, eps=e3),
        [mu, lv, w],
    )
    out = gaussian_kl(cr.Tensor(mu), cr.Tensor(lv))
    assert out.dtype == np.float64  # float64 kept when given


def test_kl_is_zero_at_the_prior_and_elbo_bounds_are_finite_at_extreme_logits():
    z = np.zeros((2, 4), np.float32)
    np.testing.assert_array_equal(gaussian_kl(z, z).data, [0.0, 0.0])
    logits = np.array([[80.0, -80.0, 0.0]], np.float32)
    nll = bernoulli_nll(logits, np.array([[1.0, 0.0, 1.0]], np.float32)).data
    _close(nll, [math.log(2.0)], "stable at large logits", atol=1e-6)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: gaussian_kl(np.zeros((2, 3)), np.zeros((2, 4))), "mu and logvar"),
        (lambda: reparameterize(np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((3, 3))), "eps"),
        (lambda: split_gaussian(np.zeros((2, 3))), "2 \\* latent_dim"),
        (lambda: bernoulli_nll(np.zeros((2, 4)), np.zeros((2, 5))), "same number"),
        (
            lambda: iwae_log_likelihood(
                lambda z: z, np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3)), k=0
            ),
            "k must",
        ),
        (
            lambda: iwae_log_likelihood(
                lambda z: z, np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((3, 3)), k=2
            ),
            "examples",
        ),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_evaluate_bounds_chunking_keeps_the_draws():
    from chainrule.generative.elbo import evaluate_bounds

    enc, dec, x, *_ = _pair(5)
    x = np.concatenate([x] * 7)  # 35 images: batches of 10 with a short last one
    results = []
    for decode_batch in (10**6, 8, 1):
        cr.manual_seed(11)
        results.append(evaluate_bounds(enc, dec, x, k=4, batch_size=10, decode_batch=decode_batch))
    for other in results[1:]:
        assert other.keys() == results[0].keys()
        for key in other:
            assert other[key] == pytest.approx(results[0][key], rel=1e-6), key
