"""The allocator priming done once at import (``chainrule.ops._memory``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chainrule.ops import _memory


def test_prime_runs_once_per_process(monkeypatch):
    monkeypatch.setattr(_memory, "_done", False)
    assert _memory.prime() is True
    assert _memory.prime() is False


def test_prime_can_be_switched_off(monkeypatch):
    monkeypatch.setattr(_memory, "_done", False)
    monkeypatch.setenv("CHAINRULE_MALLOC_PRIME", "0")
    assert _memory.prime() is False
    assert _memory._done is False


def test_user_allocator_settings_win(monkeypatch):
    calls = []
    monkeypatch.setattr(_memory, "_done", False)
    monkeypatch.setattr(_memory, "_set_trim_threshold", calls.append)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert _memory.prime() is True
    assert calls == []


def test_trim_setting_is_checked(monkeypatch):
    monkeypatch.setenv("CHAINRULE_MALLOC_TRIM", "lots")
    with pytest.raises(ValueError, match="CHAINRULE_MALLOC_TRIM"):
        _memory._trim_bytes()
    monkeypatch.setenv("CHAINRULE_MALLOC_TRIM", str(1 << 27))
    assert _memory._trim_bytes() == 1 << 27


_STEPS = """
import resource, numpy as np
import chainrule
def step():  # ~96 MiB of heap temporaries (each under the 32 MiB mmap threshold), then freed
    arrays = [np.ones(6 << 20, np.float32) for _ in range(4)]
    del arrays
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc allocator, Linux")
def test_freed_step_memory_is_reused_without_page_faults():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.pop("CHAINRULE_MALLOC_PRIME", None)
    run = lambda extra: int(subprocess.run([sys.executable, "-c", _STEPS], env={**env, **extra},
                                           capture_output=True, text=True, check=True).stdout)  # fmt: skip
    primed, off = run({}), run({"CHAINRULE_MALLOC_PRIME": "0"})
    assert off > 500  # most of the 96 MiB faulted in again
    assert primed < off / 20
