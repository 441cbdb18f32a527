"""The PyTorch door's building blocks: ``Module`` (the base of every layer and model, shared by
both doors) and ``Parameter``. Keras-style layers live in :mod:`chainrule.layers`."""

from .module import Module
from .parameter import Parameter

__all__ = ["Module", "Parameter"]
