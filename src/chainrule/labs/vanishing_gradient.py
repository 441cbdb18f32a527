"""Lab ``vanishing-gradient``: 20-layer dense networks on MNIST — sigmoid, tanh, ReLU (He init),
ReLU with skip connections, ReLU with batch normalisation — and how much gradient reaches the first
layer compared with the last, at initialisation and during training (``GradientMonitor``)."""

from __future__ import annotations

import math

import numpy as np

from ._common import BatchLosses, smooth
from ._data import image_subset
from ._report import LabReport, LabResult

NAME = "vanishing-gradient"
CLAIM = (
    "In a deep stack of sigmoid layers the gradient shrinks on its way back, so the first layers "
    "barely learn; ReLU with He initialisation, skip connections and batch normalisation keep it "
    "flowing (the first/last gradient-norm ratio of the sigmoid stack is orders of magnitude below "
    "the residual ReLU stack's)."
)
DEPTH = 20
WIDTH = 64
CONFIGS = ("sigmoid", "tanh", "relu (He)", "relu + skip", "relu + batch norm")


def build(kind: str, depth: int = DEPTH, width: int = WIDTH):
    """(model, hidden): a Sequential of ``depth`` hidden dense layers + a 10-way output, and the
    hidden Dense layers in order (their gradients are the ones compared)."""
    from .. import layers
    from ..initializers import VarianceScaling

    hidden, stack = [], []
    for i in range(depth):
        if kind in ("sigmoid", "tanh"):
            d = layers.Dense(width, activation=kind, name=f"hidden_{i + 1}")
            stack.append(d)
        elif kind == "relu (He)":
            d = layers.Dense(width, activation="relu", kernel_initializer="he_normal",
                             name=f"hidden_{i + 1}")  # fmt: skip
            stack.append(d)
        elif kind == "relu + skip":
            if i == 0:  # the projection from 784 inputs; then x + relu(W x + b) blocks
                d = layers.Dense(width, activation="relu", kernel_initializer="he_normal",
                                 name="hidden_1")  # fmt: skip
                stack.append(d)
            else:
                d = layers.Dense(width, activation="relu", name=f"hidden_{i + 1}",
                                 kernel_initializer=VarianceScaling(scale=2.0 / depth))  # fmt: skip
                stack.append(layers.Residual(d, name=f"skip_{i + 1}"))
        elif kind == "relu + batch norm":
            d = layers.Dense(width, kernel_initializer="he_normal", name=f"hidden_{i + 1}")
            stack += [d, layers.BatchNormalization(name=f"bn_{i + 1}"), layers.Activation("relu")]
        else:
            raise ValueError(f"vanishing-gradient: unknown network kind {kind!r}")
        hidden.append(d)
    from ..training import Sequential

    model = Sequential([*stack, layers.Dense(10, name="output")])
    return model, hidden


def _layer_norm(layer) -> float:
    grads = [p.grad for p in (layer.kernel, layer.bias) if p is not None and p.grad is not None]
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads))


def init_norms(model, hidden, x, y) -> list[float]:
    """Per-hidden-layer gradient norms of the loss on (x, y) at the current weights."""
    from ..losses import SparseCategoricalCrossentropy
    from ..tensor import Tensor

    model.train()
    loss = SparseCategoricalCrossentropy(from_logits=True)(y, model(Tensor(x)))
    loss.backward()
    norms = [_layer_norm(d) for d in hidden]
    model.zero_grad()
    return norms


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    from ..callbacks import GradientMonitor
    from ..losses import SparseCategoricalCrossentropy
    from ..optim import SGD
    from ..random import manual_seed

    rep = LabReport(NAME, "vanishing gradients", CLAIM, out_dir, quick, verbose)
    n_train, epochs = (600, 1) if quick else (3000, 3)
    (x, y), (xt, yt) = image_subset(n_train, 1000)
    res = {}
    for kind in CONFIGS:
        manual_seed(0)
        model, hidden = build(kind)
        model.compile(SGD(lr=0.01, momentum=0.9), SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])  # fmt: skip
        model(x[:2])  # build
        at_init = init_norms(model, hidden, x[:256], y[:256])
        mon = GradientMonitor(every=2, verbose=0)
        rec = BatchLosses()
        with np.errstate(all="ignore"):
            hist = model.fit(x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=[mon, rec],
                             validation_data=(xt, yt))  # fmt: skip
        per_step = np.array([mon.history[d.name]["grad_norm"] for d in hidden])  # (layers, steps)
        half = per_step.shape[1] // 2
        trained = per_step[:, half:].mean(axis=1)  # second half of training
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_steps = per_step[0] / per_step[-1]
        res[kind] = {
            "init": at_init,
            "trained": trained.tolist(),
            "ratio_init": at_init[0] / at_init[-1] if at_init[-1] else math.nan,
            "ratio_train": float(np.median(ratio_steps)),
            "ratio_steps": ratio_steps,
            "steps": np.array(mon.steps),
            "loss": rec.losses,
            "val_acc": hist.history["val_accuracy"][-1],
            "warnings": len(mon.warnings),
        }
        rep.log(f"  {kind:18s} first/last gradient ratio at init {res[kind]['ratio_init']:.3g}, "
                f"training median {res[kind]['ratio_train']:.3g}, test accuracy "
                f"{res[kind]['val_acc']:.3f}")  # fmt: skip

    fig = rep.figure(11.0, 7.6)
    layer_idx = np.arange(1, DEPTH + 1)
    panels = [
        (1, "init", "per-layer gradient norm at initialisation"),
        (2, "trained", "per-layer gradient norm, second half of training"),
    ]
    for pos, key, title in panels:
        ax = fig.add_subplot(2, 2, pos)
        for i, kind in enumerate(CONFIGS):
            ax.plot(layer_idx, np.maximum(res[kind][key], 1e-30), marker="o", markersize=3,
                    color=f"C{i}", label=kind)  # fmt: skip
        ax.set_yscale("log")
        ax.set_xlabel("hidden layer (1 = nearest the input)")
        ax.set_ylabel("‖∂loss/∂weights‖")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    fig.axes[0].legend(fontsize=8)
    ax = fig.add_subplot(2, 2, 3)
    for i, kind in enumerate(CONFIGS):
        r = res[kind]
        ax.plot(r["steps"], np.maximum(r["ratio_steps"], 1e-30), color=f"C{i}", label=kind,
                linewidth=1.0)  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("first / last layer gradient norm")
    ax.set_title("gradient ratio during training")
    ax.grid(alpha=0.3)
    ax = fig.add_subplot(2, 2, 4)
    for i, kind in enumerate(CONFIGS):
        ax.plot(smooth(res[kind]["loss"], 0.9), color=f"C{i}", label=kind, linewidth=1.0)
    ax.set_xlabel("training step")
    ax.set_ylabel("training loss (smoothed)")
    ax.set_title(f"{DEPTH}-layer networks on {n_train} MNIST images")
    ax.grid(alpha=0.3)
    rep.save(fig, "vanishing_gradient.png", "Gradient norms per hidden layer (log scale), the "
             "first/last ratio over training, and the training loss.")  # fmt: skip
    rep.table(
        ["network", "first/last ratio at init", "median ratio in training", "test accuracy",
         "GradientMonitor warnings"],
        [(k, f"{r['ratio_init']:.3g}", f"{r['ratio_train']:.3g}", f"{r['val_acc']:.3f}",
          r["warnings"]) for k, r in res.items()],
    )  # fmt: skip
    rep.table(["hidden layer", *CONFIGS],
              [(i + 1, *(f"{res[k]['init'][i]:.3g}" for k in CONFIGS)) for i in range(DEPTH)],
              "gradient norm per layer at initialisation")  # fmt: skip
    sig, skip = res["sigmoid"]["ratio_init"], res["relu + skip"]["ratio_init"]
    orders = math.log10(skip / sig) if sig > 0 and skip > 0 else math.inf
    sig_t, skip_t = res["sigmoid"]["ratio_train"], res["relu + skip"]["ratio_train"]
    orders_t = math.log10(skip_t / sig_t) if sig_t > 0 and skip_t > 0 else math.inf
    rep.numbers.update(ratio_init={k: r["ratio_init"] for k, r in res.items()},
                       ratio_train={k: r["ratio_train"] for k, r in res.items()},
                       orders_init=orders, orders_train=orders_t)  # fmt: skip
    others = ", ".join(f"{k} {res[k]['ratio_init']:.2g}" for k in CONFIGS[1:])
    detail = (
        f"First/last gradient-norm ratio at initialisation: sigmoid {sig:.2g} vs {others}; the "
        f"sigmoid stack is {orders:.1f} orders of magnitude below the residual ReLU stack "
        f"({orders_t:.1f} during training)."
    )
    return rep.finish(orders >= 2 and orders_t >= 2, detail)
