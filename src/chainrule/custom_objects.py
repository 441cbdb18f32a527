"""``custom_objects``: the only way a name read from a file reaches user code.

A model file names layers, activations, initializers, losses, metrics, optimizers and
learning-rate schedules by string. Those strings resolve through the library's registries (exact
dict lookups) and, failing that, through the ``custom_objects`` dict the caller passed to
``load_model(path, custom_objects={...})`` — never by importing a module or walking attributes
named by the file. :func:`custom_object_scope` makes such a dict visible to every registry for the
duration of a ``with`` block (Keras's ``custom_object_scope``); :func:`lookup` is what registries
call for a name they do not know.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

_SCOPE: ContextVar[Mapping[str, Any] | None] = ContextVar("chainrule_custom_objects", default=None)


def check_custom_objects(objects: Mapping[str, Any] | None, where: str = "custom_objects") -> dict:
    """Validate ``objects`` (None or a dict name → class/function) and return a plain dict copy."""
    if objects is None:
        return {}
    if not isinstance(objects, Mapping):
        raise TypeError(
            f"{where} must be a dict mapping names to classes or functions, got "
            f"{type(objects).__name__}"
        )
    out = {}
    for name, obj in objects.items():
        if not isinstance(name, str):
            raise TypeError(f"{where}: keys must be strings, got {name!r}")
        if not callable(obj):
            raise TypeError(f"{where}[{name!r}] must be a class or a function, got {obj!r}")
        out[name] = obj
    return out


@contextlib.contextmanager
def custom_object_scope(objects: Mapping[str, Any] | None) -> Iterator[dict]:
    """Within the block, registries also resolve the names in ``objects`` (name → class/function).

    Scopes nest: an inner scope adds to (and overrides) the outer one.
    """
    merged = {**(_SCOPE.get() or {}), **check_custom_objects(objects)}
    token = _SCOPE.set(merged)
    try:
        yield merged
    finally:
        _SCOPE.reset(token)


def lookup(name: Any) -> Any:
    """The user object registered under exactly ``name`` in the active scope, or None."""
    if not isinstance(name, str):
        return None
    return (_SCOPE.get() or {}).get(name)


def active() -> dict:
    """A copy of the names visible in the active scope."""
    return dict(_SCOPE.get() or {})


def lookup_class(name: Any, base: type) -> type | None:
    """Like :func:`lookup`, but only a subclass of ``base`` counts (anything else: None)."""
    obj = lookup(name)
    return obj if isinstance(obj, type) and issubclass(obj, base) else None


def check_config(config: Any, where: str) -> dict:
    """A ``{"class_name", "config"}`` entry's ``config``: must be a dict with string keys."""
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise TypeError(f"{where}: config must be an object with string keys, got {config!r:.200}")
    return config
