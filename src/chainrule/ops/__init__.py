"""Differentiable primitives, grouped by kind. Each op is a Function subclass plus an entry point."""

from .activation import elu, gelu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .activation import hard_sigmoid, hard_swish, selu, silu, softsign
from .elementwise import (
    abs,
    add,
    astype,
    clip,
    cos,
    div,
    exp,
    log,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sin,
    sqrt,
    sub,
    where,
)
from .linalg import linear, matmul
from .loss import binary_cross_entropy_with_logits, softmax_cross_entropy, sparse_softmax_cross_entropy
from .normalization import batch_norm, layer_norm
from .reduce import logsumexp, max, mean, min, std, sum, var
from .shape import (
    broadcast_to,
    cat,
    concatenate,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)

__all__ = [
    "abs", "add", "astype", "broadcast_to", "cat", "clip", "concatenate", "cos", "div", "elu",
    "exp", "flatten", "gelu", "getitem", "leaky_relu", "linear", "log", "log_softmax", "logsumexp",
    "matmul", "max", "maximum", "mean", "min", "minimum", "mul", "neg", "pad", "permute", "pow",
    "relu", "reshape", "sigmoid", "sin", "softmax", "softplus", "split", "sqrt", "squeeze", "stack",
    "std", "sub", "sum", "tanh", "transpose", "unsqueeze", "var", "where",
    "hard_sigmoid", "hard_swish", "selu", "silu", "softsign",
    "batch_norm", "binary_cross_entropy_with_logits", "layer_norm", "softmax_cross_entropy",
    "sparse_softmax_cross_entropy",
]  # fmt: skip
