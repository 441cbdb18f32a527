"""Weight initialisers: callables ``init(shape, dtype="float32") -> ndarray``.

Every draw goes through :func:`chainrule.random.get_generator`, so ``chainrule.manual_seed`` makes
initial weights reproducible. Names follow Keras (``"glorot_uniform"``, ``"he_normal"``, …) and
resolve through :func:`get`; each initialiser serialises with ``get_config()``.

Fans for a kernel of shape (..., fan_in_axis, fan_out_axis): ``fan_in = shape[-2] · receptive``,
``fan_out = shape[-1] · receptive`` with ``receptive = prod(shape[:-2])`` (convolution kernels laid
out (kh, kw, in, out)); a 1-D shape has ``fan_in = fan_out = shape[0]``.
"""

from __future__ import annotations

import contextlib
import functools
import math
from contextvars import ContextVar

import numpy as np

from . import custom_objects as _custom
from .random import get_generator

INITIALIZERS: dict[str, type] = {}


def _register(*names):
    def deco(cls):
        for n in names:
            INITIALIZERS[n] = cls
        cls.registered_name = names[0]
        return cls

    return deco


def compute_fans(shape: tuple) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of ``shape``."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def _truncated_normal(shape, stddev: float, dtype, gen=None) -> np.ndarray:
    """Normal(0, stddev) redrawn outside ±2 standard deviations (as Keras and TensorFlow do)."""
    gen = get_generator() if gen is None else gen
    z = gen.standard_normal(shape, dtype=np.float64)
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(z) > 2
    return (z * stddev).astype(dtype, copy=False)


_BUDGET: ContextVar[list | None] = ContextVar("chainrule_init_budget", default=None)


class AllocationBudgetError(ValueError):
    """An initializer was asked for more values than the active :func:`allocation_budget` allows."""


@contextlib.contextmanager
def allocation_budget(elements: int, what: str = "the weights file"):
    """Within the block, initializers refuse (before allocating) to create more than ``elements``
    values in total. Loading a model file uses this: a config can only build parameters the file's
    tensors actually hold, so ``Dense(units=2**26)`` in a tiny file fails before any allocation."""
    token = _BUDGET.set([int(elements), what])
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _charge(initializer, shape) -> None:
    budget = _BUDGET.get()
    if budget is None:
        return
    try:
        dims = [int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,))]
    except (TypeError, ValueError):
        raise AllocationBudgetError(f"{type(initializer).__name__}: bad shape {shape!r}") from None
    n = 1
    for d in dims:
        if d < 0:
            raise AllocationBudgetError(f"{type(initializer).__name__}: negative size in {dims}")
        n *= d
    if n > budget[0]:
        raise AllocationBudgetError(
            f"a layer asks for a tensor of shape {tuple(dims)} ({n} values), more than "
            f"{budget[1]} holds ({budget[0]} values left); refused before allocating"
        )
    budget[0] -= n


class Initializer:
    """Base: subclasses implement ``__call__(shape, dtype)`` and ``get_config()``."""

    registered_name = ""
    #: Keras's ``seed=``: None draws from the library generator (``chainrule.manual_seed``); an int
    #: makes every call draw the same values (a generator seeded with it), as in Keras 3.
    seed = None

    def _rng(self) -> np.random.Generator:
        if self.seed is None:
            return get_generator()
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise TypeError(
                f"{type(self).__name__}: seed must be an int or None, got {self.seed!r}"
            )
        return np.random.default_rng(int(self.seed))

    def _seed_config(self) -> dict:
        return {} if self.seed is None else {"seed": self.seed}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        call = cls.__dict__.get("__call__")
        if call is not None and not getattr(call, "_charged", False):

            @functools.wraps(call)
            def charged(self, shape, *args, **kw):
                _charge(self, shape)
                return call(self, shape, *args, **kw)

            charged._charged = True
            cls.__call__ = charged

    def __call__(self, shape, dtype="float32") -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Initializer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@_register("zeros")
class Zeros(Initializer):
    def __call__(self, shape, dtype="float32") -> np.ndarray:
        return np.zeros(shape, dtype=dtype)


@_register("ones")
class Ones(Initializer):
    def __call__(self, shape, dtype="float32") -> np.ndarray:
        return np.ones(shape, dtype=dtype)


@_register("constant")
class Constant(Initializer):
    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self) -> dict:
        return {"value": self.value}


@_register("random_uniform", "uniform")
class RandomUniform(Initializer):
    """Uniform on [minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.seed = seed
        if not minval < maxval:
            raise ValueError(f"RandomUniform: minval ({minval}) must be below maxval ({maxval})")
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        return self._rng().uniform(self.minval, self.maxval, shape).astype(dtype, copy=False)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **self._seed_config()}


@_register("random_normal", "normal")
class RandomNormal(Initializer):
    """Normal(mean, stddev)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.seed = seed
        if stddev <= 0:
            raise ValueError(f"RandomNormal: stddev must be positive, got {stddev}")
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        return self._rng().normal(self.mean, self.stddev, shape).astype(dtype, copy=False)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **self._seed_config()}


@_register("truncated_normal")
class TruncatedNormal(Initializer):
    """Normal(mean, stddev) with values beyond two standard deviations redrawn (Keras's)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        if stddev <= 0:
            raise ValueError(f"TruncatedNormal: stddev must be positive, got {stddev}")
        self.mean, self.stddev, self.seed = float(mean), float(stddev), seed

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        out = _truncated_normal(shape, self.stddev, np.float64, self._rng()) + self.mean
        return out.astype(dtype, copy=False)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **self._seed_config()}


@_register("variance_scaling")
class VarianceScaling(Initializer):
    """Weights of variance ``scale / n`` with n = fan_in, fan_out or their mean (``mode``).

    ``distribution``: ``"uniform"`` (on ±√(3·scale/n)), ``"truncated_normal"`` (cut at 2σ, σ
    corrected so the variance is exactly scale/n) or ``"untruncated_normal"``.
    """

    def __init__(
        self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
        seed: int | None = None,
    ):  # fmt: skip
        self.seed = seed
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got {mode!r}"
            )
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(
                "VarianceScaling: distribution must be uniform, truncated_normal or "
                f"untruncated_normal, got {distribution!r}"
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def variance(self, shape) -> float:
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return self.scale / max(1.0, n)

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        var = self.variance(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3 * var)
            return self._rng().uniform(-limit, limit, shape).astype(dtype, copy=False)
        if self.distribution == "truncated_normal":
            # 0.8796... is the std of a standard normal truncated to [-2, 2]
            std = math.sqrt(var) / 0.87962566103423978
            return _truncated_normal(shape, std, dtype, self._rng())
        return (self._rng().standard_normal(shape) * math.sqrt(var)).astype(dtype, copy=False)

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **self._seed_config()}  # fmt: skip


class _Preset(VarianceScaling):
    """A named VarianceScaling (Glorot, He, LeCun): its config is empty."""

    preset: tuple = ()

    def __init__(self, seed: int | None = None):
        super().__init__(*self.preset, seed=seed)

    def get_config(self) -> dict:
        return self._seed_config()


@_register("glorot_uniform", "xavier_uniform")
class GlorotUniform(_Preset):
    """Uniform on ±√(6 / (fan_in + fan_out)): variance 2 / (fan_in + fan_out)."""

    preset = (1.0, "fan_avg", "uniform")


@_register("glorot_normal", "xavier_normal")
class GlorotNormal(_Preset):
    """Truncated normal with variance 2 / (fan_in + fan_out)."""

    preset = (1.0, "fan_avg", "truncated_normal")


@_register("he_uniform", "kaiming_uniform")
class HeUniform(_Preset):
    """Uniform on ±√(6 / fan_in): variance 2 / fan_in."""

    preset = (2.0, "fan_in", "uniform")


@_register("he_normal", "kaiming_normal")
class HeNormal(_Preset):
    """Truncated normal with variance 2 / fan_in."""

    preset = (2.0, "fan_in", "truncated_normal")


@_register("lecun_normal")
class LecunNormal(_Preset):
    """Truncated normal with variance 1 / fan_in (the SELU companion)."""

    preset = (1.0, "fan_in", "truncated_normal")


@_register("lecun_uniform")
class LecunUniform(_Preset):
    """Uniform on ±√(3 / fan_in): variance 1 / fan_in."""

    preset = (1.0, "fan_in", "uniform")


@_register("orthogonal")
class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal matrix.

    The shape is flattened to (prod(shape[:-1]), shape[-1]); the result has orthonormal columns
    when rows ≥ columns, orthonormal rows otherwise.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = float(gain)
        self.seed = seed

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of at least 2 dimensions, got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # makes the distribution uniform over orthogonal matrices
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype, copy=False)

    def get_config(self) -> dict:
        return {"gain": self.gain, **self._seed_config()}


def serialize(initializer: Initializer) -> dict:
    """``{"class_name": name, "config": {...}}`` for a config file."""
    if not isinstance(initializer, Initializer):
        raise TypeError(
            f"init.serialize: expected an Initializer, got {type(initializer).__name__}"
        )
    return {"class_name": initializer.registered_name, "config": initializer.get_config()}


def get(identifier) -> Initializer:
    """An Initializer from a name (``"he_normal"``), a serialised dict or an Initializer."""
    if isinstance(identifier, Initializer):
        return identifier
    config = {}
    if isinstance(identifier, dict):
        identifier, config = identifier.get("class_name"), identifier.get("config", {})
    if isinstance(identifier, str):
        cls = INITIALIZERS.get(identifier.lower()) or _custom.lookup_class(identifier, Initializer)
        if cls is None:
            raise ValueError(f"unknown initializer {identifier!r}; known: {sorted(INITIALIZERS)}")
        return cls.from_config(_custom.check_config(config, f"init {identifier!r}"))
    raise TypeError(
        f"init.get: expected a name, dict or Initializer, got {type(identifier).__name__}"
    )
