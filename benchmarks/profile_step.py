"""Where one ``Model.fit`` step of the 784-512-512-10 MLP spends its time, piece by piece.

In-process and chainrule-only (no other library loaded). For each batch size it times, as the
median over ``--repeats`` of ``--steps`` calls each (milliseconds per step):

- each of the step's eight matrix products with the operand layouts chainrule's ``Linear`` uses
  (``x @ W``; ``x.T @ g`` for the weight gradient; ``g @ W.T`` for the input gradient), once
  allocating its result as chainrule does and once into a preallocated ``out=`` buffer;
- the elementwise work around them: bias adds, the in-place ReLU, the ReLU mask and its product in
  backward (two new arrays each), bias-gradient sums, the fused softmax cross-entropy forward and
  backward, and chainrule's SGD-momentum update over all parameters;
- the whole ``fit`` step, the hand-written NumPy step (:class:`benchmarks.contenders.NumpyLoop`:
  preallocated buffers, in-place updates; what capturing a step once and replaying it would do),
  and the remainder of ``fit`` not covered by the parts above (graph building, the engine's
  backward walk, the fit loop's per-batch Python).

Times are this process's CPU time by default (robust to other jobs when BLAS runs one thread,
the default here); ``--wall`` uses wall time.

Run: ``python -m benchmarks.profile_step [--batch-sizes 128,1024] [--threads 1]``;
``--cprofile`` also prints cProfile's top functions by own time for ``fit``.

``--cnn lenet5,convnet`` profiles the CNN rows (:mod:`benchmarks.cnn`) instead: for each door
(``--doors chainrule-keras,chainrule-torch``) one training epoch of the model, split into the
forward and backward time of each graph op (every ``Function`` subclass's ``forward`` /
``backward``, timed in place), the optimizer step, and the rest (layer calls, graph recording,
the engine's walk, the loop), in ms per step.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from .common import init_mlp, mnist_shaped
from .contenders import ChainruleFit, NumpyLoop
from .mlp import MLP_SIZES

#: the clock: CPU time of this process (all threads), robust to other jobs on a shared machine
#: when BLAS runs one thread; ``--wall`` switches to wall time
CLOCK = time.process_time


def _ms(call, steps: int, repeats: int) -> float:
    call()
    times = []
    for _ in range(repeats):
        t0 = CLOCK()
        for _ in range(steps):
            call()
        times.append((CLOCK() - t0) / steps)
    return 1e3 * statistics.median(times)


def gemm_parts(batch: int, steps: int, repeats: int, sizes=MLP_SIZES) -> list[tuple]:
    """(name, shape text, ms allocating, ms into out=) for each product of one training step."""
    rng = np.random.default_rng(0)
    ws = [w for w, _ in init_mlp(sizes)]
    acts = [rng.random((batch, s), dtype=np.float32) for s in sizes]
    rows = []
    for i, w in enumerate(ws):
        a, out = acts[i], np.empty((batch, w.shape[1]), np.float32)
        rows.append((f"fwd  x{i}@W{i + 1}", f"({batch},{w.shape[0]})@({w.shape[0]},{w.shape[1]})",
                     _ms(lambda a=a, w=w: a @ w, steps, repeats),
                     _ms(lambda a=a, w=w, o=out: np.matmul(a, w, out=o), steps, repeats)))  # fmt: skip
    for i in range(len(ws) - 1, -1, -1):
        w, a, g = ws[i], acts[i], acts[i + 1]
        gw = np.empty_like(w)
        rows.append((f"bwd  x{i}.T@g -> dW{i + 1}", f"({w.shape[0]},{batch})T@({batch},{w.shape[1]})",
                     _ms(lambda a=a, g=g: a.T @ g, steps, repeats),
                     _ms(lambda a=a, g=g, o=gw: np.matmul(a.T, g, out=o), steps, repeats)))  # fmt: skip
        if i > 0:
            gx = np.empty((batch, w.shape[0]), np.float32)
            rows.append((f"bwd  g@W{i + 1}.T -> dx{i}", f"({batch},{w.shape[1]})@({w.shape[1]},{w.shape[0]})T",
                         _ms(lambda g=g, w=w: g @ w.T, steps, repeats),
                         _ms(lambda g=g, w=w, o=gx: np.matmul(g, w.T, out=o), steps, repeats)))  # fmt: skip
    return rows


def elementwise_parts(batch: int, steps: int, repeats: int, sizes=MLP_SIZES) -> list[tuple]:
    """(name, ms) of the non-GEMM work of one step, done the way chainrule does it."""
    from chainrule import Tensor
    from chainrule.ops import sparse_softmax_cross_entropy
    from chainrule.optim import SGD

    rng = np.random.default_rng(0)
    hidden = [rng.standard_normal((batch, s), dtype=np.float32) for s in sizes[1:-1]]
    bias = [np.zeros(s, np.float32) for s in sizes[1:]]
    outs = [rng.standard_normal((batch, s), dtype=np.float32) for s in sizes[1:]]
    logits = rng.standard_normal((batch, sizes[-1]), dtype=np.float32)
    labels = rng.integers(0, sizes[-1], batch)

    def bias_add():
        for o, b in zip(outs, bias):
            o += b

    def relu():
        for h in hidden:
            np.maximum(h, 0, out=h)

    def relu_backward():  # LinearReLU.backward: g * (out > 0), two new arrays per layer
        for h in hidden:
            np.multiply(h, h > 0)

    def bias_grads():
        for o in outs:
            o.sum(axis=0)

    def loss():
        t = Tensor(logits, requires_grad=True)
        sparse_softmax_cross_entropy(t, labels).mean().backward()

    params = [Tensor(a, requires_grad=True) for w, b in init_mlp(sizes) for a in (w, b)]
    for p in params:
        p.grad = np.full_like(p.data, 1e-3)
    opt = SGD(params, lr=0.01, momentum=0.9)

    return [
        ("bias add (in place)", _ms(bias_add, steps, repeats)),
        ("ReLU forward (in place)", _ms(relu, steps, repeats)),
        ("ReLU backward: g * (out > 0)", _ms(relu_backward, steps, repeats)),
        ("bias gradients: g.sum(axis=0)", _ms(bias_grads, steps, repeats)),
        ("softmax cross-entropy fwd + bwd (+ mean)", _ms(loss, steps, repeats)),
        ("SGD momentum update, all parameters", _ms(opt.step, steps, repeats)),
    ]


def whole_steps(batch: int, steps: int, repeats: int, sizes=MLP_SIZES) -> dict:
    """ms per step of ``Model.fit`` and of the hand-written NumPy loop, same data and weights."""
    x, y = mnist_shaped(batch * steps, sizes[0], sizes[-1])
    fit, floor = ChainruleFit(sizes, batch, x, y), NumpyLoop(sizes, batch, x, y)
    fit.train(1)
    floor.train(1)
    out = {"fit": [], "numpy_floor": []}
    for _ in range(repeats):
        for name, t in (("fit", fit), ("numpy_floor", floor)):
            t0 = CLOCK()
            t.train(1)
            out[name].append((CLOCK() - t0) / steps)
    return {k: 1e3 * statistics.median(v) for k, v in out.items()}


def cprofile_fit(batch: int, steps: int, top: int = 15) -> None:
    import cProfile
    import pstats

    x, y = mnist_shaped(batch * steps)
    fit = ChainruleFit(MLP_SIZES, batch, x, y)
    fit.train(1)
    prof = cProfile.Profile()
    prof.enable()
    fit.train(1)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)


def report(batch: int, steps: int, repeats: int) -> dict:
    gemms = gemm_parts(batch, steps, repeats)
    elem = elementwise_parts(batch, steps, repeats)
    whole = whole_steps(batch, steps, repeats)
    g_alloc, g_out = sum(r[2] for r in gemms), sum(r[3] for r in gemms)
    e_sum = sum(ms for _, ms in elem)
    print(f"\nbatch {batch}: ms per step (median of {repeats} × {steps} steps)")
    print(f"  {'matrix product':30s} {'shape':22s} {'allocating':>10s} {'out=':>8s}")
    for name, shape, a, o in gemms:
        print(f"  {name:30s} {shape:22s} {a:10.3f} {o:8.3f}")
    print(f"  {'all 8 products':53s} {g_alloc:10.3f} {g_out:8.3f}")
    for name, ms in elem:
        print(f"  {name:53s} {ms:10.3f}")
    rest = whole["fit"] - g_alloc - e_sum
    print(f"  {'Model.fit step (everything)':53s} {whole['fit']:10.3f}")
    print(f"  {'  of which not covered above (graph, engine, loop)':53s} {rest:10.3f}")
    print(
        f"  {'hand-written NumPy step (preallocated, in place)':53s} {whole['numpy_floor']:10.3f}"
    )
    return {"batch": batch, "gemms": gemms, "elementwise": elem, **whole,
            "gemm_alloc": g_alloc, "gemm_out": g_out, "elementwise_sum": e_sum, "rest": rest}  # fmt: skip


def _timed(table: dict, key: str, fn):
    """``fn`` wrapped to add its CPU (or wall) seconds into ``table[key]``."""

    def wrapper(*args, **kwargs):
        t0 = CLOCK()
        try:
            return fn(*args, **kwargs)
        finally:
            table[key] = table.get(key, 0.0) + CLOCK() - t0

    return wrapper


def _function_classes() -> list[type]:
    from chainrule.function import Function

    out, stack = [], [Function]
    while stack:
        cls = stack.pop()
        out.append(cls)
        stack.extend(cls.__subclasses__())
    return out


def cnn_profile(door: str, model: str, batch: int, steps: int, repeats: int) -> dict:
    """ms per step of one CNN training step of ``door`` (chainrule-keras: ``fit``;
    chainrule-torch: the PyTorch-style loop), split by op phase; see the module docstring."""
    from .cnn import images, trainer

    x, y = images(batch * steps)
    train, hooks = trainer(door, model, batch, x, y)
    train(1)  # builds, warms the allocator
    opt = hooks.get("optimizer") or hooks["model"].optimizer
    table: dict[str, float] = {}
    patched = []
    for cls in _function_classes():
        for phase in ("forward", "backward"):
            if phase in vars(cls):
                fn = vars(cls)[phase]
                setattr(cls, phase, _timed(table, f"{cls.__name__}.{phase}", fn))
                patched.append((cls, phase, fn))
    opt.step = _timed(table, "optimizer step", opt.step)
    totals = []
    try:
        for _ in range(repeats):
            t0 = CLOCK()
            train(1)
            totals.append(CLOCK() - t0)
    finally:
        for cls, phase, fn in patched:
            setattr(cls, phase, fn)
        del opt.step
    per = 1e3 / (repeats * steps)
    parts = {k: v * per for k, v in sorted(table.items(), key=lambda kv: -kv[1])}
    step = 1e3 * statistics.median(totals) / steps
    return {"door": door, "model": model, "batch": batch, "step": step, "parts": parts,
            "rest": step - sum(parts.values())}  # fmt: skip


def print_cnn_profile(res: dict) -> None:
    print(f"\n{res['model']}, {res['door']}, batch {res['batch']}: ms per step")
    for name, ms in res["parts"].items():
        if ms >= 0.01:
            print(f"  {name:40s} {ms:8.2f}  {100 * ms / res['step']:5.1f} %")
    print(f"  {'rest (layer calls, graph, engine, loop)':40s} {res['rest']:8.2f}  "
          f"{100 * res['rest'] / res['step']:5.1f} %")  # fmt: skip
    print(f"  {'whole step':40s} {res['step']:8.2f}")


def main(argv=None) -> list[dict]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_step",
                                description=__doc__.split("\n")[0])  # fmt: skip
    p.add_argument("--batch-sizes", default="128,1024")
    p.add_argument("--steps", type=int, default=32)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    p.add_argument("--wall", action="store_true", help="wall time instead of CPU time")
    p.add_argument("--cprofile", action="store_true", help="also print cProfile's top functions")
    p.add_argument("--cnn", default=None, help="profile CNN rows instead: lenet5,convnet")
    p.add_argument("--doors", default="chainrule-keras,chainrule-torch", help="with --cnn")
    args = p.parse_args(argv)
    import chainrule

    global CLOCK
    CLOCK = time.perf_counter if args.wall else time.process_time
    chainrule.set_num_threads(args.threads)
    if args.cnn:
        print(f"CNN steps, {args.threads} BLAS threads, {'wall' if args.wall else 'CPU'} time, "
              f"{args.repeats} epochs of {args.steps} steps")  # fmt: skip
        out = []
        for model in args.cnn.split(","):
            for door in args.doors.split(","):
                for b in (int(v) for v in args.batch_sizes.split(",")):
                    out.append(cnn_profile(door, model, b, args.steps, args.repeats))
                    print_cnn_profile(out[-1])
        return out
    print(f"MLP {'-'.join(map(str, MLP_SIZES))}, {args.threads} BLAS threads, "
          f"{'wall' if args.wall else 'CPU'} time")  # fmt: skip
    out = []
    for b in (int(v) for v in args.batch_sizes.split(",")):
        out.append(report(b, args.steps, args.repeats))
        if args.cprofile:
            cprofile_fit(b, args.steps)
    return out


if __name__ == "__main__":
    main()
