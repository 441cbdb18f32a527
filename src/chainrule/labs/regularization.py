"""Lab ``regularization``: an over-parameterised MLP (about 270k weights) on 500 MNIST images;
training against validation curves with no regularisation, L1, L2, dropout and early stopping."""

from __future__ import annotations

import numpy as np

from ._data import image_subset
from ._report import LabReport, LabResult

NAME = "regularization"
CLAIM = (
    "An over-parameterised network memorises a small training set and generalises worse than its "
    "training accuracy suggests; L1, L2, dropout and early stopping each narrow that gap."
)
METHODS = ("none", "L1", "L2", "dropout", "early stopping")


def _model(method: str):
    from .. import layers, regularizers
    from ..losses import SparseCategoricalCrossentropy
    from ..optim import Adam
    from ..training import Sequential

    reg = {"L1": regularizers.L1(1e-4), "L2": regularizers.L2(1e-3)}.get(method)
    stack = []
    for _ in range(2):
        stack.append(layers.Dense(256, activation="relu", kernel_regularizer=reg))
        if method == "dropout":
            stack.append(layers.Dropout(0.5))
    model = Sequential([*stack, layers.Dense(10)])
    model.compile(
        Adam(lr=1e-3), SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    return model


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    from ..callbacks import EarlyStopping
    from ..random import manual_seed

    rep = LabReport(NAME, "regularisation", CLAIM, out_dir, quick, verbose)
    n_train, n_val, epochs = (200, 500, 5) if quick else (500, 1000, 30)
    (x, y), (xv, yv) = image_subset(n_train, n_val)
    res = {}
    for method in METHODS:
        manual_seed(0)
        model = _model(method)
        cbs = []
        if method == "early stopping":
            cbs.append(EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True))
        hist = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, callbacks=cbs,
                         validation_data=(xv, yv))  # fmt: skip
        # the final model's numbers (for early stopping: the restored best weights), measured in
        # evaluation mode on both sets, so dropout's training noise does not count
        train = model.evaluate(x, y, batch_size=256, return_dict=True)
        val = model.evaluate(xv, yv, batch_size=256, return_dict=True)
        res[method] = {
            "history": hist.history,
            "train_acc": train["accuracy"],
            "val_acc": val["accuracy"],
            "train_loss": train["loss"],
            "val_loss": val["loss"],
            "gap": train["accuracy"] - val["accuracy"],
            "loss_gap": val["loss"] - train["loss"],
            "epochs": len(hist.history["loss"]),
        }
        r = res[method]
        rep.log(f"  {method:15s} train acc {r['train_acc']:.3f}, validation acc {r['val_acc']:.3f}, "
                f"gap {r['gap']:+.3f}; loss gap {r['loss_gap']:+.3f} ({r['epochs']} epochs)")  # fmt: skip

    fig = rep.figure(11.0, 6.4)
    for i, method in enumerate(METHODS):
        ax = fig.add_subplot(2, 3, i + 1)
        h = res[method]["history"]
        ep = np.arange(1, len(h["loss"]) + 1)
        ax.plot(ep, h["accuracy"], label="train", color="C0")
        ax.plot(ep, h["val_accuracy"], label="validation", color="C1")
        ax.set_ylim(0.5, 1.02)
        ax.set_title(f"{method}: gap {res[method]['gap']:+.3f}")
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if i == 0:
            ax.set_ylabel("accuracy")
            ax.legend(fontsize=8)
    ax = fig.add_subplot(2, 3, 6)
    xs = np.arange(len(METHODS))
    ax.bar(xs, [res[m]["gap"] for m in METHODS], color=[f"C{i}" for i in range(len(METHODS))])
    ax.set_xticks(xs, [m.replace(" ", "\n") for m in METHODS], fontsize=8)
    ax.set_title("generalisation gap (train − val accuracy)")
    ax.grid(alpha=0.3, axis="y")
    rep.save(fig, "regularization.png", f"Accuracy per epoch on {n_train} training and {n_val} "
             "validation images (training accuracy as logged during the epoch, with dropout "
             "active), and the final gap measured in evaluation mode.")  # fmt: skip
    rep.table(["method", "train accuracy", "validation accuracy", "gap (accuracy)",
               "train loss", "validation loss", "gap (loss)", "epochs"],
              [(m, f"{r['train_acc']:.3f}", f"{r['val_acc']:.3f}", f"{r['gap']:+.3f}",
                f"{r['train_loss']:.3f}", f"{r['val_loss']:.3f}", f"{r['loss_gap']:+.3f}",
                r["epochs"]) for m, r in res.items()])  # fmt: skip
    base = res["none"]
    narrowed = [m for m in METHODS[1:] if res[m]["gap"] < base["gap"]]
    wider = [m for m in METHODS[1:] if m not in narrowed]
    rep.numbers.update(gap={m: r["gap"] for m, r in res.items()},
                       val_acc={m: r["val_acc"] for m, r in res.items()})  # fmt: skip
    parts = ", ".join(
        f"{m} {res[m]['gap']:+.3f} ({base['gap'] - res[m]['gap']:+.3f})" for m in METHODS[1:]
    )
    detail = (
        f"Accuracy gap without regularisation {base['gap']:+.3f} (train {base['train_acc']:.3f}, "
        f"validation {base['val_acc']:.3f}); with each method (narrowed by): {parts}. "
        f"{len(narrowed)} of {len(METHODS) - 1} narrowed the gap"
        + (f"; not {', '.join(wider)}." if wider else ".")
    )
    return rep.finish(not wider, detail)
