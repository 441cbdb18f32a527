"""Run one of chainrule's Keras-door examples under the real Keras 3, for a reference result.

The examples in ``examples/keras/`` are Keras code with one changed import (``import chainrule as
keras``). This runner imports such an example, points its ``keras`` and ``layers`` names at the
real Keras (from the benchmark environment, ``benchmarks/setup_peers.sh``) and serves
``keras.datasets.mnist.load_data`` from chainrule's loader (the same files, sha256-checked, from
``$CHAINRULE_DATA``; the machine has no network), then calls the example's ``main``. Everything
else (model, optimiser, seeds, fit arguments) is the example's own code, so the two libraries'
accuracies on the same recipe can be compared seed for seed::

    KERAS_BACKEND=jax .venv-bench/bin/python -m benchmarks.reference_keras \\
        examples/keras/mnist_convnet.py --seed 1 --verbose 0

Keras is never imported by chainrule; this file runs only in the benchmark environment.
"""

from __future__ import annotations

import importlib.util
import os
import sys


def run(example: str, argv: list[str]) -> float:
    """Import ``example`` (a path), swap in the real Keras, call its ``main(argv)``."""
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    from chainrule import datasets

    spec = importlib.util.spec_from_file_location("_example", example)
    if spec is None or spec.loader is None:
        raise SystemExit(f"reference_keras: cannot import {example}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not hasattr(module, "main"):
        raise SystemExit(f"reference_keras: {example} has no main(argv)")
    module.keras = keras
    module.layers = keras.layers
    keras.datasets.mnist.load_data = lambda *a, **k: datasets.load_mnist()
    print(f"reference_keras: {example} under keras {keras.__version__} "
          f"({keras.backend.backend()} backend)", flush=True)  # fmt: skip
    return module.main(argv)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m benchmarks.reference_keras EXAMPLE.py [ARGS...]")
    run(sys.argv[1], sys.argv[2:])
