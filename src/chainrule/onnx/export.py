"""``chainrule.onnx.export``: trace a model once, convert each recorded op, check, save."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence

import numpy as np

from ..tensor import Tensor
from .graph import GraphBuilder, converter_for, supported_ops
from .trace import trace

DEFAULT_OPSET = 17
MIN_OPSET, MAX_OPSET = 17, 21


class UnsupportedOpError(ValueError):
    """The traced model uses an op that has no ONNX converter."""


def _as_inputs(example_input) -> list[Tensor]:
    items = list(example_input) if isinstance(example_input, (tuple, list)) else [example_input]
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Tensor):
            out.append(Tensor(item.data))  # a fresh leaf: its identity marks the graph input
            continue
        arr = np.asarray(item)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)  # a NumPy default must not make a float32 model float64
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"onnx.export: example input {i} has unsupported dtype {arr.dtype}")
        out.append(Tensor(arr))
    if not out:
        raise ValueError("onnx.export: needs at least one example input")
    return out


def _dynamic(dynamic_axes, names: list[str], default_batch: bool) -> dict[str, dict[int, str]]:
    if dynamic_axes is None:
        return {n: {0: "batch"} for n in names} if default_batch else {}
    out: dict[str, dict[int, str]] = {}
    for name, axes in dynamic_axes.items():
        if isinstance(axes, Mapping):
            out[name] = {int(k): str(v) for k, v in axes.items()}
        elif isinstance(axes, Sequence):
            out[name] = {int(k): f"{name}_dim_{int(k)}" for k in axes}
        else:
            raise TypeError(f"onnx.export: dynamic_axes['{name}'] must be a dict or a list of axes")
    return out


def _value_info(name: str, array, dynamic: dict[int, str]):
    from onnx import helper

    dims = [dynamic.get(i, int(d)) for i, d in enumerate(array.shape)]
    elem = helper.np_dtype_to_tensor_dtype(np.dtype(array.dtype))
    return helper.make_tensor_value_info(name, elem, dims)


def _needed(records, outputs) -> list:
    """The records the outputs depend on, in call order (dead branches are not exported)."""
    want = {id(t) for t in outputs}
    keep = []
    for rec in reversed(records):
        if id(rec.output) in want:
            keep.append(rec)
            want.update(id(t) for t in rec.inputs)
    return keep[::-1]


def export(
    model,
    example_input,
    f: str | os.PathLike | io.IOBase | None = None,
    *,
    opset_version: int = DEFAULT_OPSET,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    dynamic_axes: Mapping | None = None,
    dynamic_batch: bool = True,
    export_params: bool = True,
    verbose: bool = False,
    do_constant_folding: bool = True,
    dynamo: bool | None = None,
):
    """Export ``model`` (any callable built from chainrule ops: a Keras-door model or layer, an
    ``nn.Module`` of any kind) to ONNX and return the checked ``onnx.ModelProto``.

    ``example_input``: one array/Tensor, e.g. (N, 784), a tuple of them (PyTorch's ``args``:
    ``model(*example_input)``) or a list (a Keras multi-input model: ``model(example_input)``);
    the model runs on it once in evaluation mode and every op it calls becomes ONNX nodes.
    ``f``: a path or binary file to
    write (None: write nothing). ``dynamic_axes``: PyTorch's form, ``{"input": {0: "batch"}}``;
    without it the batch axis (0) of every input and output is dynamic unless
    ``dynamic_batch=False``. Raises :class:`UnsupportedOpError` naming an op with no converter.
    PyTorch's ``export_params`` (must stay True: weights are always stored), ``verbose`` (prints
    the graph), ``do_constant_folding`` and ``dynamo`` are accepted; the last two change nothing
    (the trace records the ops as run).
    """
    try:
        import onnx
        from onnx import helper
    except ImportError as err:
        raise ImportError(
            "chainrule.onnx.export needs the onnx package: pip install 'chainrule[onnx]'"
        ) from err

    from . import converters  # noqa: F401  (registers the converters)

    if not export_params:
        raise ValueError("onnx.export: export_params=False is not supported (weights are stored)")
    del do_constant_folding, dynamo
    if not MIN_OPSET <= int(opset_version) <= MAX_OPSET:
        raise ValueError(
            f"onnx.export: opset_version must be in [{MIN_OPSET}, {MAX_OPSET}], got {opset_version}"
        )
    inputs = _as_inputs(example_input)
    in_names = list(input_names) if input_names else (
        ["input"] if len(inputs) == 1 else [f"input_{i}" for i in range(len(inputs))]
    )  # fmt: skip
    if len(in_names) != len(inputs):
        raise ValueError(f"onnx.export: {len(in_names)} input_names for {len(inputs)} inputs")

    was_training = getattr(model, "training", None)
    if hasattr(model, "eval"):
        model.eval()
    try:
        if isinstance(example_input, list):  # Keras: one list argument
            tr = trace(lambda *ts: model(list(ts)), inputs)
        else:  # PyTorch: the tuple's items are the positional arguments
            tr = trace(model, inputs)
    finally:
        if was_training and hasattr(model, "train"):
            model.train(True)
    outs = [o if isinstance(o, Tensor) else Tensor(np.asarray(o)) for o in tr.outputs]
    out_names = list(output_names) if output_names else (
        ["output"] if len(outs) == 1 else [f"output_{i}" for i in range(len(outs))]
    )  # fmt: skip
    if len(out_names) != len(outs):
        raise ValueError(f"onnx.export: {len(out_names)} output_names for {len(outs)} outputs")
    dyn = _dynamic(dynamic_axes, in_names + out_names, dynamic_batch)
    batch_dynamic = any(0 in dyn.get(n, {}) for n in in_names) and inputs[0].ndim > 0
    g = GraphBuilder(int(opset_version), inputs[0].shape[0] if batch_dynamic else None)
    for t, name in zip(inputs, in_names):
        g.bind(t, name)
        g.input_arrays.append((t, name))

    for rec in _needed(tr.records, outs):
        convert = converter_for(rec.op)
        if convert is None:
            raise UnsupportedOpError(
                f"onnx.export: op '{rec.op.__name__}' (from {rec.op.__module__}) has no ONNX "
                f"converter; supported ops: {', '.join(supported_ops())}"
            )
        g.bind(rec.output, convert(g, rec))

    for t, name in zip(outs, out_names):
        g.nodes.append(helper.make_node("Identity", [g.name(t)], [name]))
    graph = helper.make_graph(
        g.nodes,
        "chainrule",
        [_value_info(n, t.data, dyn.get(n, {})) for t, n in zip(inputs, in_names)],
        [_value_info(n, t.data, dyn.get(n, {})) for t, n in zip(outs, out_names)],
        initializer=g.initializers,
    )
    proto = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", int(opset_version))],
        producer_name="chainrule",
    )
    proto.ir_version = min(onnx.IR_VERSION, 10)
    onnx.checker.check_model(proto, full_check=True)
    if verbose:
        print(helper.printable_graph(proto.graph))
    if f is not None:
        data = proto.SerializeToString()
        if hasattr(f, "write"):
            f.write(data)
        else:
            from ..io.atomic import atomic_write_bytes

            atomic_write_bytes(f, data)
    return proto


def export_keras_model(model, filepath, format: str = "onnx", verbose: bool | None = None,
                       input_signature=None, **kwargs):  # fmt: skip
    """``keras.Model.export`` (see :meth:`chainrule.training.Model.export`): the example input
    comes from ``input_signature`` (an array, a list of arrays or an input shape), else from the
    model's ``Input`` specs or its ``input_shape``; the batch axis is dynamic."""
    if format != "onnx":
        raise ValueError(f"Model.export: format must be 'onnx' (the one chainrule writes), "
                         f"got {format!r}")  # fmt: skip
    example = input_signature
    if example is None and getattr(model, "_graph", None) is not None:  # functional: Input specs
        specs = [np.zeros((2, *s.shape[1:]), dtype=s.dtype) for s in model._graph[0]]
        example = specs if model._multi_in else specs[0]
    if example is None:
        example = getattr(model, "input_shape", None)
        if example is None:
            raise ValueError("Model.export: the model has no known input shape; build it or "
                             "pass input_signature=(None, ...)")  # fmt: skip

    def is_shape(s):
        return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)

    if is_shape(example):
        example = np.zeros((2, *example[1:]), dtype=np.float32)
    elif isinstance(example, list) and all(is_shape(s) for s in example):
        example = [np.zeros((2, *s[1:]), dtype=np.float32) for s in example]
    proto = export(model, example, filepath, **kwargs)
    if verbose:
        print(f"Saved the model as ONNX to {filepath}")
    return proto
