"""Helpers shared by the training tests (imported by name: the tests folder has no packages)."""

import numpy as np

import chainrule
from chainrule.layers import Dense


def small_mlp(hidden: int = 8, out: int = 3, **kw) -> chainrule.Sequential:
    return chainrule.Sequential([Dense(hidden, activation="relu"), Dense(out, **kw)])


def weights(model) -> dict:
    return {k: np.array(v, copy=True) for k, v in model.state_dict().items()}


def load_example(name: str):
    """Import examples/<name>.py as a module."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
