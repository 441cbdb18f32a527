"""The PyTorch door (``import chainrule.nn as nn``): ``Module`` (the base of every layer and model,
shared by both doors), ``Parameter``, the modules of :mod:`.modules` (``Linear``, ``ReLU``,
``CrossEntropyLoss``, ``Sequential`` …), ``nn.functional``, ``nn.init`` and ``nn.utils``, with
PyTorch's names, defaults and layouts. Keras-style layers live in :mod:`chainrule.layers`."""

from . import functional, init, modules, utils
from .module import Module
from .modules import *  # the PyTorch-door modules
from .modules import __all__ as _torch_modules
from .parameter import Parameter

__all__ = ["Module", "Parameter", "functional", "init", "modules", "utils"]
__all__.extend(_torch_modules)
