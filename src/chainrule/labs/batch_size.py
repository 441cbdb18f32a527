"""Lab ``batch-size``: full-batch, mini-batch and stochastic gradient descent on Fashion-MNIST with
the same learning rate and the same wall-clock budget; loss against epochs and against seconds."""

from __future__ import annotations

import time

import numpy as np

from ..callbacks import Callback
from ._data import image_subset
from ._report import LabReport, LabResult

NAME = "batch-size"
CLAIM = (
    "Mini-batches get the best of both: per epoch they make nearly the progress of stochastic "
    "(batch 1) descent, per second they beat both full-batch and stochastic descent."
)
LR = 0.05


def _probe_loss(model, x, y) -> float:
    logits = model.predict(x, batch_size=1024).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


class _Budget(Callback):
    """Stops fit after ``budget`` seconds of training (evaluation time excluded) and records
    (seconds, epochs done, loss on the probe set) about every ``budget / points`` seconds."""

    def __init__(self, budget: float, points: int, probe, n: int):
        super().__init__()
        self.budget, self.every, self.probe, self.n = budget, budget / points, probe, n
        self.records: list[tuple[float, float, float]] = []

    def on_train_begin(self, logs=None):
        self.elapsed, self.samples, self.next = 0.0, 0, 0.0
        self._record()
        self._t0 = time.perf_counter()

    def _record(self):
        self.records.append(
            (self.elapsed, self.samples / self.n, _probe_loss(self.model, *self.probe))
        )

    def on_train_batch_end(self, batch, logs=None):
        self.elapsed += time.perf_counter() - self._t0
        size = self.params["batch_size"]
        self.samples += min(size, self.n - (batch * size) % self.n)
        done = self.elapsed >= self.budget
        # on a time grid, plus exactly at the end of the first epoch (the per-epoch comparison)
        if self.elapsed >= self.next or done or self.samples == self.n:
            self._record()
            self.next = self.elapsed + self.every
        if done:
            self.model.stop_training = True
        self._t0 = time.perf_counter()


def run(out_dir, quick: bool = False, verbose: bool = True) -> LabResult:
    from .. import layers
    from ..losses import SparseCategoricalCrossentropy
    from ..optim import SGD
    from ..random import manual_seed
    from ..training import Sequential

    rep = LabReport(NAME, "batch size", CLAIM, out_dir, quick, verbose)
    n_train, budget = (1000, 0.4) if quick else (4000, 6.0)
    (x, y), _ = image_subset(n_train, 0, fashion=True)
    probe = (x[:1000], y[:1000])
    sizes = {"full batch": n_train, "mini-batch 128": 128, "mini-batch 16": 16, "stochastic (1)": 1}
    res = {}
    for label, size in sizes.items():
        manual_seed(0)
        model = Sequential([layers.Dense(64, activation="relu"), layers.Dense(10)])
        model.compile(SGD(lr=LR), SparseCategoricalCrossentropy(from_logits=True))
        model(x[:1])
        rec = _Budget(budget, 20, probe, n_train)
        model.fit(x, y, batch_size=size, epochs=10**6, verbose=0, callbacks=[rec])
        t, ep, loss = (np.array(v) for v in zip(*rec.records))
        after_one = float(np.interp(1.0, ep, loss)) if ep[-1] >= 1.0 else np.nan
        res[label] = {"size": size, "t": t, "epochs": ep, "loss": loss, "final": float(loss[-1]),
                      "epochs_done": float(ep[-1]), "after_one_epoch": after_one}  # fmt: skip
        rep.log(f"  {label:16s} after {budget:g} s: {ep[-1]:.2f} epochs, loss {loss[-1]:.4f}; "
                f"loss after one epoch {after_one:.4f}")  # fmt: skip

    fig = rep.figure(11.0, 3.8)
    for pos, key, xlabel in ((1, "epochs", "epochs (samples seen / N)"),
                             (2, "t", "training time (s)")):  # fmt: skip
        ax = fig.add_subplot(1, 2, pos)
        for i, (label, r) in enumerate(res.items()):
            ax.plot(r[key], r["loss"], marker=".", color=f"C{i}", label=label)
        if key == "epochs":
            ax.set_xscale("symlog", linthresh=0.01)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("loss on 1000 training images")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"SGD lr {LR} on {n_train} Fashion-MNIST images, {budget:g} s each")
    rep.save(fig, "batch_size.png", "Loss against epochs (left) and against training time "
             "(right; evaluation time excluded).")  # fmt: skip
    rep.table(["run", "batch size", f"epochs in {budget:g} s", f"loss after {budget:g} s",
               "loss after one epoch"],
              [(k, r["size"], f"{r['epochs_done']:.2f}", f"{r['final']:.4f}",
                "not reached" if np.isnan(r["after_one_epoch"]) else f"{r['after_one_epoch']:.4f}")
               for k, r in res.items()])  # fmt: skip
    minis = [k for k in res if k.startswith("mini")]
    best_mini = min(minis, key=lambda k: res[k]["final"])
    full, sgd = res["full batch"], res["stochastic (1)"]
    bm = res[best_mini]
    per_second = bm["final"] < full["final"] and bm["final"] < sgd["final"]
    # per epoch: the mini-batch run's loss after one epoch, against full batch's and SGD's
    per_epoch = not np.isnan(bm["after_one_epoch"]) and (
        np.isnan(full["after_one_epoch"]) or bm["after_one_epoch"] < full["after_one_epoch"]
    )
    rep.numbers.update(final={k: r["final"] for k, r in res.items()},
                       after_one_epoch={k: r["after_one_epoch"] for k, r in res.items()})  # fmt: skip
    sgd_one = sgd["after_one_epoch"]
    detail = (
        f"After {budget:g} s of training the best mini-batch run ({best_mini}) is at loss "
        f"{bm['final']:.3f}, against {full['final']:.3f} for full batch "
        f"({full['epochs_done']:.0f} epochs) and {sgd['final']:.3f} for batch 1 "
        f"({sgd['epochs_done']:.2f} epochs). After one epoch: {best_mini} {bm['after_one_epoch']:.3f}, "
        f"full batch {full['after_one_epoch']:.3f}, batch 1 "
        + ("not reached in the budget" if np.isnan(sgd_one) else f"{sgd_one:.3f}")
        + "."
    )
    return rep.finish(per_second and per_epoch, detail)
