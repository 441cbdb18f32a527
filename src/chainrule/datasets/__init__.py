"""Real datasets, checksummed: MNIST, Fashion-MNIST, Iris, Digits, tiny-shakespeare, SST-2,
rt-polarity and English–French pairs.

Loaders return NumPy arrays in the Keras convention, ``(x_train, y_train), (x_test, y_test)``.
Files are looked for under ``data_dir=`` or ``$CHAINRULE_DATA``, then the cache
(``$XDG_CACHE_HOME/chainrule/datasets``), then downloaded unless ``$CHAINRULE_OFFLINE=1``; every file
is checked against its published sha256. See docs/datasets.md.
"""

from . import fashion_mnist, mnist  # Keras's datasets.mnist.load_data() and fashion_mnist
from ._fetch import (
    ChecksumError,
    CorruptFileError,
    DatasetError,
    DatasetNotFoundError,
    cache_root,
)
from .mnist import FASHION_MNIST_CLASSES, load_fashion_mnist, load_mnist
from .small import DIGITS_CLASSES, IRIS_CLASSES, load_digits, load_iris, load_iris_petals
from .text import (
    load_eng_fra,
    load_eng_fra_split,
    load_rt_polarity,
    load_sst2,
    load_tiny_shakespeare,
)

__all__ = [
    "DIGITS_CLASSES",
    "FASHION_MNIST_CLASSES",
    "IRIS_CLASSES",
    "ChecksumError",
    "CorruptFileError",
    "DatasetError",
    "DatasetNotFoundError",
    "cache_root",
    "fashion_mnist",
    "load_digits",
    "load_eng_fra",
    "load_eng_fra_split",
    "load_fashion_mnist",
    "load_iris",
    "load_iris_petals",
    "load_mnist",
    "load_rt_polarity",
    "load_sst2",
    "load_tiny_shakespeare",
    "mnist",
]
