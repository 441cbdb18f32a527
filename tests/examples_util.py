"""Import a script of examples/ as a module, for the tests that run the examples."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(rel: str):
    """examples/<rel>.py as a module (``rel`` like ``"keras/lenet5"`` or ``"mnist_mlp"``)."""
    spec = importlib.util.spec_from_file_location(f"example_{rel.replace('/', '_')}",
                                                  EXAMPLES / f"{rel}.py")  # fmt: skip
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
