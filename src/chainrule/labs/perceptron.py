"""Lab ``perceptron``: Rosenblatt's perceptron on Iris (setosa vs versicolor, petal length and
width) with its decision boundary after each epoch, and XOR, which it cannot learn, beside a
2-layer network trained by backpropagation that can."""

from __future__ import annotations

import numpy as np

from ._report import LabReport, LabResult

NAME = "perceptron"
CLAIM = (
    "The perceptron rule finds a separating line for linearly separable classes in a few epochs, "
    "but no single-layer perceptron can represent XOR; a network with one hidden layer, trained "
    "by backpropagation, can."
)
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.int64)


def _boundary(ax, w, b, xlim, **kw) -> None:
    xs = np.linspace(*xlim, 2)
    if abs(w[1]) > 1e-12:
        ax.plot(xs, -(w[0] * xs + b) / w[1], **kw)
    elif abs(w[0]) > 1e-12:
        ax.axvline(-b / w[0], **kw)


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    from .. import layers
    from ..datasets import load_iris_petals
    from ..optim import Adam
    from ..perceptron import Perceptron
    from ..random import manual_seed
    from ..training import Sequential

    rep = LabReport(NAME, "the perceptron and XOR", CLAIM, out_dir, quick, verbose)
    manual_seed(0)
    x, y = load_iris_petals()
    iris = Perceptron(lr=0.1, max_epochs=100).fit(x, y)
    iris_acc = iris.score(x, y)
    rep.log(f"  Iris: converged={iris.converged_} after {iris.n_epochs_} epochs, mistakes per "
            f"epoch {iris.errors_}, accuracy {iris_acc:.3f}")  # fmt: skip
    manual_seed(0)
    xor_p = Perceptron(lr=0.1, max_epochs=100).fit(XOR_X, XOR_Y)
    xor_p_acc = xor_p.score(XOR_X, XOR_Y)
    rep.log(f"  XOR perceptron: converged={xor_p.converged_}, accuracy {xor_p_acc:.2f}, "
            f"mistakes in the last epochs {xor_p.errors_[-5:]}")  # fmt: skip
    manual_seed(0)
    net = Sequential([layers.Dense(4, activation="tanh"), layers.Dense(1, activation="sigmoid")])
    net.compile(Adam(lr=0.05), "binary_crossentropy", metrics=["accuracy"])
    hist = net.fit(XOR_X, XOR_Y.astype(np.float32).reshape(-1, 1), batch_size=4,
                   epochs=150 if quick else 400, verbose=0)  # fmt: skip
    net_pred = (net.predict(XOR_X) > 0.5).astype(np.int64).ravel()
    net_acc = float((net_pred == XOR_Y).mean())
    rep.log(
        f"  XOR 2-layer network: accuracy {net_acc:.2f}, final loss {hist.history['loss'][-1]:.4f}"
    )

    fig = rep.figure(11.0, 3.8)
    ax = fig.add_subplot(1, 3, 1)
    for cls, name, marker in ((0, "setosa", "o"), (1, "versicolor", "s")):
        ax.scatter(x[y == cls, 0], x[y == cls, 1], marker=marker, label=name, alpha=0.7, s=14)
    xlim = (x[:, 0].min() - 0.5, x[:, 0].max() + 0.5)
    n = len(iris.coef_history_)
    for e, (w, b) in enumerate(iris.coef_history_):
        shade = 0.75 - 0.75 * (e + 1) / n
        _boundary(ax, w, b, xlim, color=str(shade), linestyle="--" if e < n - 1 else "-",
                  label=f"after epoch {e + 1}")  # fmt: skip
    ax.set_xlim(*xlim)
    ax.set_ylim(x[:, 1].min() - 0.5, x[:, 1].max() + 0.5)
    ax.set_xlabel("petal length (cm)")
    ax.set_ylabel("petal width (cm)")
    ax.set_title(f"Iris: converged in {iris.n_epochs_} epochs")
    ax.legend(fontsize=7)
    g1, g2 = np.meshgrid(np.linspace(-0.5, 1.5, 120), np.linspace(-0.5, 1.5, 120))
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1).astype(np.float32)
    for pos, title, pred in (
        (2, f"XOR, perceptron: accuracy {xor_p_acc:.0%}", xor_p.predict(grid)),
        (3, f"XOR, 2-layer network: accuracy {net_acc:.0%}",
         (net.predict(grid, batch_size=4096) > 0.5).astype(np.int64).ravel()),
    ):  # fmt: skip
        ax = fig.add_subplot(1, 3, pos)
        ax.contourf(g1, g2, pred.reshape(g1.shape), levels=[-0.5, 0.5, 1.5],
                    colors=["#cfe3f7", "#f7dccf"])  # fmt: skip
        ax.scatter(XOR_X[:, 0], XOR_X[:, 1], c=np.where(XOR_Y == 0, "C0", "C1"), s=80,
                   edgecolor="k")  # fmt: skip
        ax.set_title(title)
        ax.set_aspect("equal")
    rep.save(fig, "perceptron.png", "Left: the perceptron's boundary after each epoch on Iris "
             "(grey dashed → black solid). Middle and right: decision regions on XOR.")  # fmt: skip
    rep.table(["model", "task", "converged", "epochs", "accuracy"],
              [("perceptron", "Iris setosa vs versicolor", iris.converged_, iris.n_epochs_,
                f"{iris_acc:.3f}"),
               ("perceptron", "XOR", xor_p.converged_, xor_p.n_epochs_, f"{xor_p_acc:.2f}"),
               ("2-layer network (4 tanh units)", "XOR", "—", len(hist.history["loss"]),
                f"{net_acc:.2f}")])  # fmt: skip
    rep.numbers.update(iris_epochs=iris.n_epochs_, iris_acc=iris_acc, xor_perceptron_acc=xor_p_acc,
                       xor_net_acc=net_acc)  # fmt: skip
    holds = (
        iris.converged_
        and iris_acc == 1.0
        and not xor_p.converged_
        and xor_p_acc <= 0.75
        and (net_acc == 1.0)
    )
    detail = (
        f"Iris: separated after {iris.n_epochs_} epochs (accuracy {iris_acc:.0%}). XOR: the "
        f"perceptron never converged in {xor_p.n_epochs_} epochs (best possible for a line is 75%; "
        f"it ends at {xor_p_acc:.0%}), the 2-layer network reaches {net_acc:.0%}."
    )
    return rep.finish(holds, detail)
