"""Lab ``learning-rate``: too low, good, too high — on the 8×8 digits with a small MLP and plain SGD,
with the learning-rate range test (:func:`chainrule.training.lr_find`) beside them."""

from __future__ import annotations

import itertools
import math

import numpy as np

from ._common import BatchLosses, fmt, smooth
from ._data import digits
from ._report import LabReport, LabResult

NAME = "learning-rate"
CLAIM = (
    "With gradient descent, too small a learning rate makes slow progress, a good one converges, "
    "and too large a one oscillates or diverges; the range test points at a good one."
)
RATES = {"too low": 1e-3, "good": 0.1, "too high": 4.0}


def _model():
    from .. import layers
    from ..losses import SparseCategoricalCrossentropy
    from ..optim import SGD
    from ..training import Sequential

    model = Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(
        SGD(lr=0.01), SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    return model


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    from ..random import manual_seed
    from ..training import lr_find

    rep = LabReport(NAME, "learning rate", CLAIM, out_dir, quick, verbose)
    (x, y), (xt, yt) = digits()
    epochs = 8 if quick else 30
    manual_seed(0)
    probe = _model()
    finder = lr_find(probe, x, y, start_lr=1e-5, end_lr=100.0, num_steps=80 if quick else 150)
    suggestion = finder.suggestion
    rep.log(f"lr_find: suggestion {suggestion:.3g} (lowest loss at {finder.min_loss_lr:.3g})")
    rates = dict(RATES)
    rates["lr_find suggestion"] = suggestion
    runs = {}
    for label, lr in rates.items():
        manual_seed(0)
        model = _model()
        model.optimizer.lr = lr
        rec = BatchLosses()
        with np.errstate(all="ignore"):
            hist = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, callbacks=[rec],
                             validation_data=(xt, yt))  # fmt: skip
        losses = hist.history["loss"]
        rises = sum(1 for a, b in itertools.pairwise(losses) if not b < a)
        runs[label] = {
            "lr": lr,
            "epoch_loss": losses,
            "batch": rec.losses,
            "first": rec.losses[0],
            "final": losses[-1],
            "val_acc": hist.history["val_accuracy"][-1],
            "rises": rises,
        }
        rep.log(f"  {label:18s} lr {lr:<8.3g} final loss {fmt(losses[-1])}, test accuracy "
                f"{hist.history['val_accuracy'][-1]:.3f}, epochs with a rise {rises}")  # fmt: skip

    fig = rep.figure(11.0, 3.8)
    ax = fig.add_subplot(1, 2, 1)
    for i, (label, r) in enumerate(runs.items()):
        vals = np.where(np.isfinite(r["batch"]), r["batch"], np.nan)
        ax.plot(smooth(np.nan_to_num(vals, nan=1e6), 0.8) if np.isfinite(vals).all() else vals,
                color=f"C{i}", label=f"{label} (lr {r['lr']:.3g})", linewidth=1.0)  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("batch loss (smoothed)")
    ax.set_title(f"SGD on digits, {epochs} epochs")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax2 = fig.add_subplot(1, 2, 2)
    finder.plot(None, ax=ax2)
    for i, (label, lr) in enumerate(RATES.items()):
        ax2.axvline(lr, color=f"C{i}", linewidth=0.8, alpha=0.7)
    rep.save(fig, "learning_rate.png", "Left: training loss per step for each learning rate. "
             "Right: the range test (loss while the rate grows each step); the dashed line is its "
             "suggestion, the thin lines the three fixed rates.")  # fmt: skip

    rep.table(
        ["run", "learning rate", "first batch loss", "final epoch loss", "test accuracy",
         "epochs where the loss rose"],
        [(k, f"{r['lr']:.3g}", fmt(r["first"]), fmt(r["final"]), f"{r['val_acc']:.3f}", r["rises"])
         for k, r in runs.items()],
    )  # fmt: skip
    low, good, high = runs["too low"], runs["good"], runs["too high"]
    slow = math.isfinite(low["final"]) and low["final"] > 2 * good["final"]
    converges = good["final"] < 0.25 * good["first"]
    fails = (
        (not math.isfinite(high["final"]))
        or high["final"] > 0.5 * high["first"]
        or (high["rises"] >= max(2, epochs // 4))
    )
    sug = runs["lr_find suggestion"]
    rep.numbers.update(
        final_loss={k: r["final"] for k, r in runs.items()},
        suggestion=suggestion,
        high_diverged=fails,
    )
    high_text = (
        "diverged to a non-finite loss"
        if not math.isfinite(high["final"])
        else f"ended at {fmt(high['final'])} (first batch {fmt(high['first'])}, loss rose in "
        f"{high['rises']} of {epochs - 1} epochs)"
    )
    detail = (
        f"Final training loss: too low (lr {RATES['too low']:g}) {fmt(low['final'])}, "
        f"{low['final'] / good['final']:.1f}× the good rate's {fmt(good['final'])} (lr "
        f"{RATES['good']:g}); too high (lr {RATES['too high']:g}) {high_text}. The range test "
        f"suggested {suggestion:.3g}, which reached {fmt(sug['final'])}."
    )
    return rep.finish(slow and converges and fails, detail)
