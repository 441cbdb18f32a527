"""Uses that need second derivatives, step for step equal to PyTorch in float64 (to 1e-10):
the Hessian of a small MLP, a WGAN-GP critic step (gradient penalty), and Newton-CG steps driven
by Hessian-vector products."""

import numpy as np
import torch

import chainrule as cr
from chainrule import autograd
from chainrule import functional as F
from chainrule.autograd import functional as AF

RTOL = 1e-10
rng = np.random.default_rng(18)
X = rng.standard_normal((6, 3))
Y = rng.integers(0, 2, 6)
W1, B1 = rng.standard_normal((3, 4)) * 0.7, rng.standard_normal(4) * 0.1
W2, B2 = rng.standard_normal((4, 2)) * 0.7, rng.standard_normal(2) * 0.1


def mlp_loss_cr(w1, b1, w2, b2):
    h = F.linear(cr.Tensor(X), w1, b1).tanh()
    return F.sparse_softmax_cross_entropy(F.linear(h, w2, b2), Y).mean()


def mlp_loss_th(w1, b1, w2, b2):
    h = torch.tanh(torch.tensor(X) @ w1 + b1)
    return torch.nn.functional.cross_entropy(h @ w2 + b2, torch.tensor(Y))


def test_mlp_hessian_matches_torch():
    params = [W1, B1, W2, B2]
    ours = AF.hessian(mlp_loss_cr, tuple(cr.Tensor(p.copy()) for p in params))
    theirs = torch.autograd.functional.hessian(
        mlp_loss_th, tuple(torch.tensor(p.copy()) for p in params)
    )
    for i in range(4):
        for j in range(4):
            np.testing.assert_allclose(
                ours[i][j].numpy(), theirs[i][j].numpy(), rtol=RTOL, atol=1e-13
            )


def test_mlp_hessian_with_fused_relu_layer_and_layer_norm():
    def loss_cr(w1, w2):
        h = F.linear(cr.Tensor(X), w1, activation="relu")
        return (F.layer_norm(h, 4) @ w2).sigmoid().sum()

    def loss_th(w1, w2):
        h = torch.relu(torch.tensor(X) @ w1)
        return torch.sigmoid(torch.nn.functional.layer_norm(h, (4,)) @ w2).sum()

    ours = AF.hessian(loss_cr, (cr.Tensor(W1.copy()), cr.Tensor(W2.copy())))
    theirs = torch.autograd.functional.hessian(loss_th, (torch.tensor(W1), torch.tensor(W2)))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(
                ours[i][j].numpy(), theirs[i][j].numpy(), rtol=1e-9, atol=1e-12
            )


def test_wgan_gp_critic_steps_match_torch():
    """Critic loss D(fake) − D(real) + λ(‖∇_x̂ D(x̂)‖ − 1)², x̂ between real and fake; SGD."""
    real, fake = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    eps = rng.uniform(size=(5, 1))
    lam, lr = 10.0, 0.05
    params = [W1.copy(), B1.copy(), W2[:, :1].copy(), B2[:1].copy()]
    ours = [cr.Tensor(p.copy(), requires_grad=True) for p in params]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in params]

    def d_cr(x, w1, b1, w2, b2):
        return F.linear(F.linear(x, w1, b1).leaky_relu(0.2), w2, b2)

    def d_th(x, w1, b1, w2, b2):
        return torch.nn.functional.leaky_relu(x @ w1 + b1, 0.2) @ w2 + b2

    for _ in range(3):
        x_hat = cr.Tensor(eps * real + (1 - eps) * fake, requires_grad=True)
        (g,) = autograd.grad(d_cr(x_hat, *ours).sum(), x_hat, create_graph=True)
        gp = ((g * g).sum(axis=1).sqrt() - 1) ** 2
        loss = (d_cr(cr.Tensor(fake), *ours) - d_cr(cr.Tensor(real), *ours)).mean()
        loss = loss + lam * gp.mean()
        for p in ours:
            p.grad = None
        loss.backward()
        with cr.no_grad():
            for p in ours:
                p -= lr * p.grad

        tx_hat = torch.tensor(eps * real + (1 - eps) * fake, requires_grad=True)
        (tg,) = torch.autograd.grad(d_th(tx_hat, *theirs).sum(), tx_hat, create_graph=True)
        tgp = (tg.norm(2, dim=1) - 1) ** 2
        tloss = (d_th(torch.tensor(fake), *theirs) - d_th(torch.tensor(real), *theirs)).mean()
        tloss = tloss + lam * tgp.mean()
        for p in theirs:
            p.grad = None
        tloss.backward()
        with torch.no_grad():
            for p in theirs:
                p -= lr * p.grad
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=RTOL)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=RTOL, atol=1e-12)


def _newton_cg(loss_fn, hvp, grad_fn, w, steps=3, cg_iters=8):
    """Newton steps whose direction solves H d = −g by conjugate gradients on H·v products."""
    for _ in range(steps):
        g = grad_fn(w)
        d = np.zeros_like(w)
        r = -g
        p = r.copy()
        for _ in range(cg_iters):
            hp = hvp(w, p)
            alpha = (r @ r) / (p @ hp)
            d, r_new = d + alpha * p, r - alpha * hp
            if np.sqrt(r_new @ r_new) < 1e-12:
                break
            p = r_new + (r_new @ r_new) / (r @ r) * p
            r = r_new
        w = w + d
    return w, loss_fn(w)


def test_newton_cg_with_hessian_vector_products_matches_torch():
    xs, ys = rng.standard_normal((20, 4)), rng.integers(0, 2, 20).astype(np.float64)
    w0 = np.zeros(4)

    def loss_cr(w):  # L2-regularised logistic regression
        z = cr.Tensor(xs) @ w
        return F.binary_cross_entropy_with_logits(z, ys).mean() + 0.05 * (w * w).sum()

    def loss_th(w):
        z = torch.tensor(xs) @ w
        bce = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(ys))
        return bce + 0.05 * (w * w).sum()

    ours = _newton_cg(
        lambda w: loss_cr(cr.Tensor(w)).item(),
        lambda w, v: AF.hvp(loss_cr, cr.Tensor(w), cr.Tensor(v))[1].numpy(),
        lambda w: AF.vjp(loss_cr, cr.Tensor(w))[1].numpy(),
        w0,
    )
    theirs = _newton_cg(
        lambda w: loss_th(torch.tensor(w)).item(),
        lambda w, v: torch.autograd.functional.hvp(loss_th, torch.tensor(w), torch.tensor(v))[
            1
        ].numpy(),
        lambda w: torch.autograd.functional.vjp(loss_th, torch.tensor(w))[1].numpy(),
        w0,
    )
    np.testing.assert_allclose(ours[0], theirs[0], rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=RTOL)
    # Newton converges: the gradient at the result is ~0
    g = AF.vjp(loss_cr, cr.Tensor(ours[0]))[1].numpy()
    assert np.abs(g).max() < 1e-8
