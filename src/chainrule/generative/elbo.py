"""The variational autoencoder's objective, on Tensors, shared by both doors.

A VAE with a diagonal Gaussian encoder ``q(z|x) = N(mu, diag(exp(logvar)))``, a standard normal
prior ``p(z) = N(0, I)`` and a Bernoulli decoder whose logits are ``f(z)``:

- :func:`reparameterize`: ``z = mu + exp(logvar / 2) * eps`` with ``eps ~ N(0, I)`` (the
  reparameterisation trick: the draw is a differentiable function of ``mu`` and ``logvar``);
- :func:`gaussian_kl`: ``KL(q(z|x) || p(z)) = 1/2 sum_j (mu_j^2 + exp(logvar_j) - 1 - logvar_j)``
  per example, in closed form;
- :func:`bernoulli_nll`: ``-log p(x|z)``, the binary cross-entropy with logits summed over every
  pixel of an example (targets may be intensities in [0, 1], PyTorch's VAE example convention);
- :func:`negative_elbo`: their sum per example, in nats (``-ELBO >= -log p(x)``);
- :func:`iwae_log_likelihood`: the importance-weighted bound with ``k`` samples,
  ``log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x)`` (Burda et al., 2016), computed with
  logsumexp; it is a lower bound on ``log p(x)`` that tightens as ``k`` grows (``k = 1`` is the
  ELBO in expectation).

Every function returns one value per example, shape ``(N,)``; average them for a batch loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..function import no_grad
from ..tensor import Tensor

LOG_2PI = math.log(2.0 * math.pi)


def _tensor(a, what: str) -> Tensor:
    if isinstance(a, Tensor):
        return a
    arr = np.asarray(a)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{what} must be floating point, got dtype {arr.dtype}")
    return Tensor(arr)


def _check_gaussian(mu: Tensor, logvar: Tensor, what: str) -> None:
    if mu.shape != logvar.shape or mu.ndim != 2:
        raise ValueError(
            f"{what}: mu and logvar must both be (N, latent_dim), got {mu.shape} and {logvar.shape}"
        )


def split_gaussian(params) -> tuple[Tensor, Tensor]:
    """An encoder's output ``(N, 2 * latent_dim)`` → ``(mu, logvar)``, each ``(N, latent_dim)``
    (the first half is the mean, the second the log-variance)."""
    p = _tensor(params, "split_gaussian: params")
    if p.ndim != 2 or p.shape[1] % 2:
        raise ValueError(
            f"split_gaussian: expects (N, 2 * latent_dim) encoder outputs, got shape {p.shape}"
        )
    d = p.shape[1] // 2
    return p[:, :d], p[:, d:]


def standard_normal_like(mu: Tensor) -> np.ndarray:
    """``eps ~ N(0, I)`` of ``mu``'s shape and dtype, from chainrule's generator."""
    from ..random import get_generator

    return get_generator().standard_normal(mu.shape, dtype=np.float32).astype(mu.dtype, copy=False)


def reparameterize(mu, logvar, eps=None) -> Tensor:
    """``z = mu + exp(logvar / 2) * eps``, ``(N, latent_dim)``; ``eps`` drawn from N(0, I) through
    chainrule's generator unless given (an array of ``mu``'s shape)."""
    mu, logvar = _tensor(mu, "reparameterize: mu"), _tensor(logvar, "reparameterize: logvar")
    _check_gaussian(mu, logvar, "reparameterize")
    if eps is None:
        eps = standard_normal_like(mu)
    eps = np.asarray(getattr(eps, "data", eps), dtype=mu.dtype)
    if eps.shape != mu.shape:
        raise ValueError(f"reparameterize: eps has shape {eps.shape}, mu has {mu.shape}")
    return mu + (logvar * 0.5).exp() * Tensor(eps)


def gaussian_kl(mu, logvar) -> Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` per example, ``(N,)`` nats."""
    mu, logvar = _tensor(mu, "gaussian_kl: mu"), _tensor(logvar, "gaussian_kl: logvar")
    _check_gaussian(mu, logvar, "gaussian_kl")
    return (mu * mu + logvar.exp() - logvar - 1.0).sum(axis=1) * 0.5


def bernoulli_nll(logits, x) -> Tensor:
    """``-log p(x|z)`` of a Bernoulli decoder per example, ``(N,)`` nats: binary cross-entropy
    with logits summed over every axis but the first. ``x``: targets in [0, 1], same number of
    values per example as ``logits`` (an ``(N, 28, 28)`` batch matches ``(N, 784)`` logits)."""
    from ..ops import binary_cross_entropy_with_logits

    z = _tensor(logits, "bernoulli_nll: logits")
    t = _tensor(x, "bernoulli_nll: x")
    if t.shape[:1] != z.shape[:1] or t.data.size != z.data.size:
        raise ValueError(
            f"bernoulli_nll: logits {z.shape} and targets {t.shape} must hold the same number of "
            "values per example"
        )
    if t.shape != z.shape:
        t = t.reshape(z.shape)
    bce = binary_cross_entropy_with_logits(z, t)
    return bce.reshape(z.shape[0], -1).sum(axis=1)


def negative_elbo(logits, x, mu, logvar) -> tuple[Tensor, Tensor, Tensor]:
    """``(-ELBO, reconstruction, KL)`` per example, each ``(N,)`` nats, for one draw of ``z``:
    ``-ELBO = bernoulli_nll(logits, x) + gaussian_kl(mu, logvar)``."""
    rec = bernoulli_nll(logits, x)
    kl = gaussian_kl(mu, logvar)
    return rec + kl, rec, kl


def iwae_log_likelihood(
    decode: Callable[[Tensor], Tensor], mu, logvar, x, k: int = 100, eps=None
) -> Tensor:
    """The importance-weighted lower bound on ``log p(x)`` with ``k`` samples per example,
    ``(N,)`` nats (differentiable in ``mu``, ``logvar`` and the decoder's weights).

    ``decode``: latents ``(M, latent_dim)`` → Bernoulli logits ``(M, ...)``. ``eps``: optional
    ``(k, N, latent_dim)`` standard normal draws (drawn through chainrule's generator otherwise).
    With ``z_i = mu + exp(logvar / 2) * eps_i``::

        log w_i = log p(x|z_i) + log N(z_i; 0, I) - log N(z_i; mu, exp(logvar))
        bound   = logsumexp_i(log w_i) - log k

    where ``log N(z_i; mu, exp(logvar)) = -1/2 sum(eps_i^2 + logvar + log 2 pi)``.
    """
    mu, logvar = _tensor(mu, "iwae_log_likelihood: mu"), _tensor(logvar, "iwae: logvar")
    _check_gaussian(mu, logvar, "iwae_log_likelihood")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"iwae_log_likelihood: k must be an int >= 1, got {k!r}")
    n, d = mu.shape
    xt = _tensor(x, "iwae_log_likelihood: x")
    if xt.shape[0] != n:
        raise ValueError(f"iwae_log_likelihood: x has {xt.shape[0]} examples, mu has {n}")
    if eps is None:
        eps = np.stack([standard_normal_like(mu) for _ in range(k)])
    eps = np.asarray(getattr(eps, "data", eps), dtype=mu.dtype)
    if eps.shape != (k, n, d):
        raise ValueError(f"iwae_log_likelihood: eps must be {(k, n, d)}, got {eps.shape}")
    std = (logvar * 0.5).exp()
    z = mu.reshape(1, n, d) + std.reshape(1, n, d) * Tensor(eps)  # (k, N, d)
    logits = decode(z.reshape(k * n, d))
    flat = xt.data.reshape(1, n, -1)
    xs = np.broadcast_to(flat, (k, *flat.shape[1:])).reshape(k * n, -1)  # targets, not learnt
    log_px = -bernoulli_nll(logits, Tensor(xs)).reshape(k, n)
    log_pz = (z * z).sum(axis=2) * -0.5 - 0.5 * d * LOG_2PI
    eps_sq = Tensor(np.square(eps).sum(axis=2))
    log_qz = (eps_sq + logvar.sum(axis=1).reshape(1, n)) * -0.5 - 0.5 * d * LOG_2PI
    log_w = log_px + log_pz - log_qz  # (k, N)
    return log_w.logsumexp(axis=0) - math.log(k)


def evaluate_bounds(
    encode: Callable[[Tensor], Tensor],
    decode: Callable[[Tensor], Tensor],
    x: np.ndarray,
    *,
    k: int = 100,
    batch_size: int = 100,
    decode_batch: int = 2000,
) -> dict[str, float]:
    """Test-set numbers of a VAE over images ``x`` (intensities in [0, 1], any per-example shape
    the encoder takes), averaged per example in nats, without recording a graph:

    ``neg_elbo``, ``reconstruction``, ``kl`` (one draw of z per example, as PyTorch's VAE example
    evaluates) and, when ``k`` >= 1, ``iwae_nll`` = ``-iwae_log_likelihood`` with ``k`` samples.
    ``encode``: images → ``(N, 2 * latent_dim)``; ``decode``: latents → logits.
    ``decode_batch``: the most latents decoded in one call for the bound (``k`` per image).
    """
    x = np.asarray(x, dtype=np.float32)
    if len(x) == 0:
        raise ValueError("evaluate_bounds: no images given")
    totals = {"neg_elbo": 0.0, "reconstruction": 0.0, "kl": 0.0}
    if k:
        totals["iwae_nll"] = 0.0
    with no_grad():
        for i in range(0, len(x), batch_size):
            xb = Tensor(x[i : i + batch_size])
            mu, logvar = split_gaussian(encode(xb))
            neg, rec, kl = negative_elbo(decode(reparameterize(mu, logvar)), xb, mu, logvar)
            totals["neg_elbo"] += float(neg.data.sum(dtype=np.float64))
            totals["reconstruction"] += float(rec.data.sum(dtype=np.float64))
            totals["kl"] += float(kl.data.sum(dtype=np.float64))
            if k:
                # the draws for the whole batch first (the same stream whatever the chunking),
                # then at most ``decode_batch`` decoder inputs at a time: memory stays bounded
                # for convolutional decoders
                eps = np.stack([standard_normal_like(mu) for _ in range(k)])
                step = max(1, decode_batch // k)
                for j in range(0, len(xb), step):
                    sl = slice(j, j + step)
                    ll = iwae_log_likelihood(decode, mu[sl], logvar[sl], xb[sl], k, eps[:, sl])
                    totals["iwae_nll"] -= float(ll.data.sum(dtype=np.float64))
    return {key: v / len(x) for key, v in totals.items()}
