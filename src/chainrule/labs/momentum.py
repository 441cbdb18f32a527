"""Lab ``momentum``: gradient descent, momentum, Nesterov and Adam on an ill-conditioned quadratic
(trajectories on its contour map) and on MNIST (loss against steps), all with chainrule.optim."""

from __future__ import annotations

import math

import numpy as np

from ._common import BatchLosses, first_below, fmt, smooth
from ._data import image_subset
from ._report import LabReport, LabResult

NAME = "momentum"
CLAIM = (
    "On an ill-conditioned problem plain gradient descent, whose step size is limited by the steep "
    "direction, crawls along the shallow one; momentum (and Nesterov's variant) reaches the minimum in far fewer steps, "
    "and trains an MNIST network faster at the same learning rate."
)
CURVATURE = (1.0, 50.0)  # f(w) = ½ (1·w1² + 50·w2²): condition number 50
START = (-4.0, 1.5)
#: lr × steep curvature = 1.25: gradient descent overshoots the valley floor each step (it zig-zags),
#: and every SGD variant is stable (Nesterov with momentum 0.9 needs lr × curvature < 1.36)
LR_QUAD = 0.025
LR_MNIST = 0.02
THRESHOLD = 1e-3


def _optimizers(lr: float, adam_lr: float):
    from ..optim import SGD, Adam

    return {
        "gradient descent": lambda p: SGD(p, lr=lr),
        "momentum 0.9": lambda p: SGD(p, lr=lr, momentum=0.9),
        "Nesterov 0.9": lambda p: SGD(p, lr=lr, momentum=0.9, nesterov=True),
        "Adam": lambda p: Adam(p, lr=adam_lr),
    }


def quadratic_paths(steps: int) -> dict[str, np.ndarray]:
    """Each optimizer's trajectory (steps + 1, 2) on the quadratic, and its loss per step."""
    from ..creation import tensor

    a = tensor(np.array(CURVATURE, dtype=np.float64))
    out = {}
    for name, make in _optimizers(LR_QUAD, 0.3).items():
        w = tensor(np.array(START, dtype=np.float64), requires_grad=True)
        opt = make([w])
        path, losses = [w.data.copy()], []
        for _ in range(steps):
            loss = 0.5 * (a * w * w).sum()
            losses.append(float(loss.data))
            loss.backward()
            opt.step()
            w.grad = None
            path.append(w.data.copy())
        losses.append(float(0.5 * (np.array(CURVATURE) * path[-1] ** 2).sum()))
        out[name] = (np.array(path), np.array(losses))
    return out


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    from .. import layers
    from ..losses import SparseCategoricalCrossentropy
    from ..random import manual_seed
    from ..training import Sequential

    rep = LabReport(NAME, "momentum", CLAIM, out_dir, quick, verbose)
    steps = 300
    paths = quadratic_paths(steps)
    reach = {k: first_below(l, THRESHOLD) for k, (_, l) in paths.items()}
    for k, r in reach.items():
        rep.log(f"  quadratic: {k:18s} reaches f < {THRESHOLD:g} at step {r}")

    n_train, epochs = (1000, 1) if quick else (4000, 3)
    (x, y), (xt, yt) = image_subset(n_train, 1000)
    mnist = {}
    for name, make in _optimizers(LR_MNIST, 1e-3).items():
        manual_seed(0)
        model = Sequential([layers.Dense(128, activation="relu"), layers.Dense(10)])
        model.compile("sgd", SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        model(x[:1])
        model.optimizer = make(model.trainable_parameters())
        rec = BatchLosses()
        hist = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, callbacks=[rec],
                         validation_data=(xt, yt))  # fmt: skip
        sm = smooth(rec.losses, 0.95)
        mnist[name] = {"loss": rec.losses, "smooth": sm, "final": float(sm[-1]),
                       "val_acc": hist.history["val_accuracy"][-1]}  # fmt: skip
        rep.log(f"  MNIST: {name:18s} final smoothed loss {sm[-1]:.4f}, test accuracy "
                f"{hist.history['val_accuracy'][-1]:.3f}")  # fmt: skip

    fig = rep.figure(11.0, 4.0)
    ax = fig.add_subplot(1, 2, 1)
    g1, g2 = np.meshgrid(np.linspace(-4.5, 4.5, 200), np.linspace(-2.0, 2.0, 200))
    f = 0.5 * (CURVATURE[0] * g1**2 + CURVATURE[1] * g2**2)
    ax.contour(g1, g2, f, levels=np.geomspace(0.01, 100, 14), colors="0.8", linewidths=0.7)
    for i, (name, (path, _)) in enumerate(paths.items()):
        ax.plot(path[:100, 0], path[:100, 1], marker=".", markersize=3, linewidth=0.9,
                color=f"C{i}", label=name)  # fmt: skip
    ax.plot([0], [0], "k*", markersize=10)
    ax.set_xlim(-4.5, 4.5)
    ax.set_ylim(-2.0, 2.0)
    ax.set_title(f"f = ½(w1² + {CURVATURE[1]:g} w2²), first 100 steps, lr {LR_QUAD}")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.legend(fontsize=7, loc="lower right")
    ax = fig.add_subplot(1, 2, 2)
    for i, (name, r) in enumerate(mnist.items()):
        ax.plot(r["smooth"], color=f"C{i}", label=name, linewidth=1.0)
    ax.set_yscale("log")
    ax.set_xlabel("training step (batch 64)")
    ax.set_ylabel("training loss (smoothed)")
    ax.set_title(f"MLP on {n_train} MNIST images, SGD lr {LR_MNIST}, Adam lr 1e-3")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    rep.save(fig, "momentum.png", "Left: trajectories on the quadratic's contours (the minimum "
             "is the star). Right: MNIST training loss per step.")  # fmt: skip
    fig = rep.figure(5.5, 3.5)
    ax = fig.add_subplot(1, 1, 1)
    for i, (name, (_, losses)) in enumerate(paths.items()):
        ax.plot(np.maximum(losses, 1e-300), color=f"C{i}", label=name)
    ax.axhline(THRESHOLD, color="0.5", linestyle=":")
    ax.set_yscale("log")
    ax.set_ylim(1e-12, 1e3)
    ax.set_xlabel("step")
    ax.set_ylabel("f(w)")
    ax.set_title("quadratic: loss per step")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    rep.save(fig, "momentum_quadratic_loss.png", "The quadratic's loss per step (dotted: the "
             f"threshold {THRESHOLD:g}).", wide=False)  # fmt: skip
    rep.table(["optimizer", f"quadratic: steps to f < {THRESHOLD:g}",
               f"quadratic: f after {steps} steps", "MNIST: final loss (smoothed)",
               "MNIST: test accuracy"],
              [(k, reach[k] if reach[k] is not None else f"not in {steps}",
                f"{paths[k][1][-1]:.3g}", f"{mnist[k]['final']:.4f}", f"{mnist[k]['val_acc']:.3f}")
               for k in paths])  # fmt: skip
    gd = reach["gradient descent"] if reach["gradient descent"] is not None else math.inf
    mom = reach["momentum 0.9"] if reach["momentum 0.9"] is not None else math.inf
    nes = reach["Nesterov 0.9"] if reach["Nesterov 0.9"] is not None else math.inf
    m_gd, m_mom, m_nes = (mnist[k]["final"] for k in ("gradient descent", "momentum 0.9",
                                                      "Nesterov 0.9"))  # fmt: skip
    rep.numbers.update(
        steps_to_threshold=reach, mnist_final={k: r["final"] for k, r in mnist.items()}
    )
    holds = mom < gd and nes < gd and m_mom < m_gd and m_nes < m_gd
    detail = (
        f"Quadratic (condition number {CURVATURE[1] / CURVATURE[0]:g}): steps to f < {THRESHOLD:g} "
        f"— gradient descent {fmt(gd)}, momentum {fmt(mom)}, Nesterov {fmt(nes)}, Adam "
        f"{fmt(reach['Adam'] if reach['Adam'] is not None else math.inf)}. MNIST final loss: "
        f"gradient descent {m_gd:.3f}, momentum {m_mom:.3f} ({m_gd / m_mom:.1f}× lower), "
        f"Nesterov {m_nes:.3f}, Adam {mnist['Adam']['final']:.3f}."
    )
    return rep.finish(holds, detail)
