"""Saving and loading models the Keras way, in chainrule's safe format (``keras.saving``).

``model.save("model.keras")`` / ``load_model("model.keras", custom_objects={...})`` write and read
one zip of JSON (architecture, compile settings) and safetensors (weights); no pickle, and a file
never carries code. A class or function named in a file is found only in the library's registries,
in the classes registered with :func:`register_keras_serializable`, or in ``custom_objects=`` /
:func:`custom_object_scope` — a user layer round-trips through its ``get_config()`` and its class
being passed back at load time. Any extension is accepted (``.keras`` and ``.zip`` alike).
"""

from __future__ import annotations

import contextlib
import os
import threading

_GLOBAL: dict[str, object] = {}
_SCOPES = threading.local()


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Class/function decorator: make it loadable by name without ``custom_objects``.

    Registered as ``name`` (default: its ``__name__``) and as ``"package>name"``, as Keras does.
    """

    def deco(obj):
        key = name or obj.__name__
        _GLOBAL[key] = obj
        _GLOBAL[f"{package}>{key}"] = obj
        obj._registered_name = f"{package}>{key}"
        return obj

    return deco


def get_custom_objects() -> dict:
    """The global registry filled by :func:`register_keras_serializable` (a live dict)."""
    return _GLOBAL


def _scope_stack() -> list:
    if not hasattr(_SCOPES, "stack"):
        _SCOPES.stack = []
    return _SCOPES.stack


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict | None):
    """``with custom_object_scope({"MyLayer": MyLayer}):`` names resolve to these objects."""
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(
            f"custom_objects must be a dict of name -> class/function, got "
            f"{type(custom_objects).__name__}"
        )
    stack = _scope_stack()
    stack.append(dict(custom_objects or {}))
    try:
        yield
    finally:
        stack.pop()


CustomObjectScope = custom_object_scope


def custom_objects_in_scope() -> dict:
    """Registered objects plus those of every active scope (innermost wins)."""
    merged = dict(_GLOBAL)
    for scope in _scope_stack():
        merged.update(scope)
    return merged


def resolve_custom(name: str, what: str, custom_objects: dict | None = None):
    """The object called ``name`` in ``custom_objects``, the active scopes or the registry."""
    known = custom_objects_in_scope()
    known.update(custom_objects or {})
    if name not in known:
        raise ValueError(
            f"unknown {what} {name!r}: pass it to load_model(..., custom_objects={{{name!r}: ...}})"
            " or register it with chainrule.saving.register_keras_serializable()"
        )
    return known[name]


def known_layer_classes() -> dict[str, type]:
    """Class name → class for every layer a file may name: the built-in registry plus custom
    classes (registered or in an active scope) that are Modules."""
    from .layers import LAYERS
    from .nn.module import Module

    known = dict(LAYERS)
    for key, obj in custom_objects_in_scope().items():
        if isinstance(obj, type) and issubclass(obj, Module):
            known[key] = obj
            known.setdefault(obj.__name__, obj)
    return known


def save_model(model, filepath: str | os.PathLike, overwrite: bool = True, zipped=None,
               include_optimizer: bool = False, **kwargs):  # fmt: skip
    """``model.save(filepath)``: architecture + weights (+ optimizer state) in one zip file;
    returns the path written."""
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"save_model: {filepath} exists and overwrite=False")
    if kwargs:
        raise TypeError(f"save_model: unexpected keyword argument(s) {sorted(kwargs)}")
    from .io.model_file import save_model as _save

    return _save(model, filepath, include_optimizer=include_optimizer)


def load_model(filepath: str | os.PathLike, custom_objects: dict | None = None,
               compile: bool = True, safe_mode: bool = True):  # fmt: skip
    """Rebuild a saved model; ``custom_objects`` maps the names of user classes (layers, Lambda
    functions) found in the file to the classes themselves. ``safe_mode`` is always on: nothing
    in a file is ever executed, so ``safe_mode=False`` changes nothing."""
    from .io.model_file import load_model as _load

    with custom_object_scope(custom_objects):
        return _load(filepath, compile=compile)


def save_weights(model, filepath: str | os.PathLike, overwrite: bool = True, **kwargs) -> None:
    """``model.save_weights(filepath)``."""
    model.save_weights(filepath, overwrite=overwrite, **kwargs)


def load_weights(model, filepath: str | os.PathLike, skip_mismatch: bool = False, **kwargs):
    """``model.load_weights(filepath)``."""
    model.load_weights(filepath, skip_mismatch=skip_mismatch, **kwargs)


def serialize_keras_object(obj) -> dict:
    """``{"class_name", "config"}`` for a layer (or anything with ``get_config``)."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize_keras_object(config: dict, custom_objects: dict | None = None):
    """Rebuild a layer from :func:`serialize_keras_object`'s output."""
    from .layers import deserialize

    with custom_object_scope(custom_objects):
        return deserialize(config)
