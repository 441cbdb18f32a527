"""Data for the labs: MNIST / Fashion-MNIST subsets (via chainrule.datasets, $CHAINRULE_DATA),
digits, Iris petals and the two-spirals problem; all float32, draws through chainrule's
generator."""

from __future__ import annotations

import numpy as np

from ..random import get_generator


def image_subset(n_train: int, n_test: int, fashion: bool = False):
    """``(x_train, y_train), (x_test, y_test)``: the first ``n_train`` / ``n_test`` images of
    MNIST (or Fashion-MNIST), flattened to (N, 784) float32 in [0, 1]; labels int64."""
    from ..datasets import load_fashion_mnist, load_mnist

    (x, y), (xt, yt) = (load_fashion_mnist if fashion else load_mnist)()
    prep = lambda a: a.reshape(len(a), 784).astype(np.float32) / 255.0
    return (prep(x[:n_train]), y[:n_train].astype(np.int64)), (
        prep(xt[:n_test]),
        yt[:n_test].astype(np.int64),
    )


def digits():
    """scikit-learn's 8×8 digits: ``(x_train, y_train), (x_test, y_test)``, x (N, 64) in [0, 1]."""
    from ..datasets import load_digits

    (x, y), (xt, yt) = load_digits()
    prep = lambda a: a.reshape(len(a), -1).astype(np.float32) / 16.0
    return (prep(x), y.astype(np.int64)), (prep(xt), yt.astype(np.int64))


def two_spirals(n: int = 1000, turns: float = 1.5, noise: float = 0.05):
    """Two interleaved spirals in the plane: x (n, 2) float32, y (n,) int64 in {0, 1}."""
    gen = get_generator()
    half = n // 2
    t = np.sqrt(gen.uniform(0.0, 1.0, half)) * turns * 2 * np.pi
    r = t / (turns * 2 * np.pi)
    arm = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    x = np.concatenate([arm, -arm]) + gen.normal(0.0, noise, (2 * half, 2))
    y = np.concatenate([np.zeros(half), np.ones(half)]).astype(np.int64)
    order = gen.permutation(2 * half)
    return x[order].astype(np.float32), y[order]
