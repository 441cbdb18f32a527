"""One BLAS call NumPy cannot express: ``C = α·Aᵀ·B + β·C`` in place (GEMM's ``β``).

``np.matmul`` always writes a fresh product, so "scale the buffer, then add the product" costs two
more passes over the buffer than BLAS's own ``gemm`` with ``β ≠ 0``. The training step where that
matters is SGD with momentum on a dense layer: Keras's rule ``v = μ·v − lr·g`` with the weight
gradient ``g = Aᵀ·B`` is exactly ``gemm(α = −lr, β = μ, C = v)``, which never materialises ``g``
(training/dense_replay.py uses it; measured there).

The library is the BLAS NumPy itself loaded (the ``scipy-openblas`` build of NumPy's wheels; the
same library, threads and thread limits as ``np.matmul``), found next to NumPy's package and opened
with ctypes. Before first use, :func:`available` checks it on small products against ``np.matmul``
(both dtypes, with α and β); anything unexpected (another BLAS, a different symbol or integer size,
a wrong result) leaves the feature off and callers fall back to NumPy. ``CHAINRULE_BLAS=0`` turns
it off.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
#: (symbol prefix, symbol suffix) pairs tried in order; ILP64 builds add the ``64_`` suffix
_NAMES = (("scipy_cblas_", "64_"), ("cblas_", "64_"), ("scipy_cblas_", ""), ("cblas_", ""))
_state: dict = {}


def _library_paths() -> list[str]:
    root = os.path.dirname(os.path.dirname(np.__file__))
    here = os.path.dirname(np.__file__)
    pats = [os.path.join(root, "numpy.libs", "libscipy_openblas*"),  # Linux, Windows wheels
            os.path.join(here, ".dylibs", "libscipy_openblas*")]  # macOS wheels  # fmt: skip
    return sorted(p for pat in pats for p in glob.glob(pat))


def _load() -> dict | None:
    """``{dtype: gemm function}`` or None (see the module docstring)."""
    if os.environ.get("CHAINRULE_BLAS", "1") == "0":
        return None
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
    except (AttributeError, KeyError, TypeError):
        return None
    if blas.get("name") != "scipy-openblas":
        return None
    ilp64 = "USE64BITINT" in str(blas.get("openblas configuration", ""))
    for path in _library_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in _NAMES:
            if bool(suffix) != ilp64:
                continue
            fns = {}
            for dtype, letter, real in ((np.float32, "s", ctypes.c_float),
                                        (np.float64, "d", ctypes.c_double)):  # fmt: skip
                fn = getattr(lib, f"{prefix}{letter}gemm{suffix}", None)
                if fn is None:
                    break
                integer = ctypes.c_int64 if ilp64 else ctypes.c_int
                ptr = ctypes.c_void_p
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, integer, integer,
                               integer, real, ptr, integer, ptr, integer, real, ptr, integer]  # fmt: skip
                fn.restype = None
                fns[np.dtype(dtype)] = fn
            if len(fns) == 2 and _verified(fns):
                return fns
    return None


def _call(fn, a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float, beta: float) -> None:
    k, m = a.shape
    n = b.shape[1]
    fn(_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, alpha, a.ctypes.data, m, b.ctypes.data, n, beta,
       c.ctypes.data, n)  # fmt: skip


def _verified(fns: dict) -> bool:
    rng = np.random.default_rng(0)
    for dtype, fn in fns.items():
        a = rng.standard_normal((5, 7)).astype(dtype)
        b = rng.standard_normal((5, 3)).astype(dtype)
        c = rng.standard_normal((7, 3)).astype(dtype)
        want = -0.25 * (a.T.astype(np.float64) @ b) + 0.5 * c
        _call(fn, a, b, c, -0.25, 0.5)
        if not np.allclose(c, want, rtol=1e-5, atol=1e-5):
            return False
    return True


def available() -> bool:
    """Whether :func:`gemm_at_b` can run (loads and checks the library on the first call)."""
    if "fns" not in _state:
        try:
            _state["fns"] = _load()
        except (OSError, AttributeError, TypeError, ValueError):  # a foreign library: NumPy
            _state["fns"] = None
    return _state["fns"] is not None


def gemm_at_b(a: np.ndarray, b: np.ndarray, c: np.ndarray, alpha: float, beta: float) -> bool:
    """``c = alpha·aᵀ·b + beta·c`` in place, for ``a (K, M)``, ``b (K, N)``, ``c (M, N)``:
    C-contiguous NumPy arrays of one dtype, float32 or float64. Returns False (``c`` untouched)
    when the BLAS is unavailable or the arrays are not of that form."""
    if not available():
        return False
    fn = _state["fns"].get(c.dtype)
    if (
        fn is None
        or type(a) is not np.ndarray
        or type(b) is not np.ndarray
        or type(c) is not np.ndarray
        or a.dtype != c.dtype
        or b.dtype != c.dtype
        or a.ndim != 2
        or b.ndim != 2
        or c.shape != (a.shape[1], b.shape[1])
        or a.shape[0] != b.shape[0]
        or not (a.flags.c_contiguous and b.flags.c_contiguous and c.flags.c_contiguous)
        or not c.flags.writeable
        or 0 in a.shape
        or 0 in b.shape
        or np.may_share_memory(c, a)
        or np.may_share_memory(c, b)
    ):
        return False
    _call(fn, a, b, c, float(alpha), float(beta))
    return True
