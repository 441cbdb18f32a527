"""chainrule: deep learning whose every gradient comes from its own reverse-mode autodiff engine."""

from .tensor import Tensor  # first: the modules below import it

from . import functional
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
from .random import get_generator, manual_seed
from .training import Input, Model, Sequential  # the Keras-style training API
from . import callbacks, data, datasets, metrics, nn, optim  # noqa: E402
from .perceptron import Perceptron
from .io import load_model, save_model

__version__ = "0.1.0"
