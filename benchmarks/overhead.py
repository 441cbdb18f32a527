"""Autograd overhead per small elementwise op: chainrule beside PyTorch, in the same process.

A chain of ``chain`` ops (alternating ``y * a`` and ``y + b`` on a tiny vector, so the arithmetic is
negligible) is run forward and then backpropagated; the time per op is the total divided by
``chain``. The contenders are interleaved ``repeats`` times and the medians are reported, because the
machine is shared and noisy. Times are this process's CPU time (``time.process_time``), so other jobs
competing for the cores do not inflate either figure; both contenders run on one thread here.

Run: ``python benchmarks/overhead.py`` (or ``--repeats 15 --chain 2000``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import chainrule as cr

_clock = time.process_time


def _time_chainrule(chain: int, size: int) -> float:
    x = cr.Tensor(np.linspace(0.5, 1.5, size, dtype=np.float32), requires_grad=True)
    a = cr.Tensor(np.full(size, 1.0001, dtype=np.float32))
    b = cr.Tensor(np.full(size, 1e-4, dtype=np.float32))
    start = _clock()
    y = x
    for i in range(chain):
        y = y * a if i % 2 == 0 else y + b
    y.backward(np.ones(size, dtype=np.float32))
    return _clock() - start


def _time_torch(chain: int, size: int) -> float:
    import torch

    x = torch.linspace(0.5, 1.5, size, dtype=torch.float32, requires_grad=True)
    a = torch.full((size,), 1.0001, dtype=torch.float32)
    b = torch.full((size,), 1e-4, dtype=torch.float32)
    start = _clock()
    y = x
    for i in range(chain):
        y = y * a if i % 2 == 0 else y + b
    y.backward(torch.ones(size, dtype=torch.float32))
    return _clock() - start


def run(repeats: int = 11, chain: int = 2000, size: int = 8) -> dict:
    """Measure both engines, interleaved; returns medians in microseconds per op and their ratio.

    Keys: ``chainrule_us``, ``torch_us`` (None when PyTorch is not installed), ``ratio``
    (chainrule / PyTorch, None without PyTorch), ``repeats``, ``chain``, ``size``.
    """
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    _time_chainrule(chain, size)  # warm-up: imports, caches
    if have_torch:
        _time_torch(chain, size)
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(_time_chainrule(chain, size) / chain * 1e6)
        if have_torch:
            theirs.append(_time_torch(chain, size) / chain * 1e6)
    cr_us = statistics.median(ours)
    torch_us = statistics.median(theirs) if have_torch else None
    return {
        "chainrule_us": cr_us,
        "torch_us": torch_us,
        "ratio": cr_us / torch_us if torch_us else None,
        "repeats": repeats,
        "chain": chain,
        "size": size,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--chain", type=int, default=2000)
    parser.add_argument("--size", type=int, default=8)
    args = parser.parse_args(argv)
    r = run(args.repeats, args.chain, args.size)
    print(
        f"autograd overhead per elementwise op (forward + backward), chain={r['chain']}, "
        f"size={r['size']}, median of {r['repeats']}"
    )
    print(f"  chainrule: {r['chainrule_us']:.2f} us/op")
    if r["torch_us"] is None:
        print("  pytorch:   not installed")
    else:
        print(f"  pytorch:   {r['torch_us']:.2f} us/op")
        print(f"  ratio chainrule/pytorch: {r['ratio']:.2f}")


if __name__ == "__main__":
    main()
