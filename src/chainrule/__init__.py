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
    nn,
    optim,
    regularizers,
)
from .anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
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
from .io import load_model, save_model
from .perceptron import Perceptron
from .random import get_generator, manual_seed
from .tensor import Tensor
from .training import Input, Model, Sequential  # the Keras-style training API

__version__ = "0.1.0"

__all__ = [
    "AnomalyError", "Function", "GradcheckError", "Input", "Model", "Perceptron", "Sequential", "Tensor",
    "activations", "arange", "callbacks", "constraints", "data", "datasets", "detect_anomaly", "enable_grad", "eye", "full", "functional",
    "get_generator", "gpu_available", "gradcheck", "initializers", "is_anomaly_enabled", "is_grad_enabled", "layers",
    "load_model", "losses", "manual_seed", "metrics", "nn", "no_grad", "ones", "ones_like", "optim", "rand", "randn", "regularizers", "save_model", "set_detect_anomaly",
    "tensor", "xp", "zeros", "zeros_like",
]  # fmt: skip
