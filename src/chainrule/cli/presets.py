"""Built-in run configurations for ``chainrule train PRESET`` (same schema as a TOML config).

Presets that need something chainrule does not have yet are listed in
:data:`PLANNED` with the reason; asking for one gives a clear error instead of a substitute model.
"""

from __future__ import annotations

import copy

DEFAULT_PRESET = "digits-mlp"


def _mlp_28x28(name: str, dataset: str, epochs: int) -> dict:
    """784-256-128-10 ReLU MLP with Adam for a 28x28, 10-class image set."""
    return {
        "name": name,
        "seed": 0,
        "epochs": epochs,
        "batch_size": 128,
        "data": {"name": dataset, "validation_split": 0.1},
        "model": {
            "layers": [
                {"type": "Flatten"},
                {"type": "Dense", "units": 256, "activation": "relu"},
                {"type": "Dense", "units": 128, "activation": "relu"},
                {"type": "Dense", "units": 10, "activation": "softmax"},
            ]
        },
        "optimizer": {"name": "adam", "lr": 0.001},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "checkpoint": {"save_freq": 100},
    }


def _cnn_28x28(name: str, dataset: str, epochs: int, wide: bool) -> dict:
    """Convolutional nets for 28x28, 10-class images. ``wide=False``: the Keras "simple MNIST
    convnet" (Conv2D 32-64 3x3, max pooling, Dropout 0.5, 34,826 parameters); ``wide=True``: two
    "same" conv blocks (32, 64) with batch normalization and a 128-unit dense layer, for
    Fashion-MNIST, with the learning rate halved whenever the validation loss has not fallen for
    two epochs (92.50 % in 15 epochs, docs/results.md)."""
    reshape = {"type": "Reshape", "target_shape": [28, 28, 1]}
    callbacks: list[dict] = []
    if not wide:
        body = [
            {"type": "Conv2D", "filters": 32, "kernel_size": 3, "activation": "relu"},
            {"type": "MaxPooling2D", "pool_size": 2},
            {"type": "Conv2D", "filters": 64, "kernel_size": 3, "activation": "relu"},
            {"type": "MaxPooling2D", "pool_size": 2},
            {"type": "Flatten"},
            {"type": "Dropout", "rate": 0.5},
        ]
    else:
        callbacks = [
            {"type": "ReduceLROnPlateau", "monitor": "val_loss", "factor": 0.5, "patience": 2,
             "min_lr": 1e-5},
        ]  # fmt: skip
        body = [
            {"type": "Conv2D", "filters": 32, "kernel_size": 3, "padding": "same"},
            {"type": "BatchNormalization"},
            {"type": "ReLU"},
            {"type": "MaxPooling2D", "pool_size": 2},
            {"type": "Conv2D", "filters": 64, "kernel_size": 3, "padding": "same"},
            {"type": "BatchNormalization"},
            {"type": "ReLU"},
            {"type": "MaxPooling2D", "pool_size": 2},
            {"type": "Flatten"},
            {"type": "Dropout", "rate": 0.3},
            {"type": "Dense", "units": 128, "activation": "relu"},
            {"type": "Dropout", "rate": 0.3},
        ]
    return {
        "name": name,
        "seed": 0,
        "epochs": epochs,
        "batch_size": 128,
        "data": {"name": dataset, "validation_split": 0.1},
        "model": {
            "layers": [reshape, *body, {"type": "Dense", "units": 10, "activation": "softmax"}]
        },
        "optimizer": {"name": "adam", "lr": 0.001},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "callbacks": callbacks,
        "checkpoint": {"save_freq": 100},
    }


PRESETS: dict[str, dict] = {
    # scikit-learn's bundled 8x8 digits (1,797 images): no download, trains in seconds.
    "digits-mlp": {
        "name": "digits-mlp",
        "seed": 0,
        "epochs": 40,
        "batch_size": 32,
        "data": {"name": "digits", "validation_split": 0.1},
        "model": {
            "layers": [
                {"type": "Flatten"},
                {"type": "Dense", "units": 256, "activation": "relu"},
                {"type": "Dense", "units": 10, "activation": "softmax"},
            ]
        },
        "optimizer": {"name": "adam", "lr": 0.001},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "checkpoint": {"save_freq": "epoch"},  # epochs take ~0.1 s: no mid-epoch checkpoints
    },
    # MNIST 28x28 digits from CHAINRULE_DATA (or the dataset cache).
    "mnist-mlp": _mlp_28x28("mnist-mlp", "mnist", epochs=5),
    # Fashion-MNIST 28x28 clothing images.
    "fashion-mlp": _mlp_28x28("fashion-mlp", "fashion-mnist", epochs=10),
    # The Keras "simple MNIST convnet" on MNIST (keras.io runs it 15 epochs; 12 here).
    "mnist-cnn": _cnn_28x28("mnist-cnn", "mnist", epochs=12, wide=False),
    # Fashion-MNIST: two conv-BN-ReLU-pool blocks and a dense layer (≥ 92 %, docs/results.md).
    "fashion-cnn": _cnn_28x28("fashion-cnn", "fashion-mnist", epochs=15, wide=True),
}

PLANNED: dict[str, str] = {}


def all_presets() -> dict[str, dict]:
    """The classification presets above, then every task's presets (``chainrule.cli.tasks``)."""
    from .tasks import task_presets

    return {**PRESETS, **task_presets()}


def get_preset(name: str) -> dict:
    """A deep copy of preset ``name``; a ValueError lists the available ones otherwise."""
    presets = all_presets()
    if name in presets:
        return copy.deepcopy(presets[name])
    if name in PLANNED:
        raise ValueError(f"preset '{name}' is not available yet: it {PLANNED[name]}")
    raise ValueError(f"unknown preset '{name}'; available presets: {', '.join(presets)}")
