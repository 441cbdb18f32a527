"""``keras.datasets.fashion_mnist``: Fashion-MNIST as Keras returns it (see :mod:`.mnist`)."""

from __future__ import annotations

from .mnist import FASHION_MNIST_CLASSES, load_fashion_mnist

__all__ = ["FASHION_MNIST_CLASSES", "load_data"]


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 ``(60000, 28, 28)`` / ``(10000, 28, 28)``
    images and uint8 labels 0–9, from the checksummed IDX files (Keras's arrays)."""
    return load_fashion_mnist()
