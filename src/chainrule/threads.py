"""How many threads NumPy's BLAS uses for chainrule's matrix products (like ``torch.set_num_threads``).

chainrule's heavy lifting is NumPy's BLAS (OpenBLAS, MKL or BLIS), whose thread pool is sized from
the environment (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` …) or the core count. On a machine
shared with other jobs, threads that spin waiting for cores can cost several times the work itself;
``set_num_threads(1)`` is then often fastest. Nothing here runs at import: until
``set_num_threads`` is called, the user's environment decides.

Both functions use `threadpoolctl <https://github.com/joblib/threadpoolctl>`_, an optional extra
(``pip install chainrule[threads]``), imported on first call.
"""

from __future__ import annotations

import numbers

__all__ = ["get_num_threads", "set_num_threads"]

_HINT = "chainrule.{fn} needs threadpoolctl: pip install 'chainrule[threads]'"


def _threadpoolctl(fn: str):
    try:
        import threadpoolctl
    except ImportError as err:
        raise ImportError(_HINT.format(fn=fn)) from err
    return threadpoolctl


def _blas_pools(threadpoolctl) -> list[dict]:
    import numpy  # noqa: F401  (loads the BLAS, so threadpoolctl can see it)

    return [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in every BLAS thread pool loaded in this process, from now on.

    The setting is process-wide and lasts until changed again (other libraries sharing the same
    BLAS see it too). Raises TypeError unless ``n`` is an integer, ValueError unless ``n >= 1``,
    ImportError (naming the extra to install) without threadpoolctl; nothing changes on error.
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"set_num_threads: n must be an int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"set_num_threads: n must be >= 1, got {n}")
    tpc = _threadpoolctl("set_num_threads")
    if not _blas_pools(tpc):
        raise RuntimeError("set_num_threads: threadpoolctl found no BLAS library in this process")
    tpc.threadpool_limits(limits=int(n), user_api="blas")


def get_num_threads() -> int:
    """The number of threads chainrule's matrix products may use (the largest BLAS pool's size).

    Raises ImportError (naming the extra to install) without threadpoolctl.
    """
    pools = _blas_pools(_threadpoolctl("get_num_threads"))
    if not pools:
        raise RuntimeError("get_num_threads: threadpoolctl found no BLAS library in this process")
    return max(int(p["num_threads"]) for p in pools)
