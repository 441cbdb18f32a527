"""The Keras "simple MNIST convnet" recipe takes the same training steps in chainrule as in the
real Keras 3 (JAX backend, from the benchmark venv): same initial weights, same batches, dropout
off, five Adam steps; the losses and weights must agree to float rounding. (Runs only where the
benchmark venv exists: ``benchmarks/setup_peers.sh``.)"""

from __future__ import annotations

import subprocess

import numpy as np

KERAS_SIDE = """
import sys, numpy as np, keras
from keras import layers
x = np.load(sys.argv[1]); y = np.load(sys.argv[2])
keras.utils.set_random_seed(0)
m = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, (3, 3), activation="relu"),
    layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
    layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.0),
    layers.Dense(10, activation="softmax")])
np.savez(sys.argv[3], *m.get_weights())
m.compile(loss="categorical_crossentropy", optimizer="adam")
h = m.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
np.savez(sys.argv[4], *m.get_weights(), loss=np.array(h.history["loss"]))
"""


def test_convnet_recipe_steps_like_keras(tmp_path, keras_jax):
    python, env, cwd = keras_jax
    import chainrule as keras
    from chainrule import layers

    rng = np.random.default_rng(0)
    x = rng.random((160, 28, 28, 1), dtype=np.float32)  # 5 steps of 32
    y = keras.utils.to_categorical(rng.integers(0, 10, 160), 10)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    init, final = tmp_path / "init.npz", tmp_path / "final.npz"
    subprocess.run([python, "-c", KERAS_SIDE, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"),
                    str(init), str(final)], env=env, cwd=cwd,
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    model = keras.Sequential([
        keras.Input((28, 28, 1)), layers.Conv2D(32, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Conv2D(64, (3, 3), activation="relu"),
        layers.MaxPooling2D((2, 2)), layers.Flatten(), layers.Dropout(0.0),
        layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    start = np.load(init)
    model.set_weights([start[f"arr_{i}"] for i in range(6)])
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    hist = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0).history
    want = np.load(final)
    np.testing.assert_allclose(hist["loss"], want["loss"], rtol=1e-5)
    for i, w in enumerate(model.get_weights()):
        ref = want[f"arr_{i}"]
        assert not np.allclose(ref, start[f"arr_{i}"])  # the steps moved every weight
        # Adam turns rounding-sized gradient differences into lr-sized steps where the
        # gradient is ~0 (dead ReLUs): compare against the weights' scale
        np.testing.assert_allclose(w, ref, rtol=0, atol=1e-3 * np.abs(ref).max(), err_msg=str(i))
