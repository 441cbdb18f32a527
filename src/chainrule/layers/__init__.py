"""Keras-style layers (``keras.layers``), one family per file, and the registry that rebuilds them
from configs.

Keras 3 names, argument names and defaults; lazy build from the first input; channels-last;
``Dense.kernel`` is (in, out). The PyTorch door's modules live in :mod:`chainrule.nn`.
"""

from .activation import ELU, Activation, LeakyReLU, ReLU, Softmax
from .attention import MultiHeadAttention
from .base import LAYERS, Layer, deserialize, get, register, reset_names, serialize, unique_name
from .bidirectional import Bidirectional
from .core import Identity, Lambda
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding, Masking
from .input_layer import Input, InputLayer
from .merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .noise import GaussianNoise
from .normalization import BatchNormalization, LayerNormalization
from .positional import PositionEmbedding, SinePositionEncoding, TokenAndPositionEmbedding
from .preprocessing import Normalization, Rescaling
from .recurrent import GRU, LSTM, SimpleRNN
from .reshape import Flatten, Reshape
from .residual import Residual
from .sequential import Sequential  # a plain layer stack; keras.Sequential is the Model
from .text_vectorization import TextVectorization
from .transformer import TransformerDecoder, TransformerEncoder

__all__ = [
    "ELU",
    "GRU",
    "LAYERS",
    "LSTM",
    "Activation",
    "Add",
    "Average",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianNoise",
    "Identity",
    "Input",
    "InputLayer",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PositionEmbedding",
    "ReLU",
    "Rescaling",
    "Reshape",
    "Residual",
    "Sequential",
    "SimpleRNN",
    "SinePositionEncoding",
    "Softmax",
    "Subtract",
    "TextVectorization",
    "TokenAndPositionEmbedding",
    "TransformerDecoder",
    "TransformerEncoder",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "dot",
    "get",
    "maximum",
    "minimum",
    "multiply",
    "register",
    "reset_names",
    "serialize",
    "subtract",
    "unique_name",
]  # fmt: skip
