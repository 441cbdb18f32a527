"""Where a sequence-model training step spends its time, chainrule only (CPU time).

``python -m benchmarks.profile_seq --model charlstm|gpt [--steps 20] [--cprofile]`` builds the
training step of :mod:`benchmarks.rows_seq` (the char-LSTM or the tiny GPT, PyTorch-door modules,
cross-entropy, Adam) and times, per :class:`~chainrule.function.Function` class, its forward and
its backward calls, plus the optimizer step and ``zero_grad``; what is left over is Python
(module calls, graph recording, the engine's walk). ``--cprofile`` adds cProfile's top entries;
``--floor`` times the char-LSTM's matrix products alone (the bound of its recurrent op).
Times are ``time.process_time`` (CPU time of this process), the robust clock on a shared
machine when BLAS runs one thread (``--threads``, default 1).
"""

from __future__ import annotations

import argparse
import collections
import time


def _wrap_functions(spent: dict, calls: collections.Counter) -> list:
    """Wrap forward/backward of every Function subclass with a CPU-time accumulator (outermost
    calls only, so a subclass's ``super().forward`` is not counted twice)."""
    from chainrule.function import Function

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    saved, depth = [], [0]
    for cls in set(subclasses(Function)):
        for name in ("forward", "backward"):
            if name not in cls.__dict__:
                continue
            inner = cls.__dict__[name]

            def wrapper(self, *a, _inner=inner, _key=f"{cls.__name__}.{name}", **kw):
                if depth[0]:  # inside another op's forward/backward (a subclass calling super())
                    return _inner(self, *a, **kw)
                depth[0] += 1
                t0 = time.process_time()
                try:
                    return _inner(self, *a, **kw)
                finally:
                    spent[_key] += time.process_time() - t0
                    calls[_key] += 1
                    depth[0] -= 1

            saved.append((cls, name, inner))
            setattr(cls, name, wrapper)
    return saved


def lstm_gemm_floor(steps: int = 10) -> dict:
    """CPU ms per training step of the char-LSTM's matrix products alone, in NumPy, at the
    orientations the recurrent op uses (gate-major: the weight is the left operand), and of the
    same per-step products the other way round (batch-major, the op's layout before).
    """
    import numpy as np

    from .rows_seq import BATCH, EMB, HID, SEQ

    rng = np.random.default_rng(0)
    G, T, N, H, I = 4 * HID, SEQ, BATCH, HID, EMB

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    u, ut, w = arr(H, G), arr(G, H), arr(G, I + 1)
    x, h, dz = arr(T, N, I + 1), arr(N, H), arr(G, N)
    dzt, hs, x2 = arr(G, T * N), arr(T * N, H), arr(T * N, I)
    buf, dh = np.empty((G, N), np.float32), np.empty((H, N), np.float32)
    parts = {
        "input projection (T, 4H, N), one batched product": lambda: np.matmul(
            w, x.transpose(0, 2, 1)
        ),
        "64 step products w_hhᵀ @ hᵀ (4H, N)": lambda: [
            np.matmul(ut, h.T, out=buf) for _ in range(T)
        ],
        "64 step products w_hh @ dz (H, N)": lambda: [np.matmul(u, dz, out=dh) for _ in range(T)],
        "weight gradients dz @ h_prev, dz @ x": lambda: (dzt @ hs, dzt @ x2),
        "input gradient dzᵀ @ w_ihᵀ": lambda: dzt.T @ w[:, :I],
        "(before) 64 step products h @ w_hh (N, 4H)": lambda: [h @ u for _ in range(T)],
        "(before) 64 step products dz @ w_hhᵀ (N, H)": lambda: [dz.T @ u.T for _ in range(T)],
    }
    out = {}
    for name, f in parts.items():
        f()
        t0 = time.process_time()
        for _ in range(steps):
            f()
        out[name] = 1e3 * (time.process_time() - t0) / steps
    print("char-LSTM matrix products alone, CPU ms per step:")
    for name, ms in out.items():
        print(f"  {name:52s} {ms:8.3f}")
    floor = sum(v for k, v in out.items() if not k.startswith("(before)"))
    print(f"  {'sum of the products the op makes':52s} {floor:8.3f}")
    return out


def profile(model: str, steps: int, use_cprofile: bool) -> dict:
    """CPU ms per step by Function class and phase; prints a table and returns it."""
    import chainrule

    from .rows_seq import build_step

    step, opt = build_step(chainrule, model, return_optimizer=True)
    for _ in range(2):
        step()
    spent: dict = collections.defaultdict(float)
    calls: collections.Counter = collections.Counter()
    inner_step, inner_zero = opt.step, opt.zero_grad

    def timed(fn, key):
        def wrapper(*a, **kw):
            t0 = time.process_time()
            try:
                return fn(*a, **kw)
            finally:
                spent[key] += time.process_time() - t0

        return wrapper

    opt.step, opt.zero_grad = timed(inner_step, "optimizer.step"), timed(inner_zero, "zero_grad")
    saved = _wrap_functions(spent, calls)
    try:
        step()
        spent.clear()
        calls.clear()
        t0 = time.process_time()
        for _ in range(steps):
            step()
        total = time.process_time() - t0
    finally:
        for cls, name, inner in saved:
            setattr(cls, name, inner)
    rows = {k: 1e3 * v / steps for k, v in spent.items()}
    rows["whole step"] = 1e3 * total / steps
    rows["rest (Python: modules, graph, engine)"] = rows["whole step"] - sum(
        v for k, v in rows.items() if k != "whole step"
    )
    print(f"{model}: CPU ms per step (median step of {steps}; calls per step in brackets)")
    for k, v in sorted(rows.items(), key=lambda kv: -kv[1]):
        n = calls.get(k)
        print(f"  {k:48s} {v:8.3f}" + (f"  [{n // steps}]" if n else ""))
    if use_cprofile:
        import cProfile
        import pstats

        opt.step, opt.zero_grad = inner_step, inner_zero
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        for _ in range(steps):
            step()
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.profile_seq", description=__doc__)
    p.add_argument("--model", choices=("charlstm", "gpt"), default="charlstm")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--cprofile", action="store_true")
    p.add_argument("--floor", action="store_true", help="also time the LSTM's products alone")
    a = p.parse_args(argv)
    from .common import pin_threads

    pin_threads(a.threads, torch=False)
    profile(a.model, a.steps, a.cprofile)
    if a.floor:
        lstm_gemm_floor(a.steps)


if __name__ == "__main__":
    main()
