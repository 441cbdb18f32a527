"""The CNN rows (issue 12): training throughput of LeNet-5 and the Keras "simple MNIST convnet".

Each contender trains one model at batch 128 (default) on the same random 28×28 one-channel
images and labels, with Adam (lr 1e-3) and softmax cross-entropy from logits, in order (no
shuffling); one timed call is one epoch of ``samples`` samples. Contenders:

- ``chainrule-keras``: the Keras door, ``Sequential`` of ``Conv2D(activation="relu")`` /
  ``MaxPooling2D`` / ``Dense`` (channels-last), trained with ``fit`` as a Keras user would;
- ``chainrule-torch``: the PyTorch door, ``nn.Sequential`` of ``nn.Conv2d``, ``nn.ReLU``,
  ``nn.MaxPool2d`` … (channels-first), ``optim.Adam``, a hand-written loop;
- ``torch``: the same PyTorch code on PyTorch 2.13, eager;
- ``keras-jax``: Keras 3 ``fit`` on its JAX backend (XLA-compiled step), in the benchmark venv.

Models: ``lenet5`` (conv 1→6 5×5 pad 2, ReLU, pool 2, conv 6→16 5×5, ReLU, pool 2, 400-120-84-10
with ReLUs) and ``convnet`` (Keras's example: conv 1→32 3×3, ReLU, pool 2, conv 32→64 3×3, ReLU,
pool 2, dropout 0.5, dense 1600→10).

Config keys (all optional): ``model`` "lenet5", ``batch`` 128, ``samples`` 2048, ``epochs`` 5
(timed calls), ``warmup`` 1. The process reports samples per wall-second and per CPU-second
(median call), its RSS after setup and its peak RSS. The builders are shared with
:mod:`benchmarks.profile_step` (``--cnn``), which shows where chainrule's step goes.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from .harness import Contender, Metric

MODELS = ("lenet5", "convnet")
CONTENDERS = {
    "chainrule-keras": Contender("chainrule-keras", ("numpy",)),
    "chainrule-torch": Contender("chainrule-torch", ("numpy",)),
    "torch": Contender("torch", ("torch",)),
    "keras-jax": Contender("keras-jax", ("keras", "jax"), "bench", {"KERAS_BACKEND": "jax"}),
}
METRICS = {
    "samples_per_s": Metric("samples/s"),
    "samples_per_cpu_s": Metric("samples per CPU-second"),
    "peak_mb": Metric("MiB", higher_is_better=False),
    "setup_mb": Metric("MiB", higher_is_better=False),
}
DEFAULTS = {"model": "lenet5", "batch": 128, "samples": 2048, "epochs": 5, "warmup": 1}


def images(samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 images (samples, 28, 28, 1) in [0, 1) and int64 labels in [0, 10)."""
    rng = np.random.default_rng(seed)
    x = rng.random((samples, 28, 28, 1), dtype=np.float32)
    return x, rng.integers(0, 10, samples).astype(np.int64)


def torch_style_model(nn, model: str):
    """The model in a PyTorch-style library (``nn`` is ``torch.nn`` or ``chainrule.nn``)."""
    if model == "lenet5":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
        )  # fmt: skip
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
        nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10),
    )  # fmt: skip


def keras_style_model(keras, model: str):
    """The model in a Keras-style library (``keras`` is Keras 3 or ``chainrule``), compiled."""
    layers = keras.layers
    if model == "lenet5":
        body = [layers.Conv2D(6, 5, padding="same", activation="relu"), layers.MaxPooling2D(),
                layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D(),
                layers.Flatten(), layers.Dense(120, activation="relu"),
                layers.Dense(84, activation="relu")]  # fmt: skip
    else:
        body = [layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
                layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(),
                layers.Flatten(), layers.Dropout(0.5)]  # fmt: skip
    net = keras.Sequential([keras.Input((28, 28, 1)), *body, layers.Dense(10)])
    kw = {"jit_compile": True} if getattr(keras, "__name__", "") == "keras" else {}
    net.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), **kw)  # fmt: skip
    return net


def trainer(contender: str, model: str, batch: int, x: np.ndarray, y: np.ndarray):
    """``train(epochs)`` for ``contender``: that many epochs over (x, y) in batches of ``batch``.

    Returns ``(train, hooks)``; ``hooks`` holds the objects a profiler wants (the model, and the
    optimizer for the loops)."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    if contender in ("chainrule-keras", "keras-jax"):
        if contender == "keras-jax":
            import keras

            keras.utils.set_random_seed(0)
        else:
            import chainrule as keras

            keras.manual_seed(0)
        net = keras_style_model(keras, model)

        def train(epochs: int) -> None:
            net.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0)

        return train, {"model": net}
    if contender == "torch":
        import torch as lib
        from torch import nn
    else:
        import chainrule as lib
        from chainrule import nn
    lib.manual_seed(0)
    net = torch_style_model(nn, model)
    net.train()
    opt = lib.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    xt = lib.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    yt = lib.from_numpy(y)
    n = x.shape[0]

    def train(epochs: int) -> None:
        for _ in range(epochs):
            for s in range(0, n, batch):
                opt.zero_grad()
                loss = loss_fn(net(xt[s : s + batch]), yt[s : s + batch])
                loss.backward()
                opt.step()

    return train, {"model": net, "optimizer": opt}


def run(contender: str, config: dict) -> dict:
    """Build ``contender`` and time it in this process (see the module docstring)."""
    from .worker import apply_threads, peak_mb, status_mb

    cfg = {**DEFAULTS, **config}
    batch, samples = int(cfg["batch"]), int(cfg["samples"])
    x, y = images(samples)
    train, _ = trainer(contender, cfg["model"], batch, x, y)
    apply_threads()
    setup_mb = status_mb("VmRSS") or 0.0
    for _ in range(int(cfg["warmup"])):
        train(1)
    times, cpu = [], []
    for _ in range(int(cfg["epochs"])):
        c0, t0 = time.process_time(), time.perf_counter()
        train(1)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "metrics": {
            "samples_per_s": samples / statistics.median(times),
            "samples_per_cpu_s": samples / statistics.median(cpu),
            "peak_mb": peak_mb(),
            "setup_mb": setup_mb,
        },
        "times": times,
        "cpu_times": cpu,
    }
