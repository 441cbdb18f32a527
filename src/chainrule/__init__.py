"""chainrule: deep learning whose every gradient comes from its own reverse-mode autodiff engine."""

from . import (
    activations,
    autograd,
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
    optimizers,
    regularizers,
    saving,
    utils,
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

# The PyTorch door's top-level names (torch.cat, torch.max, torch.float32, torch.save …): the
# star import of torch_api comes after creation's, so tensor/zeros/… take PyTorch's arguments.
from .dtypes import *
from .dtypes import __all__ as _dtype_names
from .function import Function, enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck
from .io.torch_serialization import load, save
from .layers import Layer
from .perceptron import Perceptron
from .random import get_generator, manual_seed
from .saving import load_model, save_model  # Keras signatures (custom_objects=, .keras)
from .tensor import Tensor
from .threads import get_num_threads as get_num_threads
from .threads import set_num_threads as set_num_threads
from .torch_api import *
from .torch_api import __all__ as _torch_names
from .training import Input, Model, Sequential  # the Keras-style training API

__version__ = "0.1.0"

__all__ = [
    "AnomalyError",
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
    "autograd",
    "callbacks",
    "constraints",
    "data",
    "datasets",
    "detect_anomaly",
    "enable_grad",
    "eye",
    "full",
    "functional",
    "get_generator",
    "gpu_available",
    "gradcheck",
    "initializers",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "layers",
    "load",
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
    "optimizers",
    "rand",
    "randn",
    "regularizers",
    "save",
    "save_model",
    "saving",
    "set_detect_anomaly",
    "tensor",
    "utils",
    "xp",
    "zeros",
    "zeros_like",
]  # fmt: skip
from . import onnx  # noqa: F401  (NumPy-only until export() runs; needs the onnx extra)

__all__.append("onnx")
__all__.extend(n for n in _torch_names + _dtype_names if n not in __all__)
