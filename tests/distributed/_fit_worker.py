"""Run under mpiexec by test_distributed.py: Model.fit on every rank vs. one process.

Each rank trains the same seeded model twice — once data-parallel over the job, once alone on the
whole global batches — and checks the weights agree. Prints one ``OK`` line per check from rank 0.
"""

import sys

import numpy as np

import chainrule as cr
from chainrule import distributed as dist
from chainrule.layers import BatchNormalization as BatchNorm
from chainrule.layers import Dense, Dropout


def data(n=203, d=12, k=3):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = rng.integers(0, k, n)
    return x, y


def make(batchnorm: bool, reg: bool = False):
    cr.manual_seed(0)
    extra = {"kernel_regularizer": "l2", "kernel_constraint": "max_norm"} if reg else {}
    layers = [Dense(16, activation="relu", **extra)]
    if batchnorm:
        layers.append(BatchNorm())
    layers += [Dropout(0.0), Dense(3, activation="softmax")]
    model = cr.Sequential(layers)
    model.compile(
        cr.optim.SGD(lr=0.05, momentum=0.9),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train(distributed, batchnorm=False, n=203, reg=False, **kw):
    x, y = data(n)
    model = make(batchnorm, reg)
    cr.manual_seed(123)  # the same epoch orders in both runs
    hist = model.fit(x, y, batch_size=40, epochs=3, verbose=0, distributed=distributed, **kw)
    return model, hist.history


def check(name, a, b, rtol=2e-5, atol=2e-6):
    for i, (u, v) in enumerate(zip(a.get_weights(), b.get_weights())):
        if not np.allclose(u, v, rtol=rtol, atol=atol):
            raise AssertionError(f"{name}: array {i} differs by {np.abs(u - v).max():.3g}")
    if dist.rank() == 0:
        print(f"OK {name}", flush=True)


def main(case):
    if case == "loader":
        return loaders()
    comm = dist.get_communicator()
    assert comm.size == 2, comm.size
    if case == "fit":
        ref, ref_hist = train(False, validation_split=0.2)
        par, par_hist = train(True, validation_split=0.2)
        check("fit weights", ref, par)
        for k in ref_hist:
            assert np.allclose(ref_hist[k], par_hist[k], rtol=1e-4), (k, ref_hist[k], par_hist[k])
        if comm.rank == 0:
            print("OK fit logs", flush=True)
        # every rank ends with the same weights
        w = np.concatenate([a.ravel() for a in par.get_weights()])
        assert all(np.array_equal(w, o) for o in comm.allgather_object(w))
        ref_nv = train(False)[0]
        nobuckets, _ = train(dist.DataParallel(bucket_cap_mb=1e-4, overlap=True))
        check("fit many small buckets", ref_nv, nobuckets)
        noover, _ = train(dist.DataParallel(overlap=False))
        check("fit without overlap", ref_nv, noover)
        sw = np.random.default_rng(2).uniform(0.1, 2.0, 203).astype(np.float32)
        kw = {"sample_weight": sw, "class_weight": {0: 1.0, 1: 2.0, 2: 0.5}}
        check("fit with sample and class weights", train(False, **kw)[0], train(True, **kw)[0])
        check("fit with regulariser and constraint", train(False, reg=True)[0],
              train(True, reg=True)[0])  # fmt: skip
    elif case == "syncbn":
        ref, _ = train(False, batchnorm=True)
        par, _ = train(dist.DataParallel(sync_batchnorm=True), batchnorm=True)
        check("sync batchnorm", ref, par, rtol=1e-4, atol=1e-5)
        local, _ = train(True, batchnorm=True, n=200)  # (no 3-sample last batch: 2 per rank)
        ref200, _ = train(False, batchnorm=True, n=200)
        diff = max(np.abs(u - v).max() for u, v in zip(ref200.get_weights(), local.get_weights()))
        assert diff > 1e-4, "per-rank BatchNorm statistics should differ from the global ones"
        if comm.rank == 0:
            print("OK per-rank batchnorm differs", flush=True)


def loaders():
    from chainrule.data import DataLoader

    x, y = data(200)
    comm = dist.get_communicator()

    def run(loader, distributed):
        model = make(False)
        model.fit(loader, epochs=2, verbose=0, distributed=distributed)
        return model

    # every rank's loader yields the same batches: each rank keeps its part of every batch
    ref = run(DataLoader((x, y), batch_size=40, shuffle=True, seed=3), False)
    par = run(DataLoader((x, y), batch_size=40, shuffle=True, seed=3), True)
    check("fit DataLoader (same batches, split)", ref, par)
    # a DistributedSampler: each rank loads its own share (global batch = 2 x 20)
    sampler = dist.DistributedSampler(np.arange(200), shuffle=False)
    par = run(DataLoader((x, y), batch_size=20, sampler=sampler), True)
    ref = run(DataLoader((x, y), batch_size=40), False)
    assert comm.size == 2
    check("fit DataLoader with DistributedSampler", ref, par)


if __name__ == "__main__":
    main(sys.argv[1])
