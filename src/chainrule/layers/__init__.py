"""Keras-style layers (``keras.layers``), one family per file, and the registry that rebuilds them
from configs.

Keras 3 names, argument names and defaults; lazy build from the first input; channels-last;
``Dense.kernel`` is (in, out). The PyTorch door's modules live in :mod:`chainrule.nn`.
"""

from .activation import Activation
from .base import LAYERS, Layer, deserialize, get, register, reset_names, serialize, unique_name
from .dense import Dense
from .dropout import Dropout
from .normalization import BatchNormalization, LayerNormalization
from .reshape import Flatten, Reshape
from .residual import Residual
from .sequential import Sequential  # a plain layer stack; keras.Sequential is the Model

__all__ = [
    "LAYERS", "Activation", "BatchNormalization", "Dense", "Dropout", "Flatten", "Layer",
    "LayerNormalization", "Reshape", "Residual", "Sequential", "deserialize", "get", "register", "reset_names",
    "serialize", "unique_name",
]  # fmt: skip
