"""SGD's blocked momentum updates (cache-sized blocks) give the whole-array passes' weights to
the bit, in PyTorch's form and in Keras's."""

import numpy as np
import pytest

import chainrule as cr
from chainrule import optim, optimizers
from chainrule.layers import Dense
from chainrule.optim import sgd as sgd_module


def test_blocked_keras_momentum_equals_whole_array_passes():
    rng = np.random.default_rng(2)
    size = 3 * sgd_module._BLOCK + 5
    param, grad, buf = (rng.standard_normal(size).astype(np.float32) for _ in range(3))
    p2, b2 = param.copy(), buf.copy()
    scratch = np.empty(sgd_module._BLOCK, np.float32)
    sgd_module._keras_momentum_blocked(param, grad, buf, scratch, 0.9, 0.05)
    tmp = grad * np.float32(0.05)  # the whole-array form of SGD._keras_momentum
    b2 *= 0.9
    b2 -= tmp
    p2 += b2
    np.testing.assert_array_equal(buf, b2)
    np.testing.assert_array_equal(param, p2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: optim.SGD(None, lr=0.05, momentum=0.9),
        lambda: optimizers.SGD(learning_rate=0.05, momentum=0.9),
        lambda: optimizers.SGD(
            learning_rate=optimizers.schedules.ExponentialDecay(0.05, 2, 0.5), momentum=0.8
        ),
    ],
    ids=["torch-form", "keras-form", "keras-schedule"],
)
def test_blocked_update_trains_like_the_whole_array_update(make, monkeypatch):
    """A model with a 90,000-weight kernel (above one block) trained with and without blocking."""
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((96, 20)).astype(np.float32), rng.integers(0, 4, 96)

    def train():
        cr.manual_seed(0)
        model = cr.Sequential([Dense(300, "relu", input_dim=20), Dense(300, "relu"), Dense(4)])
        model.compile(make(), cr.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
        return [p.data.copy() for p in model.parameters()]

    blocked = train()
    monkeypatch.setattr(sgd_module, "_blockable", lambda *args: False)
    whole = train()
    for b, w in zip(blocked, whole):
        assert b.dtype == np.float32
        np.testing.assert_array_equal(b, w)
