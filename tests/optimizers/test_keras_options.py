"""Keras's base-optimizer options (use_ema, ema_overwrite_frequency, loss_scale_factor,
gradient_accumulation_steps): checked against a NumPy transcription of Keras 3's
``BaseOptimizer.apply`` and, where the benchmark venv exists, against Keras 3 itself."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

import chainrule as keras
from chainrule import layers, optimizers
from chainrule.nn import Parameter


def _grads(n=7, shape=(3, 4)):
    rng = np.random.default_rng(1)
    return [rng.standard_normal(shape) for _ in range(n)]


def _sgd_reference(w, grads, lr, *, k=None, ema=None, freq=None, scale=None):
    """Keras 3's apply() for SGD without momentum, written out: unscale, accumulate (update every
    k-th call with the mean), then the moving average and its overwrite."""
    w, acc, avg, it = w.copy(), np.zeros_like(w), np.zeros_like(w), 0
    for g in grads:
        g = g / scale if scale else g
        counted = it // k if k else it
        if k and (it + 1) % k:
            acc += g
        else:
            if k:
                g, acc = (g + acc) / k, np.zeros_like(w)
            w -= lr * g
        if ema is not None:
            m = ema if counted else 0.0
            avg = m * avg + (1 - m) * w
            if freq and (counted + 1) % freq == 0:
                w = avg.copy()
        it += 1
    return w, avg, it


@pytest.mark.parametrize("opts", [
    {"gradient_accumulation_steps": 3},
    {"use_ema": True, "ema_momentum": 0.9},
    {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 2},
    {"use_ema": True, "ema_momentum": 0.8, "ema_overwrite_frequency": 2,
     "gradient_accumulation_steps": 2},
    {"loss_scale_factor": 8.0},
])  # fmt: skip
def test_options_follow_keras_apply(opts):
    w0 = np.random.default_rng(0).standard_normal((3, 4))
    p = Parameter(w0.copy())
    opt = optimizers.SGD(0.1, **opts)
    grads = [g * opts.get("loss_scale_factor", 1.0) for g in _grads()]  # of the scaled loss
    for g in grads:
        opt.apply([g], [p])
    want, avg, it = _sgd_reference(w0, grads, 0.1, k=opts.get("gradient_accumulation_steps"),
                                   ema=opts.get("ema_momentum") if opts.get("use_ema") else None,
                                   freq=opts.get("ema_overwrite_frequency"),
                                   scale=opts.get("loss_scale_factor"))  # fmt: skip
    np.testing.assert_allclose(p.data, want, rtol=1e-12, atol=1e-12)
    assert opt.iterations == it == len(grads)
    if opts.get("use_ema"):
        opt.finalize_variable_values([p])
        np.testing.assert_allclose(p.data, avg, rtol=1e-12, atol=1e-12)


def test_checks_follow_keras():
    with pytest.raises(ValueError, match="gradient_accumulation_steps` must be an integer >= 2"):
        optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="ema_momentum` must be in the range"):
        optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="ema_overwrite_frequency` must be an integer >= 1"):
        optimizers.RMSprop(use_ema=True, ema_overwrite_frequency=0)
    with pytest.raises(ValueError, match="loss_scale_factor"):
        optimizers.Nadam(loss_scale_factor=-1.0)
    assert optimizers.Adam(gradient_accumulation_steps=0).gradient_accumulation_steps is None


def _model(opt):
    keras.manual_seed(0)
    m = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"), layers.Dense(3)])
    m.compile(opt, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((48, 5)).astype(np.float32), rng.integers(0, 3, 48)


def test_fit_uses_the_options_and_finalizes_the_average():
    x, y = _data()
    plain = _model(optimizers.SGD(0.1, momentum=0.9))
    plain.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    scaled = _model(optimizers.SGD(0.1, momentum=0.9, loss_scale_factor=64.0))
    scaled.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(plain.get_weights(), scaled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)  # scaling cancels
    acc = _model(optimizers.SGD(0.1, gradient_accumulation_steps=2))
    big = _model(optimizers.SGD(0.1))
    acc.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    big.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)  # the mean of 2 batches of 8
    for a, b in zip(acc.get_weights(), big.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    ema = _model(optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9))
    ema.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    avg = ema.optimizer._extra_bufs
    for i, p in enumerate(ema.optimizer.params):
        np.testing.assert_array_equal(p.data, avg[i]["ema_average"])  # finalized at the end
    assert not np.allclose(ema.get_weights()[0], plain.get_weights()[0])


def test_checkpoint_resumes_the_options_exactly(tmp_path):
    x, y = _data()
    opt = lambda: optimizers.Adam(0.01, use_ema=True, ema_overwrite_frequency=5,
                                  gradient_accumulation_steps=2)  # fmt: skip
    whole = _model(opt())
    for _ in range(4):
        whole.train_on_batch(x[:8], y[:8])
    half = _model(opt())
    half.train_on_batch(x[:8], y[:8])
    keras.saving.save_model(half, tmp_path / "m.zip", include_optimizer=True)
    resumed = keras.saving.load_model(tmp_path / "m.zip")
    assert resumed.optimizer.gradient_accumulation_steps == 2 and resumed.optimizer.use_ema
    for _ in range(3):
        resumed.train_on_batch(x[:8], y[:8])
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    bad = resumed.optimizer.state_dict()
    bad["keras"][0]["ema_average"] = np.zeros((2, 2), np.float32)
    with pytest.raises(ValueError, match="buffer 'ema_average' has shape"):
        resumed.optimizer.load_state_dict(bad)


KERAS_SIDE = """
import sys, json, numpy as np, keras
w0 = np.load(sys.argv[1]); grads = np.load(sys.argv[2])
opts = json.loads(sys.argv[3])
v = keras.Variable(w0)
opt = getattr(keras.optimizers, opts.pop("cls"))(**opts)
for g in grads:
    opt.apply([keras.ops.convert_to_tensor(g)], [v])
opt.finalize_variable_values([v])
np.save(sys.argv[4], np.asarray(v.numpy()))
"""


@pytest.mark.parametrize("opts", [
    {"cls": "Adam", "learning_rate": 0.05, "gradient_accumulation_steps": 3},
    {"cls": "SGD", "learning_rate": 0.1, "momentum": 0.9, "use_ema": True, "ema_momentum": 0.7,
     "ema_overwrite_frequency": 3},
    {"cls": "RMSprop", "learning_rate": 0.01, "loss_scale_factor": 4.0, "use_ema": True},
])  # fmt: skip
def test_against_keras_itself(opts, tmp_path, keras_jax):
    import json

    python, env, cwd = keras_jax
    w0 = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    grads = np.stack(_grads(8)).astype(np.float32)
    np.save(tmp_path / "w.npy", w0)
    np.save(tmp_path / "g.npy", grads)
    subprocess.run([python, "-c", KERAS_SIDE, str(tmp_path / "w.npy"), str(tmp_path / "g.npy"),
                    json.dumps(opts), str(tmp_path / "out.npy")], env=env, cwd=cwd,
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    kw = dict(opts)
    p = Parameter(w0.copy())
    opt = getattr(optimizers, kw.pop("cls"))(**kw)
    for g in grads:
        opt.apply([g], [p])
    opt.finalize_variable_values([p])
    np.testing.assert_allclose(p.data, np.load(tmp_path / "out.npy"), rtol=1e-5, atol=1e-6)
