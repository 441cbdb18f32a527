"""Neural-network building blocks: Module, Parameter, layers, initialisers, losses, regularisers."""

from . import activations, constraints, init, layers, losses, regularizers
from .layers import (
    Activation,
    BatchNorm,
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LayerNorm,
    LayerNormalization,
    Linear,
    Reshape,
    Residual,
    Sequential,
)
from .module import Module
from .parameter import Parameter

__all__ = [
    "Activation", "BatchNorm", "BatchNormalization", "Dense", "Dropout", "Flatten", "Layer",
    "LayerNorm", "LayerNormalization", "Linear", "Module", "Parameter", "Reshape", "Residual",
    "Sequential", "activations", "constraints", "init", "layers", "losses", "regularizers",
]  # fmt: skip
