"""Keras-style layers (``keras.layers``), one family per file, and the registry that rebuilds them
from configs.

Keras 3 names, argument names and defaults; lazy build from the first input; channels-last;
``Dense.kernel`` is (in, out). The PyTorch door's modules live in :mod:`chainrule.nn`.
"""

from .activation import ELU, Activation, LeakyReLU, PReLU, ReLU, Softmax
from .attention import MultiHeadAttention
from .augmentation import RandomFlip, RandomRotation, RandomTranslation, RandomZoom
from .base import LAYERS, Layer, deserialize, get, register, reset_names, serialize, unique_name
from .bidirectional import Bidirectional
from .convolutional import Conv1D, Conv2D, Conv2DTranspose, DepthwiseConv2D
from .core import Identity, Lambda
from .dense import Dense
from .dropout import Dropout, SpatialDropout2D
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
from .normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .positional import PositionEmbedding, SinePositionEncoding, TokenAndPositionEmbedding
from .preprocessing import Normalization, Rescaling
from .recurrent import GRU, LSTM, SimpleRNN
from .reshape import Flatten, Permute, RepeatVector, Reshape
from .reshaping import Cropping2D, Resizing, UpSampling2D, ZeroPadding2D
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
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Conv2DTranspose",
    "Cropping2D",
    "Dense",
    "DepthwiseConv2D",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GroupNormalization",
    "Identity",
    "Input",
    "InputLayer",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "PositionEmbedding",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Residual",
    "Resizing",
    "Sequential",
    "SimpleRNN",
    "SinePositionEncoding",
    "Softmax",
    "SpatialDropout2D",
    "Subtract",
    "TextVectorization",
    "TokenAndPositionEmbedding",
    "TransformerDecoder",
    "TransformerEncoder",
    "UnitNormalization",
    "UpSampling2D",
    "ZeroPadding2D",
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
