"""Lab ``activations``: sigmoid, tanh, ReLU, leaky ReLU and GELU in the same 4-hidden-layer network
on the two-spirals problem; training loss, and the fraction of dead ReLUs over training."""

from __future__ import annotations

import numpy as np

from ..callbacks import Callback
from ._common import fmt
from ._data import two_spirals
from ._report import LabReport, LabResult

NAME = "activations"
CLAIM = (
    "ReLU-family activations (ReLU, leaky ReLU, GELU) train a deep network faster than the "
    "saturating sigmoid; plain ReLUs can die (a unit negative on every input gets no gradient "
    "again), which leaky ReLU avoids by keeping a small slope."
)
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "gelu")
DEPTH, WIDTH = 4, 32


def dead_fraction(hidden, x: np.ndarray) -> float:
    """Fraction of hidden units whose pre-activation is <= 0 on every sample of ``x``: for a ReLU
    such a unit outputs 0 and passes no gradient (dead)."""
    from ..function import no_grad
    from ..tensor import Tensor

    dead = total = 0
    h = Tensor(x)
    with no_grad():
        for d in hidden:
            z = h.data @ d.kernel.data + d.bias.data
            dead += int((z <= 0).all(axis=0).sum())
            total += z.shape[1]
            h = d(h)
    return dead / total


class _Dead(Callback):
    def __init__(self, hidden, x):
        super().__init__()
        self.hidden, self.x, self.values = hidden, x, []

    def on_train_begin(self, logs=None):
        self.values.append(dead_fraction(self.hidden, self.x))

    def on_epoch_end(self, epoch, logs=None):
        self.values.append(dead_fraction(self.hidden, self.x))


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    from .. import layers
    from ..losses import SparseCategoricalCrossentropy
    from ..optim import SGD
    from ..random import manual_seed
    from ..training import Sequential

    rep = LabReport(NAME, "activation functions", CLAIM, out_dir, quick, verbose)
    n, epochs = (400, 15) if quick else (1000, 60)
    manual_seed(0)
    x, y = two_spirals(n)
    xv, yv = two_spirals(1000)
    res = {}
    for act in ACTIVATIONS:
        manual_seed(0)
        hidden = [layers.Dense(WIDTH, activation=act) for _ in range(DEPTH)]
        model = Sequential([*hidden, layers.Dense(2)])
        model.compile(SGD(lr=0.05, momentum=0.9), SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])  # fmt: skip
        model(x[:1])
        dead = _Dead(hidden, x)
        hist = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, callbacks=[dead],
                         validation_data=(xv, yv))  # fmt: skip
        res[act] = {"loss": hist.history["loss"], "val_acc": hist.history["val_accuracy"][-1],
                    "dead": dead.values, "model": model}  # fmt: skip
        rep.log(f"  {act:11s} final loss {fmt(hist.history['loss'][-1])}, test accuracy "
                f"{hist.history['val_accuracy'][-1]:.3f}, units negative on every input "
                f"{dead.values[-1]:.1%}")  # fmt: skip

    fig = rep.figure(11.0, 3.6)
    ax = fig.add_subplot(1, 3, 1)
    for i, act in enumerate(ACTIVATIONS):
        ax.plot(np.arange(1, epochs + 1), res[act]["loss"], color=f"C{i}", label=act)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title(f"two spirals, {DEPTH}×{WIDTH} hidden units")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 3, 2)
    for i, act in enumerate(ACTIVATIONS):
        if act in ("relu", "leaky_relu"):
            ax.plot(np.arange(0, epochs + 1), 100 * np.array(res[act]["dead"]), color=f"C{i}",
                    label=act + (" (still passes 0.2·gradient)" if act == "leaky_relu" else ""))  # fmt: skip
    ax.set_xlabel("epoch")
    ax.set_ylabel("% of hidden units ≤ 0 on every input")
    ax.set_title("dead ReLUs over training")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax = fig.add_subplot(1, 3, 3)
    best = min(("relu", "leaky_relu", "gelu"), key=lambda a: res[a]["loss"][-1])
    g1, g2 = np.meshgrid(np.linspace(-1.3, 1.3, 150), np.linspace(-1.3, 1.3, 150))
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1).astype(np.float32)
    pred = res[best]["model"].predict(grid, batch_size=4096).argmax(axis=1).reshape(g1.shape)
    ax.contourf(g1, g2, pred, levels=[-0.5, 0.5, 1.5], colors=["#cfe3f7", "#f7dccf"])
    ax.scatter(x[:, 0], x[:, 1], c=np.where(y == 0, "C0", "C1"), s=4)
    ax.set_aspect("equal")
    ax.set_title(f"decision regions ({best})")
    rep.save(fig, "activations.png", "Training loss per activation, the fraction of dead units "
             "for ReLU and leaky ReLU, and the best ReLU-family network's decision regions.")  # fmt: skip
    rep.table(["activation", "final training loss", "test accuracy", "units ≤ 0 on every input"],
              [(a, fmt(r["loss"][-1]), f"{r['val_acc']:.3f}",
                f"{r['dead'][-1]:.1%}" if a in ("relu", "leaky_relu") else "n/a")
               for a, r in res.items()])  # fmt: skip
    sig = res["sigmoid"]["loss"][-1]
    family = {a: res[a]["loss"][-1] for a in ("relu", "leaky_relu", "gelu")}
    faster = all(v < sig for v in family.values())
    relu_dead = res["relu"]["dead"][-1]
    rep.numbers.update(final_loss={a: r["loss"][-1] for a, r in res.items()},
                       dead_relu=relu_dead, dead_relu_init=res["relu"]["dead"][0], dead_leaky=res["leaky_relu"]["dead"][-1])  # fmt: skip
    detail = (
        f"Final training loss: sigmoid {fmt(sig)}, tanh {fmt(res['tanh']['loss'][-1])}, "
        + ", ".join(f"{a} {fmt(v)} ({sig / v:.1f}× lower than sigmoid)" for a, v in family.items())
        + f". Dead ReLUs (negative on every training input): {relu_dead:.1%} of the ReLU "
        f"network's hidden units at the end ({res['relu']['dead'][0]:.1%} at initialisation, at "
        f"most {max(res['relu']['dead']):.1%}); leaky ReLU {res['leaky_relu']['dead'][-1]:.1%} "
        "negative everywhere, and those still pass 0.2× the gradient."
    )
    return rep.finish(faster and relu_dead > 0, detail)
