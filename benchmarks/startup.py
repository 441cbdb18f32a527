"""The import row: wall time and resident memory of importing each library in a fresh process.

The worker imports nothing heavy before the row runs, so ``import chainrule`` here is timed as a
user's first line would be: the process's RSS is read just before and just after the import.
Keras is imported with its backend set (``KERAS_BACKEND``), which loads that backend too.
"""

from __future__ import annotations

import importlib
import time

from .harness import Contender, Metric

CONTENDERS = {
    "chainrule": Contender("chainrule", ("numpy",)),
    "torch": Contender("torch", ("torch",)),
    "keras-torch": Contender(
        "keras-torch", ("keras", "torch"), "bench", {"KERAS_BACKEND": "torch"}
    ),
    "keras-jax": Contender("keras-jax", ("keras", "jax"), "bench", {"KERAS_BACKEND": "jax"}),
}
METRICS = {
    "import_s": Metric("s", higher_is_better=False),
    "rss_mb": Metric("MiB", higher_is_better=False),
    "added_mb": Metric("MiB", higher_is_better=False),
}
_MODULE = {"chainrule": "chainrule", "torch": "torch", "keras-torch": "keras", "keras-jax": "keras"}


def run(contender: str, config: dict) -> dict:
    """Import the contender's library once; RSS after the import and what the import added."""
    from .worker import status_mb

    before = status_mb("VmRSS") or 0.0
    t0 = time.perf_counter()
    importlib.import_module(_MODULE[contender])
    elapsed = time.perf_counter() - t0
    after = status_mb("VmRSS") or 0.0
    return {"metrics": {"import_s": elapsed, "rss_mb": after, "added_mb": after - before}}
