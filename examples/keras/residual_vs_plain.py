"""Skip connections (He et al. 2016) on Fashion-MNIST: a deep plain CNN against the same network
with residual connections.

Both nets: a 3×3 Conv-BN-ReLU stem, then 3 stages of ``--blocks`` blocks of two 3×3 Conv-BN layers
(filters 8, 16, 32; the first conv of stages 2 and 3 has stride 2), global average pooling and a
softmax layer — 6·blocks + 2 weighted layers (20 for blocks=3, 32 for blocks=5). The residual net
adds each block's input to its output (a strided 1×1 projection where the shape changes, He et
al.'s option B); the plain net is identical without the additions. Same seed, same data, Adam.

BatchNormalization momentum: 0.9 here (``--bn-momentum``; PyTorch's ``momentum=0.1``), not Keras's
default 0.99. Training does not depend on it (batches are normalised with their own statistics),
only inference does: these bias-free convolutions output variances near 0.01 while the moving
variance starts at 1, and with 0.99 it still holds 0.99ⁿ of that start after n steps — a few
hundred steps leave it several times too large in every layer, and inference-mode accuracy stays
near chance (measured: 10–12 % test accuracy after 235 steps of the plain net at 0.99).

    python examples/keras/residual_vs_plain.py --blocks 3 --subset 6000 --epochs 8 --plot res.png
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import chainrule as keras
from chainrule import layers


def build(blocks: int, residual: bool, bn_momentum: float = 0.9) -> keras.Model:
    """The plain or residual net for (28, 28, 1) inputs."""

    def bn():
        return layers.BatchNormalization(momentum=bn_momentum)

    inputs = keras.Input((28, 28, 1))
    x = layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = layers.ReLU()(bn()(x))
    for stage, filters in enumerate((8, 16, 32)):
        for b in range(blocks):
            stride = 2 if stage > 0 and b == 0 else 1
            y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
            y = layers.ReLU()(bn()(y))
            y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
            y = bn()(y)
            if residual:
                shortcut = x
                if stride != 1 or x.shape[-1] != filters:
                    shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
                    shortcut = bn()(shortcut)
                y = layers.Add()([y, shortcut])
            x = layers.ReLU()(y)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="resnet" if residual else "plain")


class _StepLosses(keras.callbacks.Callback):
    """The training loss of every step (fit's logs hold the running mean over the epoch)."""

    def __init__(self, n: int, batch_size: int):
        super().__init__()
        self.n, self.batch_size, self.losses = n, batch_size, []

    def on_epoch_begin(self, epoch, logs=None):
        self.total = 0.0

    def on_train_batch_end(self, batch, logs=None):
        seen = min((batch + 1) * self.batch_size, self.n)
        total = float(logs["loss"]) * seen
        self.losses.append((total - self.total) / (seen - batch * self.batch_size))
        self.total = total


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blocks", type=int, default=3, help="blocks per stage (depth 6·b + 2)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--subset", type=int, default=6000, help="the first N training images")
    parser.add_argument("--test-subset", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None, help="write both curves to this PNG")
    parser.add_argument("--bn-momentum", type=float, default=0.9, help="Keras's momentum (0.99)")
    args = parser.parse_args(argv)

    (x, y), (xt, yt) = keras.datasets.fashion_mnist.load_data()
    prep = lambda a: np.expand_dims(a.astype("float32") / 255, -1)
    x, y = prep(x[: args.subset]), y[: args.subset]
    xt, yt = prep(xt[: args.test_subset]), yt[: args.test_subset]
    results = {}
    for residual in (False, True):
        keras.utils.set_random_seed(args.seed)
        model = build(args.blocks, residual, args.bn_momentum)
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        start = time.perf_counter()
        steps = _StepLosses(len(x), args.batch_size)
        hist = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs,
                         validation_data=(xt, yt), verbose=2, callbacks=[steps]).history  # fmt: skip
        hist["step_loss"] = steps.losses
        name = model.name
        results[name] = hist
        print(f"{name} ({6 * args.blocks + 2} weighted layers): test accuracy "
              f"{hist['val_accuracy'][-1]:.4f}, train loss {hist['loss'][-1]:.4f} after "
              f"{args.epochs} epochs ({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        epochs = np.arange(1, args.epochs + 1)
        per_epoch = -(-len(x) // args.batch_size)
        for i, (name, hist) in enumerate(results.items()):
            losses = np.asarray(hist["step_loss"])
            k = min(10, len(losses))  # moving average over k steps
            smooth = np.convolve(losses, np.ones(k) / k, mode="valid")
            axes[0].plot(
                (np.arange(len(smooth)) + k) / per_epoch, smooth, color=f"C{i}", label=name
            )
            axes[1].plot(epochs, hist["val_accuracy"], marker="o", color=f"C{i}",
                         label=f"{name} (test)")  # fmt: skip
            axes[1].plot(epochs, hist["accuracy"], ls="--", color=f"C{i}",
                         label=f"{name} (training, during the epoch)")  # fmt: skip
        axes[0].set(xlabel="epoch", ylabel="training loss", title=f"training loss ({k}-step mean)",
                    yscale="log")  # fmt: skip
        axes[1].set(xlabel="epoch", ylabel="accuracy", title="accuracy")
        for ax in axes:
            ax.legend()
        fig.suptitle(f"Fashion-MNIST, {6 * args.blocks + 2}-layer CNN: plain vs residual "
                     f"({args.subset} training images)")  # fmt: skip
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"wrote {args.plot}")
    return results


if __name__ == "__main__":
    main()
