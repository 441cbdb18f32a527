"""The ONNX graph under construction, and the registry of op converters.

A converter is a function ``convert(g, rec) -> str`` registered for one ``Function`` subclass with
:func:`register`: it reads the recorded op (``rec.inputs``, ``rec.params``), adds ONNX nodes through
``g`` and returns the name of the value holding the op's output. Every layer of either door
reaches ONNX through the ops it calls, so a new layer family needs converters only for ops that
have none yet.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_CONVERTERS: dict[type, Callable] = {}


def register(*ops: type) -> Callable:
    """Decorator: register ``convert(g, rec) -> str`` for the exact Function classes ``ops``."""

    def deco(fn: Callable) -> Callable:
        for op in ops:
            _CONVERTERS[op] = fn
        return fn

    return deco


def converter_for(op: type) -> Callable | None:
    """The converter registered for Function class ``op`` (exact class), or None."""
    return _CONVERTERS.get(op)


def supported_ops() -> list[str]:
    """Names of the Function classes that have a converter, sorted."""
    return sorted(op.__name__ for op in _CONVERTERS)


class GraphBuilder:
    """Collects nodes, initializers and value names while a trace is converted.

    ``opset``: the target opset; ``batch``: the example batch size when the batch axis is dynamic
    (converters that bake a shape into the graph write 0/1 there instead), else None.
    """

    def __init__(self, opset: int, batch: int | None):
        from onnx import helper, numpy_helper

        self._helper, self._numpy_helper = helper, numpy_helper
        self.opset = opset
        self.batch = batch
        self.nodes: list = []
        self.initializers: list = []
        self._names: dict[int, str] = {}
        self._keep: list = []  # keeps traced tensors alive so their ids stay unique
        self._count = 0
        self.input_arrays: list = []  # (input tensor, graph name)

    # -- names ---------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def bind(self, tensor, name: str) -> None:
        """Name the value ``tensor`` holds in the graph."""
        self._keep.append(tensor)
        self._names[id(tensor)] = name

    def has(self, tensor) -> bool:
        return id(tensor) in self._names

    def name(self, tensor) -> str:
        """The graph name of ``tensor``: a bound value, or else a new initializer holding its data
        (parameters, buffers and constants the model made outside any op)."""
        key = id(tensor)
        if key not in self._names:
            data = (
                tensor.data
                if hasattr(tensor, "data") and not isinstance(tensor, np.ndarray)
                else tensor
            )
            label = "param" if getattr(tensor, "requires_grad", False) else "const"
            self.bind(tensor, self.const(np.asarray(data), label))
        return self._names[key]

    def const(self, value, hint: str = "const", dtype=None) -> str:
        """Add ``value`` as an initializer; return its name."""
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float64 and dtype is None and not isinstance(value, np.ndarray):
            arr = arr.astype(np.float32)
        name = self.fresh(hint)
        self.initializers.append(self._numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def ints(self, values, hint: str = "shape") -> str:
        """An int64 initializer (shapes, axes, pads)."""
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    # -- nodes ---------------------------------------------------------------------------------
    def node(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs) -> str | list[str]:
        """Add one ONNX node; return its output name (a list when ``n_out > 1``)."""
        outs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        self.nodes.append(self._helper.make_node(op_type, inputs, outs, **attrs))
        return outs[0] if n_out == 1 else outs

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """A Reduce* node over ``axes`` (None: all), written for the target opset (axes are an input
        from opset 18 on, and from 13 on for ReduceSum)."""
        if axes is None:
            return self.node(op_type, [x], keepdims=int(keepdims))
        axes = [int(a) for a in np.atleast_1d(axes)]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.node(op_type, [x, self.ints(axes, "axes")], keepdims=int(keepdims))
        return self.node(op_type, [x], axes=axes, keepdims=int(keepdims))

    def scalar_like(self, value: float, tensor) -> str:
        """A scalar initializer in ``tensor``'s dtype (ONNX does not promote types)."""
        return self.const(np.asarray(value, dtype=tensor.data.dtype), "scalar")

    def index_input(self, array) -> str:
        """The graph name of an integer index array an op received as a parameter (an embedding's
        indices): a graph input when it is one of the traced inputs' arrays, else a constant."""
        for tensor, name in self.input_arrays:
            if tensor.data is array:
                return name
        return self.const(np.asarray(array), "indices")
