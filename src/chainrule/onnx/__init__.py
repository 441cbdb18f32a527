"""ONNX export (needs the ``onnx`` extra: ``pip install chainrule[onnx]``).

``chainrule.onnx.export(model, example_input, "m.onnx")`` runs the model once, records every op it
calls and writes each as ONNX nodes through a converter registered per op class
(:func:`register`); see docs/interop.md.
"""

from .export import DEFAULT_OPSET, UnsupportedOpError, export
from .graph import GraphBuilder, register, supported_ops
from .trace import OpRecord, Trace, trace

__all__ = [
    "DEFAULT_OPSET",
    "GraphBuilder",
    "OpRecord",
    "Trace",
    "UnsupportedOpError",
    "export",
    "register",
    "supported_ops",
    "trace",
]
