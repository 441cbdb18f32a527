"""Built-in layers, one family per file, and the registry that rebuilds them from configs."""

from .activation import Activation
from .base import LAYERS, Layer, deserialize, get, register, reset_names, serialize, unique_name
from .dense import Dense, Linear
from .dropout import Dropout
from .normalization import BatchNorm, BatchNormalization, LayerNorm, LayerNormalization
from .reshape import Flatten, Reshape
from .residual import Residual
from .sequential import Sequential

__all__ = [
    "LAYERS", "Activation", "BatchNorm", "BatchNormalization", "Dense", "Dropout", "Flatten",
    "Layer", "LayerNorm", "LayerNormalization", "Linear", "Reshape", "Residual", "Sequential",
    "deserialize", "get", "register", "reset_names", "serialize", "unique_name",
]  # fmt: skip
