"""The classic small sets, Iris and Digits, from scikit-learn's bundled copies (no download).

scikit-learn is an optional extra: ``pip install chainrule[datasets]``. Both loaders return
``(x_train, y_train), (x_test, y_test)`` from a stratified split (``test_size`` of every class goes
to test) seeded by ``seed``; ``seed=None`` draws the split from the library generator instead
(``chainrule.manual_seed``). Labels are int64.
"""

from __future__ import annotations

import numpy as np

from ..data.transforms import train_val_split

IRIS_CLASSES: tuple[str, ...] = ("setosa", "versicolor", "virginica")
DIGITS_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))


def _sklearn_datasets():
    try:
        import sklearn.datasets
    except ImportError as exc:
        raise ImportError(
            "load_iris/load_digits need scikit-learn, which ships these datasets: "
            "pip install chainrule[datasets]"
        ) from exc
    return sklearn.datasets


def _split(x: np.ndarray, y: np.ndarray, test_size: float, seed: int | None):
    return train_val_split(x, y, val_fraction=test_size, stratify=y, seed=seed)


def load_iris(test_size: float = 0.2, seed: int | None = 0) -> tuple:
    """Fisher's Iris: 150 flowers, 4 float32 features (cm), 3 classes of 50 (:data:`IRIS_CLASSES`).

    With the default ``test_size=0.2``: ``x_train`` ``(120, 4)``, ``x_test`` ``(30, 4)``, 10 test
    samples per class.
    """
    bunch = _sklearn_datasets().load_iris()
    x = bunch.data.astype(np.float32)
    y = bunch.target.astype(np.int64)
    return _split(x, y, test_size, seed)


def load_iris_petals() -> tuple[np.ndarray, np.ndarray]:
    """The linearly separable part of Iris that the perceptron classic uses: setosa (0) and
    versicolor (1) by petal length and width (cm). ``x`` float32 ``(100, 2)``, ``y`` int64
    ``(100,)``, in the dataset's order (no split)."""
    bunch = _sklearn_datasets().load_iris()
    keep = bunch.target < 2
    return bunch.data[keep][:, 2:4].astype(np.float32), bunch.target[keep].astype(np.int64)


def load_digits(test_size: float = 0.2, seed: int | None = 0) -> tuple:
    """UCI handwritten digits: 1,797 images ``(8, 8)`` as uint8 with values 0–16, labels 0–9.

    With the default ``test_size=0.2``: ``x_train`` ``(1438, 8, 8)``, ``x_test`` ``(359, 8, 8)``.
    Scale with ``chainrule.data.scale_to_unit(x, max_value=16)``.
    """
    bunch = _sklearn_datasets().load_digits()
    x = bunch.images.astype(np.uint8)
    y = bunch.target.astype(np.int64)
    return _split(x, y, test_size, seed)
