"""Neural-network building blocks.

PyTorch door (``import chainrule.nn as nn``): ``Module``, ``Parameter``, the modules of
:mod:`.modules` (``Linear``, ``ReLU``, ``CrossEntropyLoss``, ``Sequential`` …), ``nn.functional``
and ``nn.init`` with PyTorch's names, defaults and layouts.

Keras-style layers (``Dense``, ``BatchNormalization`` …) are in :mod:`.layers` until they move to
``chainrule.layers``; names both doors use (``Dropout``, ``Flatten``, ``LayerNorm``, ``Linear``,
``Sequential``) mean the PyTorch classes here.
"""

from . import (
    activations,
    constraints,
    functional,
    init,
    layers,
    losses,
    modules,
    regularizers,
    utils,
)
from .layers import (
    Activation,
    BatchNorm,
    BatchNormalization,
    Dense,
    Layer,
    LayerNormalization,
    Reshape,
    Residual,
)
from .module import Module
from .modules import *  # the PyTorch-door modules
from .modules import __all__ as _torch_modules
from .parameter import Parameter

__all__ = [
    "Activation",
    "BatchNorm",
    "BatchNormalization",
    "Dense",
    "Layer",
    "LayerNormalization",
    "Module",
    "Parameter",
    "Reshape",
    "Residual",
    "activations",
    "constraints",
    "functional",
    "init",
    "layers",
    "losses",
    "modules",
    "regularizers",
    "utils",
]
__all__.extend(_torch_modules)
