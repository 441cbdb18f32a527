"""MNIST and Fashion-MNIST from their original gzipped IDX files.

Both return ``(x_train, y_train), (x_test, y_test)``: uint8 images ``(N, 28, 28)`` with values
0–255 and uint8 labels ``(N,)`` with values 0–9; N is 60,000 for train and 10,000 for test.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ._fetch import CorruptFileError, RemoteFile, locate

_MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"

_MNIST_FILES = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        9_912_422,
    ),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        28_881,
    ),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        1_648_877,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        4_542,
    ),
}
_FASHION_FILES = {
    "train-images-idx3-ubyte.gz": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        26_421_880,
    ),
    "train-labels-idx1-ubyte.gz": (
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        29_515,
    ),
    "t10k-images-idx3-ubyte.gz": (
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        4_422_102,
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        5_148,
    ),
}

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Fashion-MNIST class names, indexed by label."""

_IMAGE_MAGIC, _LABEL_MAGIC = 2051, 2049


def _specs(table: dict[str, tuple[str, int]], base_url: str) -> list[RemoteFile]:
    return [RemoteFile(name, sha, size, base_url + name) for name, (sha, size) in table.items()]


def read_idx(path: Path, magic: int, ndim: int) -> np.ndarray:
    """Read a gzipped IDX file of uint8 data with the given magic number and number of dimensions.

    Returns a writable uint8 array of the shape stored in the header. Raises
    :class:`~chainrule.datasets.CorruptFileError` if the header or the data length is wrong.
    """
    try:
        with gzip.open(path, "rb") as f:
            header = f.read(4 + 4 * ndim)
            if len(header) != 4 + 4 * ndim:
                raise CorruptFileError(f"IDX file {path}: header truncated")
            got_magic, *shape = struct.unpack(f">{1 + ndim}I", header)
            if got_magic != magic:
                raise CorruptFileError(
                    f"IDX file {path}: magic number {got_magic}, expected {magic}"
                )
            out = np.empty(shape, dtype=np.uint8)
            n = f.readinto(memoryview(out).cast("B")) if out.size else 0
            if n != out.size or f.read(1):
                raise CorruptFileError(
                    f"IDX file {path}: header says shape {tuple(shape)} ({out.size:,} bytes) "
                    f"but the data holds {'more' if n == out.size else f'{n:,}'} bytes"
                )
    except (OSError, EOFError, zlib.error) as exc:
        raise CorruptFileError(f"IDX file {path} is not a readable gzip file: {exc}") from exc
    return out


def _load_idx_set(dataset: str, specs: list[RemoteFile], data_dir) -> tuple:
    paths = locate(dataset, specs, data_dir)
    splits = []
    for prefix in ("train", "t10k"):
        x = read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"], _IMAGE_MAGIC, 3)
        y = read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"], _LABEL_MAGIC, 1)
        if x.shape[0] != y.shape[0]:
            raise CorruptFileError(
                f"{dataset}: {prefix} images hold {x.shape[0]} samples but labels {y.shape[0]}"
            )
        splits.append((x, y))
    return tuple(splits)


def load_mnist(
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """MNIST handwritten digits: ``(x_train, y_train), (x_test, y_test)``.

    ``x_*``: uint8 ``(60000, 28, 28)`` / ``(10000, 28, 28)``, values 0–255; ``y_*``: uint8 ``(N,)``,
    digits 0–9. Files are looked for under ``<data_dir or $CHAINRULE_DATA>/mnist/``, then the cache,
    then downloaded from the ossci-datasets mirror (see :mod:`chainrule.datasets._fetch`).
    """
    return _load_idx_set("mnist", _specs(_MNIST_FILES, _MNIST_URL), data_dir)


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST (Zalando): ``(x_train, y_train), (x_test, y_test)``, same layout as MNIST.

    Labels 0–9 name the classes in :data:`FASHION_MNIST_CLASSES` (6,000 train and 1,000 test images
    per class). Files live under ``fashion-mnist/``.
    """
    return _load_idx_set("fashion-mnist", _specs(_FASHION_FILES, _FASHION_URL), data_dir)


def load_data(path: str | os.PathLike = "mnist.npz"):
    """Keras's ``keras.datasets.mnist.load_data()``: ``(x_train, y_train), (x_test, y_test)``,
    uint8 ``(60000, 28, 28)`` / ``(10000, 28, 28)`` images and uint8 labels, from the checksummed
    IDX files (the same arrays as Keras's ``mnist.npz``).

    ``path``: Keras's cache file name; when it names an existing directory, the files are looked
    for there (like ``data_dir=`` of :func:`load_mnist`), otherwise the usual search applies.
    """
    data_dir = path if path is not None and Path(path).is_dir() else None
    return load_mnist(data_dir=data_dir)
