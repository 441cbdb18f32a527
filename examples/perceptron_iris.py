"""Rosenblatt's perceptron on Iris: setosa vs versicolor from petal length and width.

    python examples/perceptron_iris.py --out perceptron_iris.png

Trains by the perceptron rule (no gradients), prints the epochs to convergence and the accuracy,
and saves a PNG of the samples with the learned decision boundary w·x + b = 0.
"""

from __future__ import annotations

import argparse

import numpy as np

import chainrule
from chainrule import Perceptron
from chainrule.datasets import load_iris_petals
from chainrule.plotting import new_figure, save_png


def main(argv=None) -> Perceptron:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="perceptron_iris.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    chainrule.manual_seed(args.seed)
    x, y = load_iris_petals()
    model = Perceptron(lr=0.1, max_epochs=100).fit(x, y)
    print(f"{model}: accuracy {model.score(x, y):.3f}, w={model.coef_}, b={model.intercept_:.3f}")

    fig = new_figure(5, 4)
    ax = fig.add_subplot(1, 1, 1)
    for cls, name, marker in ((0, "setosa", "o"), (1, "versicolor", "s")):
        ax.scatter(x[y == cls, 0], x[y == cls, 1], marker=marker, label=name, alpha=0.7)
    (w1, w2), b = model.coef_, model.intercept_
    xs = np.linspace(x[:, 0].min() - 0.5, x[:, 0].max() + 0.5, 2)
    ax.plot(xs, -(w1 * xs + b) / w2, "k--", label="decision boundary")
    ax.set_xlabel("petal length (cm)")
    ax.set_ylabel("petal width (cm)")
    ax.set_ylim(x[:, 1].min() - 0.5, x[:, 1].max() + 0.5)
    ax.set_title(f"Perceptron: converged in {model.n_epochs_} epochs")
    ax.legend()
    save_png(fig, args.out)
    print(f"saved {args.out}")
    return model


if __name__ == "__main__":
    main()
