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


def _draw_generator(seed, what: str) -> np.random.Generator:
    if seed is None:
        return _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{what}: seed must be None or an int, got {type(seed).__name__}")
    return np.random.default_rng(int(seed))


def _shape_and_dtype(shape, dtype, what: str) -> tuple[tuple, np.dtype]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0 for d in shape):
        raise ValueError(f"{what}: shape must hold ints >= 0, got {shape!r}")
    dt = np.dtype("float32" if dtype is None else getattr(dtype, "name", dtype))
    if dt.kind != "f":
        raise TypeError(f"{what}: dtype must be floating point, got {dt}")
    return shape, dt


def normal(shape, mean: float = 0.0, stddev: float = 1.0, dtype=None, seed=None):
    """Keras 3's ``keras.random.normal``: a Tensor of ``shape`` drawn from N(mean, stddev²),
    float32 unless ``dtype`` says otherwise. ``seed``: None draws from the library generator
    (:func:`manual_seed`); an int gives the same values every call."""
    from .tensor import Tensor

    shape, dt = _shape_and_dtype(shape, dtype, "random.normal")
    rng = _draw_generator(seed, "random.normal")
    values = rng.standard_normal(shape, dtype=np.float64 if dt == np.float64 else np.float32)
    return Tensor((values * stddev + mean).astype(dt, copy=False))


def uniform(shape, minval: float = 0.0, maxval: float = 1.0, dtype=None, seed=None):
    """Keras 3's ``keras.random.uniform``: a Tensor of ``shape`` uniform on [minval, maxval),
    float32 unless ``dtype`` says otherwise; ``seed`` as :func:`normal`."""
    from .tensor import Tensor

    shape, dt = _shape_and_dtype(shape, dtype, "random.uniform")
    if not minval < maxval:
        raise ValueError(f"random.uniform: minval must be below maxval, got {minval}, {maxval}")
    rng = _draw_generator(seed, "random.uniform")
    return Tensor(rng.uniform(minval, maxval, size=shape).astype(dt, copy=False))
