"""Keep large temporaries off the page-fault path (glibc's allocator, Linux).

A training step allocates and frees the same large arrays (im2col columns, activations,
gradients) every step. glibc serves a request at or above its *mmap threshold* (128 KiB at start)
with a fresh ``mmap``, and unmaps it on free; every page of it is then faulted in and zeroed by the
kernel again on the next step. glibc raises the threshold by itself to the size of the largest
mmapped block freed so far (up to 32 MiB), so a step's largest array stays on that slow path for
ever. Measured on LeNet-5's conv/pool step at batch 128 (1 thread): ~4,400 page faults and ~8 ms of
kernel time per step of ~22 ms; after one 32 MiB block has been freed, none.

:func:`prime` does exactly that once, at import: allocates an untouched 32 MiB block (no page is
faulted in) and frees it. It changes no setting — glibc's own dynamic-threshold rule moves the
threshold, as it would after any 32 MiB temporary — and does nothing when the user fixed the
threshold (``MALLOC_MMAP_THRESHOLD_`` / ``mallopt``, which disable the dynamic rule) or on other
allocators. Freed memory up to twice the threshold may stay in the process heap instead of going
back to the system. Set ``CHAINRULE_MALLOC_PRIME=0`` to skip it.
"""

from __future__ import annotations

import os

import numpy as np

#: glibc's ceiling for the dynamic mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX)
_BLOCK = 32 * 1024 * 1024 - 64 * 1024
_done = False


def prime() -> bool:
    """Allocate and free one untouched block just under 32 MiB, once per process. Returns whether it
    ran now."""
    global _done
    if _done or os.environ.get("CHAINRULE_MALLOC_PRIME", "1") == "0":
        return False
    _done = True
    block = np.empty(_BLOCK, dtype=np.uint8)
    del block
    return True
