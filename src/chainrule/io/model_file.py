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

import contextlib
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .. import custom_objects as _custom
from .container import (
    MAX_TENSOR_BYTES,
    ModelFileError,
    decode_json,
    decode_tensors,
    encode_json,
    encode_tensors,
    join_arrays,
    read_archive,
    split_arrays,
    tensor_header,
    write_archive,
)
from .preprocessing import check_preprocessing

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
    if input_shape is not None and any(isinstance(d, (list, tuple)) for d in input_shape):
        input_shape = None  # several inputs (a functional model): its graph records their shapes
    compile_config = getattr(model, "compile_config", None)
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "chainrule_version": _version(),
        "model": {"class_name": type(model).__name__, "config": model.get_config()},
        "input_shape": None if input_shape is None else [None, *input_shape[1:]],
        "compile": compile_config,
    }
    preprocessing = check_preprocessing(getattr(model, "preprocessing", None),
                                        "save_model: model.preprocessing")  # fmt: skip
    if preprocessing is not None:
        config["preprocessing"] = preprocessing
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
MAX_LAYERS = 4096
"""Most layer entries (and functional-graph nodes) a config may declare."""
MAX_NDIM = 32
"""Most axes a declared shape may have."""
MIN_SAMPLE_BUDGET = 2**18
"""Values one dry-run sample may hold even when the weights are tiny (shape-only models)."""
BUDGET_SLACK = 2**16
"""Values the layers may allocate beyond what model.safetensors holds."""
_SHAPE_KEYS = ("input_shape", "shape", "target_shape", "batch_input_shape", "normalized_shape")
_FLOAT_DTYPES = ("float16", "float32", "float64")
_INPUT_DTYPES = (*_FLOAT_DTYPES, "int32", "int64", "str")  # token ids; texts (TextVectorization)


class NonFiniteWeightsWarning(RuntimeWarning):
    """A loaded model's weights (or a prediction) contain NaN or infinite values."""


@contextlib.contextmanager
def file_errors(path: Path, member: str, problem: str = "is not valid"):
    """Turn any exception raised while interpreting ``member`` of ``path`` into ModelFileError.

    The explicit checks below name the exact field; this is the backstop that guarantees nothing
    else (KeyError, AttributeError, RecursionError ...) escapes from a malformed file."""
    try:
        yield
    except ModelFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed file must give the documented error
        raise ModelFileError(
            f"{path}: {member} {problem}: {type(exc).__name__}: {str(exc)[:500]}"
        ) from None


def _registries() -> dict[str, type]:
    """Class name → class for everything that may appear in a layer position (exact names only),
    plus the classes in the active custom_objects scope."""
    from ..layers import LAYERS
    from ..nn.module import Module

    known = dict(LAYERS)
    from .. import training

    known["Model"] = training.Model
    known["Sequential"] = training.Sequential
    for name, obj in _custom.active().items():
        if isinstance(obj, type) and issubclass(obj, Module):
            known.setdefault(name, obj)
    return known


def _is_size(n: Any, low: int = 0) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= low


def _check_shape(shape: Any, where: str, cap: int, allow_none: bool = True) -> None:
    """A declared shape: a list of at most MAX_NDIM sizes (None/-1 where allowed), each and their
    product at most ``cap``."""
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise ModelFileError(f"config.json: {where} must be a list of at most {MAX_NDIM} sizes")
    total = 1
    for d in shape:
        if d is None or d == -1 and _is_size(-d):
            if not allow_none:
                raise ModelFileError(f"config.json: {where} has an unknown size: {shape!r:.200}")
            continue
        if not _is_size(d) or d > cap:
            raise ModelFileError(
                f"config.json: {where} holds {d!r:.40}; sizes must be ints in [0, {cap}]"
            )
        total *= d
        if total > cap:
            raise ModelFileError(
                f"config.json: {where} {shape!r:.200} declares more than {cap} values, more than "
                "the file's weights could ever need"
            )


def _check_layer(entry: Any, where: str, known: dict[str, type], cap: int, count: list) -> None:
    """Every ``{"class_name": ..., "config": {...}}`` in a layer position: a registered class, a
    config object with string keys, float dtypes, bounded shapes; recursively for containers."""
    count[0] += 1
    if count[0] > MAX_LAYERS:
        raise ModelFileError(f"config.json: more than {MAX_LAYERS} layers")
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ModelFileError(f"config.json: {where} must be {{'class_name': str, 'config': {{}}}}")
    extra = set(entry) - {"class_name", "config"}
    if extra:
        raise ModelFileError(f"config.json: {where} has unexpected keys {sorted(extra)!r:.200}")
    name = entry["class_name"]
    if name not in known:
        raise ModelFileError(
            f"config.json: {where} names unknown layer class {name[:100]!r}; chainrule only "
            f"rebuilds registered layers ({', '.join(sorted(known))}) and classes passed in "
            "custom_objects"
        )
    config = entry.get("config", {})
    if not isinstance(config, dict):
        raise ModelFileError(f"config.json: {where}.config must be an object")
    if "dtype" in config and config["dtype"] not in _FLOAT_DTYPES:
        raise ModelFileError(
            f"config.json: {where}.config.dtype is {config['dtype']!r:.100}; expected one of "
            f"{list(_FLOAT_DTYPES)}"
        )
    if "name" in config and config["name"] is not None and not isinstance(config["name"], str):
        raise ModelFileError(f"config.json: {where}.config.name must be a string")
    for key in _SHAPE_KEYS:
        if key in config and config[key] is not None:
            _check_shape(config[key], f"{where}.config.{key}", cap)
    layers = config.get("layers")
    if layers is not None:
        if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
            raise ModelFileError(
                f"config.json: {where}.config.layers must be a list of at most {MAX_LAYERS}"
            )
        for i, sub in enumerate(layers):
            _check_layer(sub, f"{where}.config.layers[{i}]", known, cap, count)
    if "layer" in config:
        _check_layer(config["layer"], f"{where}.config.layer", known, cap, count)
    if "inputs" in config or "nodes" in config:
        _check_graph(config, f"{where}.config", cap)


def _check_graph(config: dict, where: str, cap: int) -> None:
    """A functional model's graph: inputs with bounded shapes, nodes whose references point at
    existing inputs/earlier nodes (no negative or out-of-range indices)."""
    layers, inputs, nodes = config.get("layers"), config.get("inputs"), config.get("nodes")
    outputs = config.get("outputs")
    for key, value in (("layers", layers), ("inputs", inputs), ("nodes", nodes),
                       ("outputs", outputs)):  # fmt: skip
        if not isinstance(value, list) or len(value) > MAX_LAYERS:
            raise ModelFileError(
                f"config.json: {where}.{key} must be a list of at most {MAX_LAYERS} entries"
            )
    for k, inp in enumerate(inputs):
        if not isinstance(inp, dict) or not {"name", "shape", "dtype"} <= set(inp):
            raise ModelFileError(f"config.json: {where}.inputs[{k}] must have name, shape, dtype")
        _check_shape(inp["shape"], f"{where}.inputs[{k}].shape", cap)
        if inp["dtype"] not in _INPUT_DTYPES:
            raise ModelFileError(
                f"config.json: {where}.inputs[{k}].dtype must be one of {list(_INPUT_DTYPES)}"
            )

    def check_ref(ref: Any, j: int, at: str) -> None:
        ok = isinstance(ref, list) and ref and ref[0] in ("input", "node")
        if ok and ref[0] == "input":
            ok = len(ref) == 2 and _is_size(ref[1]) and ref[1] < len(inputs)
        elif ok:
            ok = len(ref) == 3 and _is_size(ref[1]) and ref[1] < j and _is_size(ref[2])
            ok = ok and ref[2] < 64
        if not ok:
            raise ModelFileError(f"config.json: {at} is not a valid reference: {ref!r:.100}")

    for j, node in enumerate(nodes):
        at = f"{where}.nodes[{j}]"
        if not isinstance(node, dict) or not {"layer", "inputs"} <= set(node):
            raise ModelFileError(f"config.json: {at} must have layer and inputs")
        if not _is_size(node["layer"]) or node["layer"] >= len(layers):
            raise ModelFileError(f"config.json: {at}.layer is not a layer index")
        kwargs = node.get("kwargs", {})
        if not isinstance(kwargs, dict) or not all(
            v is None or isinstance(v, (bool, int, float, str)) for v in kwargs.values()
        ):
            raise ModelFileError(f"config.json: {at}.kwargs must map names to plain values")
        if node.get("list_input"):
            if not isinstance(node["inputs"], list) or len(node["inputs"]) > MAX_LAYERS:
                raise ModelFileError(f"config.json: {at}.inputs must be a list")
            for r in node["inputs"]:
                check_ref(r, j, f"{at}.inputs")
        else:
            check_ref(node["inputs"], j, f"{at}.inputs")
    for r in outputs:
        check_ref(r, len(nodes), f"{where}.outputs")


def parse_config(data: bytes, path: Path, cap: int | None = None) -> dict:
    """Parse and check ``config.json`` (format, version, model entry, declared shapes).

    ``cap`` bounds every declared shape (values); by default the format's maximum."""
    config = decode_json(data, f"{path}: config.json")
    cap = MAX_TENSOR_BYTES if cap is None else cap
    if not isinstance(config, dict):
        raise ModelFileError(f"{path}: config.json must hold an object")
    if config.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: config.json format is {config.get('format')!r:.100}, not {FORMAT!r}"
        )
    version = config.get("format_version")
    if not _is_size(version) or not 1 <= version <= FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: config.json format_version {version!r:.40} is not supported (this chainrule "
            f"reads 1..{FORMAT_VERSION}); upgrade chainrule"
        )
    cv = config.get("chainrule_version")
    if cv is not None and not isinstance(cv, str):
        raise ModelFileError(f"{path}: config.json chainrule_version must be a string")
    try:
        _check_layer(config.get("model"), "model", _registries(), cap, [0])
        shape = config.get("input_shape")
        if shape is not None:
            _check_shape(shape, "input_shape", cap)
    except ModelFileError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    comp = config.get("compile")
    if comp is not None and not isinstance(comp, dict):
        raise ModelFileError(f"{path}: config.json compile must be an object or null")
    try:
        check_preprocessing(config.get("preprocessing"), "config.json preprocessing")
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    return config


def build_model(config: dict, path: Path, budget: int | None = None):
    """Rebuild the (built, untrained) model described by a parsed config.json.

    With ``budget`` (values), layers may allocate at most that many parameter/buffer values in
    total: an allocation beyond it is refused before it happens."""
    from ..initializers import allocation_budget

    entry = config["model"]
    cls = _registries()[entry["class_name"]]
    limit = (
        contextlib.nullcontext()
        if budget is None
        else allocation_budget(budget, "model.safetensors")
    )
    with limit:
        try:
            model = cls.from_config(dict(entry.get("config", {})))
        except Exception as exc:  # noqa: BLE001 - any failure of a tampered config is reported
            raise ModelFileError(
                f"{path}: config.json does not describe a valid {entry['class_name']}: "
                f"{type(exc).__name__}: {str(exc)[:500]}"
            ) from None
        shape = config.get("input_shape")
        # A dry run builds lazy layers and checks every layer's arguments; a functional model
        # already ran each layer on its declared inputs when it was constructed.
        if shape is not None and getattr(model, "_graph", None) is None:
            _dry_run(model, shape, path)
    unbuilt = [m for m in model.modules() if getattr(m, "built", True) is False]
    if unbuilt:  # it would allocate at its first call, outside any check against the file
        raise ModelFileError(
            f"{path}: config.json: {type(unbuilt[0]).__name__} "
            f"'{getattr(unbuilt[0], 'name', '')}' is not built by the recorded input_shape "
            f"{config.get('input_shape')!r:.100}; a model file must describe a built model"
        )
    return model


def _dry_run(model, shape: list, path: Path) -> None:
    """Run ``model`` once on zeros of its recorded input shape (unknown sizes tried at the lengths
    the functional API probes with); a ModelFileError if it cannot run at any."""
    from ..function import no_grad
    from ..training.functional import PROBES, probe_shape

    unknown = any(d is None for d in shape[1:])
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        for i, (probe, _) in enumerate(PROBES if unknown else ((1, 1),)):
            try:
                with no_grad():
                    model(np.zeros(probe_shape(shape, probe), dtype=np.float32))
                return
            except Exception as exc:  # noqa: BLE001 - reported as a bad file, never swallowed
                if not unknown or i == len(PROBES) - 1:
                    raise ModelFileError(
                        f"{path}: the model in config.json cannot run on its recorded input shape "
                        f"{tuple(shape)}: {type(exc).__name__}: {str(exc)[:500]}"
                    ) from None
    finally:
        model.train(was_training)


def check_weights(model, weights: dict[str, np.ndarray], what: str) -> None:
    """Compare names, shapes and dtypes of ``weights`` with ``model.state_dict()``; raise on any
    difference (naming the tensor) before anything is assigned."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    if missing or unexpected:
        raise ModelFileError(
            f"{what}: tensors do not match the model: missing {missing[:20]}, "
            f"unexpected {[k[:100] for k in unexpected[:20]]}"
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


def non_finite(arrays: dict[str, np.ndarray]) -> list[str]:
    """Names of the floating-point arrays holding a NaN or an infinity."""
    return [
        k for k, v in arrays.items() if np.asarray(v).dtype.kind == "f" and not np.isfinite(v).all()
    ]


def warn_non_finite(arrays: dict[str, np.ndarray], what: str, stacklevel: int = 3) -> list[str]:
    """Warn (NonFiniteWeightsWarning) naming the tensors with NaN/inf; returns their names."""
    bad = non_finite(arrays)
    if bad:
        shown = ", ".join(repr(k[:100]) for k in bad[:10]) + (" ..." if len(bad) > 10 else "")
        warnings.warn(
            f"{what}: tensor(s) {shown} contain NaN or infinite values; the model's outputs "
            "will not be finite",
            NonFiniteWeightsWarning,
            stacklevel=stacklevel,
        )
    return bad


def compile_from_config(model, compile_config: dict, path: Path) -> None:
    """Compile ``model`` as recorded in config.json (optimizer config, loss, metrics)."""
    if not isinstance(compile_config, dict) or not hasattr(model, "compile"):
        raise ModelFileError(f"{path}: config.json 'compile' must be an object")
    extra = set(compile_config) - {"optimizer", "loss", "metrics", "loss_weights"}
    if extra:
        raise ModelFileError(f"{path}: config.json compile has unexpected keys {sorted(extra)}")
    opt = compile_config.get("optimizer")
    if isinstance(opt, dict) and isinstance(opt.get("config"), dict):
        opt = opt["config"]  # {"class_name", "config"} as Model.compile_config records it
    if opt is not None and not isinstance(opt, (str, dict)):
        raise ModelFileError(f"{path}: config.json compile.optimizer must be a name or an object")
    with file_errors(path, "config.json 'compile'"):
        model.compile(
            optimizer=opt if opt is not None else "rmsprop",
            loss=compile_config.get("loss"),
            metrics=compile_config.get("metrics"),
            loss_weights=compile_config.get("loss_weights"),
        )
        if getattr(model, "_graph", None) is None and hasattr(model, "_bind_outputs"):
            model._bind_outputs(1)  # a Sequential has one output: resolve every name now


def parse_optimizer(members: dict[str, bytes], path: Path) -> dict | None:
    """The optimizer state_dict stored in the file (arrays joined in), or None; structure checked
    (a config object, param_groups list, an int iteration count, per-parameter buffers)."""
    if "optimizer.json" not in members and "optimizer.safetensors" not in members:
        return None
    if "optimizer.json" not in members or "optimizer.safetensors" not in members:
        raise ModelFileError(f"{path}: optimizer.json and optimizer.safetensors must come together")
    skeleton = decode_json(members["optimizer.json"], f"{path}: optimizer.json")
    arrays = decode_tensors(members["optimizer.safetensors"], f"{path}: optimizer.safetensors")
    state = join_arrays(skeleton, arrays, f"{path}: optimizer.json")
    where = f"{path}: optimizer.json"
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
        raise ModelFileError(f"{where} has no optimizer config")
    if not isinstance(state["config"].get("name"), str):
        raise ModelFileError(f"{where}: config.name must be an optimizer class name")
    groups = state.get("param_groups")
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise ModelFileError(f"{where}: param_groups must be a list of objects")
    for gi, g in enumerate(groups):
        params = g.get("params")
        if not isinstance(params, list) or not all(_is_size(i) for i in params):
            raise ModelFileError(f"{where}: param_groups[{gi}].params must be a list of indices")
    if not _is_size(state.get("iterations")) or state["iterations"] > 2**62:
        raise ModelFileError(f"{where}: iterations must be an int in [0, 2**62]")
    buffers = state.get("state")
    if not isinstance(buffers, dict):
        raise ModelFileError(f"{where}: state must be an object")
    for key, bufs in buffers.items():
        if not (_is_size(key) or isinstance(key, str) and key.isdigit() and len(key) < 10):
            raise ModelFileError(f"{where}: state key {key!r:.40} is not a parameter index")
        if not isinstance(bufs, dict) or not all(isinstance(v, np.ndarray) for v in bufs.values()):
            raise ModelFileError(f"{where}: state[{key}] must map buffer names to arrays")
    return state


def restore_optimizer(model, members: dict[str, bytes], path: Path, state: dict | None = None):
    """Load the file's optimiser state into ``model.optimizer`` (created from the saved config when
    the model was not compiled); returns it, or None when the file has no optimiser state."""
    from .. import optim

    if state is None:
        state = parse_optimizer(members, path)
    if state is None:
        return None
    with file_errors(path, "optimizer.json:", "optimizer state does not fit the model"):
        opt = getattr(model, "optimizer", None) or optim.get(state["config"])
        if not opt.built:
            opt.build(model.trainable_parameters())
        opt.load_state_dict(state)
    return opt


def _weights_budget(header: dict) -> tuple[int, int]:
    """(values the layers may allocate, values one dry-run sample may hold)."""
    total = sum(math.prod(shape) for shape, _ in header.values())
    return total + BUDGET_SLACK, max(total, MIN_SAMPLE_BUDGET)


def load_model(path: str | os.PathLike, compile: bool = True, custom_objects: dict | None = None):
    """Rebuild a model saved by :func:`save_model` (or the model in a checkpoint); its predictions
    are bit-identical.

    With ``compile`` (default) a model saved after ``compile`` is compiled again the same way, and a
    saved optimiser state is restored. ``custom_objects`` (name → class/function) is the only way
    a name in the file reaches user code (custom layers, activations, losses, metrics, schedule
    functions); nothing is ever imported by a name the file gives. Raises
    :class:`ModelFileError` (a ValueError) naming the file and the field for a file that is
    truncated, tampered with, names an unknown class, declares sizes its tensors do not back, or
    holds tensors that do not fit. Warns (:class:`NonFiniteWeightsWarning`) when weights hold
    NaN/inf.
    """
    objects = _custom.check_custom_objects(custom_objects, "load_model: custom_objects")
    path = Path(path)
    with _custom.custom_object_scope(objects):
        members = read_archive(
            path, MODEL_MEMBERS + TRAINING_MEMBERS, required=("config.json", "model.safetensors")
        )
        header = tensor_header(members["model.safetensors"], f"{path}: model.safetensors")
        budget, sample_cap = _weights_budget(header)
        with file_errors(path, "config.json"):
            config = parse_config(members["config.json"], path, cap=sample_cap)
        weights = decode_tensors(members["model.safetensors"], f"{path}: model.safetensors")
        with file_errors(path, "config.json"):
            model = build_model(config, path, budget=budget)
        check_weights(model, weights, f"{path}: model.safetensors")
        opt_state = parse_optimizer(members, path) if compile else None
        with file_errors(path, "model.safetensors"):
            model.load_state_dict(weights)
        if compile and config.get("compile"):
            compile_from_config(model, config["compile"], path)
        if opt_state is not None:
            model.optimizer = restore_optimizer(model, members, path, opt_state)
    warn_non_finite(weights, f"{path}: model.safetensors")
    if config.get("preprocessing") is not None:
        model.preprocessing = check_preprocessing(config["preprocessing"])
    model.eval()
    return model


def describe_model_file(path: str | os.PathLike) -> dict:
    """What ``chainrule info`` prints: the parsed config plus each tensor's shape and dtype (read
    from the safetensors header: no tensor data is decoded, no model is built)."""
    path = Path(path)
    members = read_archive(
        path, MODEL_MEMBERS + TRAINING_MEMBERS, required=("config.json", "model.safetensors")
    )
    header = tensor_header(members["model.safetensors"], f"{path}: model.safetensors")
    with file_errors(path, "config.json"):
        config = parse_config(members["config.json"], path, cap=_weights_budget(header)[1])
    return {
        "config": config,
        "tensors": dict(header),
        "parameters": int(sum(math.prod(shape) for shape, _ in header.values())),
        "has_optimizer": "optimizer.json" in members,
        "is_checkpoint": "training.json" in members,
        "file_bytes": path.stat().st_size,
    }
