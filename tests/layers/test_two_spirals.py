"""A manual training loop (no fit API): an MLP separates the two spirals; L2 shrinks its weights."""

import numpy as np

import chainrule as cr
from chainrule import layers, losses, regularizers
from chainrule.optim import Adam


def two_spirals(n_per_class: int = 200, noise: float = 0.02):
    """Two interleaved spirals (1.5 turns each), scaled to about [-1, 1]²: X (2n, 2), y (2n,)."""
    gen = cr.random.get_generator()
    theta = np.sqrt(np.linspace(0.02, 1, n_per_class)) * 3 * np.pi
    arm = np.stack([theta * np.cos(theta), theta * np.sin(theta)], axis=1) / (3 * np.pi)
    x = np.concatenate([arm, -arm]) + gen.normal(0, noise, (2 * n_per_class, 2))
    y = np.concatenate([np.zeros(n_per_class), np.ones(n_per_class)])
    return x.astype(np.float32), y.astype(np.float32)


def train(x, y, l2: float, steps: int = 600):
    cr.manual_seed(1)  # same initial weights for both runs
    reg = regularizers.L2(l2) if l2 else None
    model = cr.Sequential([
        layers.Dense(64, activation="tanh", kernel_regularizer=reg),
        layers.Dense(64, activation="tanh", kernel_regularizer=reg),
        layers.Dense(1, kernel_regularizer=reg),
    ])  # fmt: skip
    model(x[:1])  # build, so the optimiser sees every parameter
    loss_fn = losses.BinaryCrossentropy(from_logits=True)
    opt = Adam(model.parameters(), lr=0.01)
    for _ in range(steps):
        loss = loss_fn(y, model(x))
        for term in model.regularization_losses():
            loss = loss + term
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.apply_constraints()
    with cr.no_grad():
        logits = model(x).numpy()[:, 0]
    accuracy = np.mean((logits > 0) == (y > 0.5))
    norm = np.sqrt(sum((layer.kernel.data.astype(np.float64) ** 2).sum() for layer in model))
    return accuracy, norm, loss.dtype


def test_mlp_fits_two_spirals_and_l2_shrinks_the_weights():
    x, y = two_spirals()
    accuracy, norm, dtype = train(x, y, l2=0.0)
    assert accuracy >= 0.99, accuracy
    assert dtype == np.float32
    accuracy_l2, norm_l2, _ = train(x, y, l2=1e-4)
    assert norm_l2 < 0.8 * norm, (norm_l2, norm)
    assert accuracy_l2 > 0.8  # still learns, with smaller weights
