"""``save_model`` / ``load_model``: one zip file holding a model's architecture, weights and, when
asked, its optimiser state. The layout is documented in docs/model-format.md.

Members (nothing else is accepted on load)::

    config.json            format name and version, chainrule version, the model config
                           ({"class_name", "config"} from get_config), the input shape it was built
                           for, the compile config (loss, metrics, optimizer config) when compiled
    model.safetensors      parameters and buffers by state_dict name ("layers.0.kernel", ...)
    optimizer.json         optional: the optimiser state_dict skeleton (arrays replaced by keys)
    optimizer.safetensors  optional: the optimiser's arrays (moments, step counters)

Loading executes nothing from the file: class names are looked up only in the layer registry
(``chainrule.layers.LAYERS``) and the initializer/activation/regularizer registries, every tensor's
name, shape and dtype is checked against the rebuilt model before any is assigned, and the arrays are
decoded by safetensors (a pickle or any other bytes are rejected).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .container import (
    ModelFileError,
    decode_json,
    decode_tensors,
    encode_json,
    encode_tensors,
    join_arrays,
    read_archive,
    split_arrays,
    write_archive,
)

FORMAT = "chainrule-model"
FORMAT_VERSION = 1
MODEL_MEMBERS = ("config.json", "model.safetensors", "optimizer.json", "optimizer.safetensors")
TRAINING_MEMBERS = ("training.json", "training.safetensors")
"""Members only checkpoints have (chainrule.io.checkpoint); load_model and info ignore them."""


# ----------------------------------------------------------------------------- saving
def _version() -> str:
    from .. import __version__

    return __version__


def _optimizer_of(model):
    opt = getattr(model, "optimizer", None)
    return opt if opt is not None and hasattr(opt, "state_dict") else None


def model_members(model, include_optimizer: bool = False) -> dict[str, bytes]:
    """The container members describing ``model`` (also used by checkpoints)."""
    if not hasattr(model, "get_config"):
        raise TypeError(f"save_model: {type(model).__name__} has no get_config(); cannot save it")
    input_shape = getattr(model, "input_shape", None)
    if input_shape is None and getattr(model, "layers", None):
        input_shape = getattr(model.layers[0], "input_shape", None)  # Model.fit skips __call__
    compile_config = getattr(model, "compile_config", None)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "chainrule_version": _version(),
        "model": {"class_name": type(model).__name__, "config": model.get_config()},
        "input_shape": None if input_shape is None else [None, *input_shape[1:]],
        "compile": compile_config,
    }
    state = model.state_dict()
    members = {
        "config.json": encode_json(config),
        "model.safetensors": encode_tensors(dict(state), metadata={"format": "chainrule"}),
    }
    if include_optimizer:
        opt = _optimizer_of(model)
        if opt is None:
            raise ValueError("save_model: include_optimizer=True but the model has no optimizer")
        if getattr(opt, "built", True):  # an optimiser that never stepped has no state to keep
            skeleton, arrays = split_arrays(opt.state_dict())
            members["optimizer.json"] = encode_json(skeleton)
            members["optimizer.safetensors"] = encode_tensors(arrays)
    return members


def save_model(model, path: str | os.PathLike, include_optimizer: bool = False) -> Path:
    """Write ``model`` to ``path`` (a zip, conventionally ``*.zip``), atomically.

    ``include_optimizer`` also stores the optimiser's state (moments, step count) so training can
    continue where it stopped. Returns the path.
    """
    return write_archive(path, model_members(model, include_optimizer))


# ----------------------------------------------------------------------------- loading
def _registries() -> dict[str, type]:
    """Class name → class for everything that may appear in a layer position."""
    from ..saving import known_layer_classes

    known = known_layer_classes()  # built-in layers + custom_objects / registered classes
    try:
        from .. import training
    except ImportError:  # pragma: no cover - training is part of the package
        return known
    for name in ("Model", "Sequential"):
        cls = getattr(training, name, None)
        if isinstance(cls, type):
            known[name] = cls
    return known


def _check_layer_names(entry: Any, where: str, known: dict[str, type]) -> None:
    """Every ``{"class_name": ...}`` in a layer position must name a registered class."""
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ModelFileError(f"config.json: {where} must be {{'class_name': str, 'config': {{}}}}")
    name = entry["class_name"]
    if name not in known:
        raise ModelFileError(
            f"config.json: {where} names unknown layer class {name!r}; chainrule only rebuilds "
            f"registered layers ({', '.join(sorted(known))})"
        )
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise ModelFileError(f"config.json: {where}.config must be an object")
    layers = config.get("layers")
    if layers is not None:
        if not isinstance(layers, list):
            raise ModelFileError(f"config.json: {where}.config.layers must be a list")
        for i, sub in enumerate(layers):
            _check_layer_names(sub, f"{where}.config.layers[{i}]", known)
    if "layer" in config:
        _check_layer_names(config["layer"], f"{where}.config.layer", known)


def parse_config(data: bytes, path: Path) -> dict:
    """Parse and check ``config.json`` (format, version, model entry)."""
    config = decode_json(data, f"{path}: config.json")
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: config.json must hold an object")
    if config.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: config.json format is {config.get('format')!r}, not {FORMAT!r}"
        )
    version = config.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: format_version {version!r} is not supported (this chainrule reads 1.."
            f"{FORMAT_VERSION}); upgrade chainrule"
        )
    _check_layer_names(config.get("model"), "model", _registries())
    shape = config.get("input_shape")
    if shape is not None and (
        not isinstance(shape, list)
        or not all(
            n is None or (isinstance(n, int) and not isinstance(n, bool) and n > 0) for n in shape
        )
    ):
        raise ModelFileError(f"{path}: config.json input_shape {shape!r} is not a list of sizes")
    return config


def build_model(config: dict, path: Path):
    """Rebuild the (built, untrained) model described by a parsed config.json."""
    from ..function import no_grad

    entry = config["model"]
    cls = _registries()[entry["class_name"]]
    try:
        model = cls.from_config(entry.get("config", {}))
    except Exception as exc:  # noqa: BLE001 - any failure of a tampered config is reported
        raise ModelFileError(
            f"{path}: config.json does not describe a valid {entry['class_name']}: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    shape = config.get("input_shape")
    if shape is not None and not all(getattr(m, "built", True) for m in model.modules()):
        sample = np.zeros((1, *shape[1:]), dtype=np.float32)
        was_training = getattr(model, "training", True)
        model.eval()
        try:
            with no_grad():
                model(sample)
        except Exception as exc:  # noqa: BLE001 - reported as a bad file, never swallowed
            raise ModelFileError(
                f"{path}: the model in config.json cannot run on its recorded input shape "
                f"{tuple(shape)}: {type(exc).__name__}: {exc}"
            ) from None
        finally:
            model.train(was_training)
    return model


def check_weights(model, weights: dict[str, np.ndarray], what: str) -> None:
    """Compare names, shapes and dtypes of ``weights`` with ``model.state_dict()``; raise on any
    difference (naming the tensor) before anything is assigned."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    if missing or unexpected:
        raise ModelFileError(
            f"{what}: tensors do not match the model: missing {missing}, unexpected {unexpected}"
        )
    for name, target in expected.items():
        got = weights[name]
        if tuple(got.shape) != tuple(target.shape):
            raise ModelFileError(
                f"{what}: tensor '{name}' has shape {tuple(got.shape)}, the model expects "
                f"{tuple(target.shape)}"
            )
        if got.dtype != target.dtype:
            raise ModelFileError(
                f"{what}: tensor '{name}' has dtype {got.dtype}, the model expects {target.dtype}"
            )


def compile_from_config(model, compile_config: dict, path: Path) -> None:
    """Compile ``model`` as recorded in config.json (optimizer config, loss, metrics)."""
    if not isinstance(compile_config, dict) or not hasattr(model, "compile"):
        raise ModelFileError(f"{path}: config.json 'compile' must be an object")
    opt = compile_config.get("optimizer")
    if isinstance(opt, dict) and isinstance(opt.get("config"), dict):
        opt = opt["config"]  # {"class_name", "config"} as Model.compile_config records it
    try:
        model.compile(
            optimizer=opt if opt is not None else "rmsprop",
            loss=compile_config.get("loss"),
            metrics=compile_config.get("metrics"),
            loss_weights=compile_config.get("loss_weights"),
        )
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{path}: config.json 'compile' is not valid: {exc}") from None


def restore_optimizer(model, members: dict[str, bytes], path: Path):
    """Load the file's optimiser state into ``model.optimizer`` (created from the saved config when
    the model was not compiled); returns it, or None when the file has no optimiser state."""
    if "optimizer.json" not in members or "optimizer.safetensors" not in members:
        return None
    from .. import optim

    skeleton = decode_json(members["optimizer.json"], f"{path}: optimizer.json")
    arrays = decode_tensors(members["optimizer.safetensors"], f"{path}: optimizer.safetensors")
    state = join_arrays(skeleton, arrays, f"{path}: optimizer.json")
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
        raise ModelFileError(f"{path}: optimizer.json has no optimizer config")
    try:
        opt = getattr(model, "optimizer", None) or optim.get(state["config"])
        if not opt.built:
            opt.build(model.trainable_parameters())
        opt.load_state_dict(state)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: optimizer state does not fit the model: {exc}") from None
    return opt


def load_model(path: str | os.PathLike, compile: bool = True):
    """Rebuild a model saved by :func:`save_model` (or the model in a checkpoint); its predictions
    are bit-identical.

    With ``compile`` (default) a model saved after ``compile`` is compiled again the same way, and a
    saved optimiser state is restored. Raises :class:`ModelFileError` (a ValueError) for a file that
    is truncated, tampered with, names an unknown layer, or holds tensors that do not fit.
    """
    path = Path(path)
    members = read_archive(
        path, MODEL_MEMBERS + TRAINING_MEMBERS, required=("config.json", "model.safetensors")
    )
    config = parse_config(members["config.json"], path)
    weights = decode_tensors(members["model.safetensors"], f"{path}: model.safetensors")
    model = build_model(config, path)
    check_weights(model, weights, f"{path}: model.safetensors")
    model.load_state_dict(weights)
    if compile and config.get("compile"):
        compile_from_config(model, config["compile"], path)
    if compile:
        opt = restore_optimizer(model, members, path)
        if opt is not None:
            model.optimizer = opt
    model.eval()
    return model


def describe_model_file(path: str | os.PathLike) -> dict:
    """What ``chainrule info`` prints: the parsed config plus each tensor's shape and dtype."""
    path = Path(path)
    members = read_archive(
        path, MODEL_MEMBERS + TRAINING_MEMBERS, required=("config.json", "model.safetensors")
    )
    config = parse_config(members["config.json"], path)
    weights = decode_tensors(members["model.safetensors"], f"{path}: model.safetensors")
    return {
        "config": config,
        "tensors": {k: (tuple(v.shape), str(v.dtype)) for k, v in weights.items()},
        "parameters": int(sum(v.size for v in weights.values())),
        "has_optimizer": "optimizer.json" in members,
        "is_checkpoint": "training.json" in members,
        "file_bytes": path.stat().st_size,
    }
