"""The Keras-style training API: Model, Sequential, Input, History and the fit/evaluate loops."""

from .functional import Input, SymbolicTensor
from .history import History
from .lr_find import LRFindResult, lr_find
from .model import Model
from .sequential import Sequential

__all__ = ["History", "Input", "LRFindResult", "Model", "Sequential", "SymbolicTensor", "lr_find"]
