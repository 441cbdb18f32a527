"""Saving and loading models the Keras way, in chainrule's safe format (``keras.saving``).

``model.save("model.keras")`` / ``load_model("model.keras", custom_objects={...})`` write and read
one zip of JSON (architecture, compile settings) and safetensors (weights); no pickle, and a file
never carries code. A class or function named in a file is found only in the library's registries,
in the classes registered with :func:`register_keras_serializable`, or in ``custom_objects=`` /
:func:`custom_object_scope` — a user layer round-trips through its ``get_config()`` and its class
being passed back at load time. Any extension is accepted (``.keras`` and ``.zip`` alike).
"""

from __future__ import annotations

import os

from . import custom_objects as _custom
from .custom_objects import custom_object_scope

_GLOBAL: dict[str, object] = {}

CustomObjectScope = custom_object_scope


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Class/function decorator: make it loadable by name without ``custom_objects``.

    Registered as ``name`` (default: its ``__name__``) and as ``"package>name"``, as Keras does;
    :func:`load_model` and :func:`deserialize_keras_object` see the registered objects.
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


def custom_objects_in_scope() -> dict:
    """Registered objects plus those of the active ``custom_object_scope`` (the scope wins)."""
    return {**_GLOBAL, **_custom.active()}


def resolve_custom(name: str, what: str):
    """The object called ``name`` in the active scope or the registry; ValueError otherwise."""
    known = custom_objects_in_scope()
    if name not in known:
        raise ValueError(
            f"unknown {what} {name!r}: pass it to load_model(..., custom_objects={{{name!r}: ...}})"
            " or register it with chainrule.saving.register_keras_serializable()"
        )
    return known[name]


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

    objects = {**_GLOBAL, **_custom.check_custom_objects(custom_objects, "load_model")}
    return _load(filepath, compile=compile, custom_objects=objects)


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

    with custom_object_scope({**_GLOBAL, **(custom_objects or {})}):
        return deserialize(config)
