"""chainrule's benchmarks: each library measured in a fresh process of its own, ratios with spreads.

Run ``python -m benchmarks`` (``--help``; docs/performance.md has the tables and the commands).
Keras 3 and JAX are never chainrule dependencies: ``bash benchmarks/setup_peers.sh`` makes the
benchmark venv ``.venv-bench`` they run in; without it their contenders print
``skipped: keras not installed (run benchmarks/setup_peers.sh)``.

Layout
------
- :mod:`benchmarks.harness`: the one harness every cross-library row uses. ``compare(module,
  config, contenders, rounds, threads)`` runs each contender in a fresh process, alternating
  A B A B … (the first rotating each round), and returns per-metric medians with their spread;
  ``ratio(result, ours, peer)`` pairs the two processes of each round and summarises those ratios.
- :mod:`benchmarks.worker`: ``python -m benchmarks.worker MODULE CONTENDER --config JSON
  --threads N`` runs one measurement in its own process and prints one JSON line (metrics, peak
  RSS, interpreter, library versions, BLAS/OpenMP pools and their kernel, threads).
- Row modules: :mod:`~benchmarks.mlp` (MLP and tiny-model training throughput and memory),
  :mod:`~benchmarks.cnn` (LeNet-5 and the Keras MNIST convnet: both chainrule doors, PyTorch
  eager, Keras-JAX),
  :mod:`~benchmarks.startup` (import time and RSS), :mod:`~benchmarks.overhead` (autograd µs per
  op), :mod:`~benchmarks.gemm` (float32 GEMM peak); :mod:`~benchmarks.contenders` holds the MLP
  trainers (chainrule ``fit`` and loop, PyTorch eager, Keras on torch and on JAX, scikit-learn,
  the hand-written NumPy floor).
- In-process, chainrule only (no other library loaded, so nothing to contend with):
  :mod:`~benchmarks.phases` (where a training step's time goes),
  :mod:`~benchmarks.profile_step` (the MLP step piece by piece; ``--cnn`` splits a CNN step by
  op phase), :mod:`~benchmarks.scaling`
  drives the MLP row over sizes and plots it.

Adding a row (say ``benchmarks/conv_ops.py``)
---------------------------------------------
1. Write the module with three names and nothing heavy imported at its top (the parent process
   imports it to read ``CONTENDERS``; libraries are imported inside ``run``)::

       from .harness import Contender, Metric

       CONTENDERS = {
           "chainrule": Contender("chainrule", ("numpy",)),
           "torch": Contender("torch", ("torch",)),
           "keras-jax": Contender("keras-jax", ("keras", "jax"), "bench", {"KERAS_BACKEND": "jax"}),
       }
       METRICS = {"samples_per_s": Metric("samples/s"), "peak_mb": Metric("MiB", False)}

       def run(contender: str, config: dict) -> dict:
           # build the model for `contender` from `config`, then:
           from .worker import apply_threads, peak_mb
           apply_threads()              # size every thread pool loaded so far to --threads
           ...                          # warm up, then time N calls in this process
           return {"metrics": {"samples_per_s": ..., "peak_mb": peak_mb()}, "times": [...]}

   ``Contender(name, needs, python, env)``: ``needs`` are the modules that must import (else the
   row prints why it skipped), ``python="bench"`` runs it in the benchmark venv, ``env`` adds
   environment variables. The first metric is the row's headline; ``higher_is_better`` orients
   the ratios so that above 1 always means chainrule is better.
2. Check it alone: ``python -m benchmarks.worker conv_ops torch --config '{"batch": 32}'``.
3. Show it in ``python -m benchmarks``: add its name to ``ROWS`` in ``__main__.py`` and a block
   that calls ``run(label, "conv_ops", config)`` and ``_print_table(title, {column: result},
   metric)`` (see the ``tiny`` row), and a line in docs/performance.md.
"""
