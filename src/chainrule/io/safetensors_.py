"""Lazy import of the optional ``safetensors`` package, with an install hint when it is missing."""

from __future__ import annotations

from types import ModuleType


def st_numpy() -> ModuleType:
    """``safetensors.numpy``, or an ImportError naming the extra that provides it."""
    try:
        import safetensors.numpy as st
    except ImportError as exc:  # pragma: no cover - the test environment has it
        raise ImportError(
            "saving and loading chainrule models needs the 'safetensors' package: "
            "pip install chainrule[io]"
        ) from exc
    return st
