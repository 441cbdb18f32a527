"""Keep large temporaries off the page-fault path (glibc's allocator, Linux).

A training step allocates and frees the same large arrays (im2col columns, activations,
gradients) every step. Two glibc rules send that memory back to the kernel after each step, so
that every page of it is faulted in and zeroed again on the next:

- a request at or above the *mmap threshold* (128 KiB at start) gets a fresh ``mmap``, unmapped on
  free. glibc raises the threshold by itself to the size of the largest mmapped block freed so far
  (up to 32 MiB), so a step's largest array would stay on that path for ever;
- when the free memory at the top of the heap exceeds the *trim threshold* (twice the mmap
  threshold under that dynamic rule: at most 64 MiB), ``free`` gives it back to the system. A
  step whose arrays add up to more than that (the Keras MNIST convnet at batch 128 peaks above
  100 MiB) returns it at the end of each step and faults it all in again on the next.

Measured at batch 128, 1 thread, CPU time per step: LeNet-5's conv/pool step, mmap path, ~4,400
page faults and ~8 ms of kernel time per step of ~22 ms; the convnet's whole training step after
the first fix alone, ~7,500 page faults and 16–36 ms of kernel time per step of 45–65 ms, and
28 ms with neither (none).

:func:`prime` runs once, at import: it allocates an untouched block just under 32 MiB (no page is
faulted in) and frees it, which moves the mmap threshold to 32 MiB by glibc's own rule, then sets
the trim threshold to :data:`TRIM` (1 GiB, or ``$CHAINRULE_MALLOC_TRIM`` bytes) with ``mallopt``.
Freed memory then stays in the process, up to that much, and is reused by the next step: the
process's resident size stays near its peak instead of dropping between steps (the peak itself
does not change). Nothing is done when the user set glibc's own variables
(``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``, ``MALLOC_TOP_PAD_``: their choice wins),
on other C libraries, or with ``CHAINRULE_MALLOC_PRIME=0``.
"""

from __future__ import annotations

import ctypes
import os

import numpy as np

#: glibc's ceiling for the dynamic mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)
_BLOCK = 32 * 1024 * 1024 - 64 * 1024
#: the trim threshold set by :func:`prime` (bytes of free heap top kept for reuse)
TRIM = 1 << 30
_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter number
_USER_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")
_done = False


def _trim_bytes() -> int:
    text = os.environ.get("CHAINRULE_MALLOC_TRIM")
    if text is None:
        return TRIM
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"CHAINRULE_MALLOC_TRIM must be a number of bytes, got {text!r}") from None
    if not 0 <= value < 2**31:
        raise ValueError(f"CHAINRULE_MALLOC_TRIM must be in [0, 2**31), got {value}")
    return value


def _set_trim_threshold(value: int) -> bool:
    """``mallopt(M_TRIM_THRESHOLD, value)`` where the C library is glibc; whether it was set."""
    try:
        libc = ctypes.CDLL(None)
        gnu_version = libc.gnu_get_libc_version  # only glibc has it (musl's mallopt is a stub)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    del gnu_version
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(_M_TRIM_THRESHOLD, value) == 1


def prime() -> bool:
    """Move glibc's mmap threshold to 32 MiB and its trim threshold to :data:`TRIM`, once per
    process (see the module docstring). Returns whether it ran now."""
    global _done
    if _done or os.environ.get("CHAINRULE_MALLOC_PRIME", "1") == "0":
        return False
    _done = True
    if any(v in os.environ for v in _USER_VARS):
        return True
    trim = _trim_bytes()
    block = np.empty(_BLOCK, dtype=np.uint8)
    del block
    _set_trim_threshold(trim)
    return True
