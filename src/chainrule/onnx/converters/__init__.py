"""ONNX converters, one module per kind of op; importing this package registers them all."""

from . import elementwise, recurrent, spatial, structure, tensors  # noqa: F401
