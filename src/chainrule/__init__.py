"""chainrule: deep learning whose every gradient comes from its own reverse-mode autodiff engine."""

from . import (
    activations,
    callbacks,
    constraints,
    data,
    datasets,
    functional,
    initializers,
    layers,
    losses,
    metrics,
    models,
    nn,
    ops,
    optim,
    regularizers,
    saving,
    utils,
)
from .backend import gpu_available, xp
from .creation import (
    arange,
    eye,
    full,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)
from .function import Function, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck
from .layers import Layer
from .perceptron import Perceptron
from .random import get_generator, manual_seed
from .saving import load_model, save_model  # Keras signatures (custom_objects=, .keras)
from .tensor import Tensor
from .training import Input, Model, Sequential  # the Keras-style training API

__version__ = "0.1.0"

__all__ = [
    "Function",
    "GradcheckError",
    "Input",
    "Layer",
    "Model",
    "Perceptron",
    "Sequential",
    "Tensor",
    "activations",
    "arange",
    "callbacks",
    "constraints",
    "data",
    "datasets",
    "enable_grad",
    "eye",
    "full",
    "functional",
    "get_generator",
    "gpu_available",
    "gradcheck",
    "initializers",
    "is_grad_enabled",
    "layers",
    "load_model",
    "losses",
    "manual_seed",
    "metrics",
    "models",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "ops",
    "optim",
    "rand",
    "randn",
    "regularizers",
    "save_model",
    "saving",
    "tensor",
    "utils",
    "xp",
    "zeros",
    "zeros_like",
]  # fmt: skip
