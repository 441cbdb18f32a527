"""The Keras-style training API: Model, Sequential, Input, History and the fit/evaluate loops."""

from .functional import Input, SymbolicTensor
from .history import History
from .model import Model
from .sequential import Sequential

__all__ = ["History", "Input", "Model", "Sequential", "SymbolicTensor"]
