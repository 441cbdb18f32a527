"""The allocator priming done once at import (``chainrule.ops._memory``)."""

from __future__ import annotations

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
