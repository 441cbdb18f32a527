"""``keras.models``: Sequential, Model, and saving/loading/cloning whole models."""

from __future__ import annotations

from .saving import load_model, save_model
from .training import Model, Sequential

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive: bool = False, **kwargs):  # fmt: skip
    """A new model with the same architecture and freshly initialised weights (as Keras: the
    weights are *not* copied; use ``clone.set_weights(model.get_weights())`` for that).

    Works for Sequential and functional models (rebuilt from ``get_config()``); custom layers
    clone through their own ``get_config``/``from_config``.
    """
    if input_tensors is not None or clone_function is not None or call_function is not None:
        raise ValueError("clone_model: input_tensors, clone_function and call_function are not "
                         "supported")  # fmt: skip
    from .custom_objects import custom_object_scope

    cls = Sequential if isinstance(model, Sequential) else Model
    own = {type(m).__name__: type(m) for m in model.modules() if m is not model}
    with custom_object_scope(own):  # the model's own (custom) layer classes rebuild its layers
        clone = cls.from_config(model.get_config())
    shape = getattr(model, "input_shape", None)
    if isinstance(clone, Sequential) and shape is not None and clone._declared_input is None:
        clone.build_from_shape(tuple(shape))
    return clone


def model_from_json(json_string: str, custom_objects: dict | None = None):
    """Rebuild an (untrained) model from :meth:`Model.to_json`'s output."""
    import json

    from .saving import custom_object_scope

    entry = json.loads(json_string)
    if not isinstance(entry, dict) or entry.get("class_name") not in ("Sequential", "Model"):
        raise ValueError("model_from_json: expected the output of model.to_json()")
    cls = Sequential if entry["class_name"] == "Sequential" else Model
    with custom_object_scope(custom_objects):
        return cls.from_config(entry.get("config", {}))
