"""The one random generator every draw in chainrule goes through.

``chainrule.manual_seed(s)`` reseeds it; initialisers, dropout, data shuffling and the random
factories all call :func:`get_generator`. Its state is a plain dict (``get_state``/``set_state``), so
checkpoints can store it as JSON and resume the exact same stream.
"""

from __future__ import annotations

import numpy as np

_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library-wide generator; returns it."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def get_generator() -> np.random.Generator:
    """The library-wide generator (reseeded by :func:`manual_seed`)."""
    return _generator


def get_state() -> dict:
    """The generator's state as a JSON-serialisable dict."""
    return _generator.bit_generator.state


def set_state(state: dict) -> None:
    """Restore a state returned by :func:`get_state`."""
    _generator.bit_generator.state = state


def spawn_seed() -> int:
    """Draw a fresh 63-bit seed from the library generator (for components that own a stream)."""
    return int(_generator.integers(0, 2**63 - 1))
