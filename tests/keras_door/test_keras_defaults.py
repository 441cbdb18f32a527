# ruff: noqa: C408 - dict(name=default) reads like the signatures it mirrors
"""The Keras door's argument names and defaults against Keras 3 (keras==3.15.1).

KERAS_DEFAULTS is written from Keras's documented signatures (keras.io API reference, checked
against keras 3.15.1): for each class or function, the arguments we implement and their defaults.
Each must exist in our signature with the same default. Arguments we do not implement are listed
in docs/doors.md.
"""

from __future__ import annotations

import inspect

import pytest

import chainrule as keras

_ = "sum_over_batch_size"
KERAS_DEFAULTS = {
    # layers
    "layers.Dense": dict(activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                         bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                         kernel_constraint=None, bias_constraint=None),
    "layers.Dropout": dict(noise_shape=None, seed=None),
    "layers.Flatten": dict(data_format=None),
    "layers.BatchNormalization": dict(axis=-1, momentum=0.99, epsilon=0.001, center=True,
                                      scale=True, beta_initializer="zeros",
                                      gamma_initializer="ones", moving_mean_initializer="zeros",
                                      moving_variance_initializer="ones", beta_regularizer=None,
                                      gamma_regularizer=None, beta_constraint=None,
                                      gamma_constraint=None),
    "layers.LayerNormalization": dict(axis=-1, epsilon=0.001, center=True, scale=True,
                                      beta_initializer="zeros", gamma_initializer="ones"),
    "layers.GroupNormalization": dict(groups=32, axis=-1, epsilon=0.001, center=True,
                                      scale=True, beta_initializer="zeros",
                                      gamma_initializer="ones", beta_regularizer=None,
                                      gamma_regularizer=None, beta_constraint=None,
                                      gamma_constraint=None),
    "layers.UnitNormalization": dict(axis=-1),
    "layers.PReLU": dict(alpha_initializer="Zeros", alpha_regularizer=None,
                         alpha_constraint=None, shared_axes=None),
    "layers.Concatenate": dict(axis=-1),
    "layers.concatenate": dict(axis=-1),
    "layers.Dot": dict(normalize=False),
    "layers.dot": dict(axes=-1),
    "layers.Lambda": dict(output_shape=None, mask=None, arguments=None),
    "layers.ReLU": dict(max_value=None, negative_slope=0.0, threshold=0.0),
    "layers.LeakyReLU": dict(negative_slope=0.3),
    "layers.Softmax": dict(axis=-1),
    "layers.ELU": dict(alpha=1.0),
    "layers.GaussianNoise": dict(seed=None),
    "layers.Input": dict(shape=None, batch_size=None, dtype=None, batch_shape=None, name=None),
    "layers.InputLayer": dict(shape=None, batch_size=None, dtype=None, batch_shape=None,
                              name=None),
    "layers.Layer.add_weight": dict(shape=None, initializer=None, dtype=None, trainable=True,
                                    regularizer=None, constraint=None, name=None),
    # initializers, regularizers, constraints
    "initializers.RandomNormal": dict(mean=0.0, stddev=0.05, seed=None),
    "initializers.RandomUniform": dict(minval=-0.05, maxval=0.05, seed=None),
    "initializers.TruncatedNormal": dict(mean=0.0, stddev=0.05, seed=None),
    "initializers.GlorotUniform": dict(seed=None),
    "initializers.HeNormal": dict(seed=None),
    "initializers.Constant": dict(value=0.0),
    "initializers.Orthogonal": dict(gain=1.0, seed=None),
    "initializers.VarianceScaling": dict(scale=1.0, mode="fan_in",
                                         distribution="truncated_normal", seed=None),
    "regularizers.L1": dict(l1=0.01),
    "regularizers.L2": dict(l2=0.01),
    "regularizers.L1L2": dict(l1=0.0, l2=0.0),
    "constraints.MaxNorm": dict(max_value=2, axis=0),
    "constraints.UnitNorm": dict(axis=0),
    # losses
    "losses.SparseCategoricalCrossentropy": dict(from_logits=False, ignore_class=None,
                                                 reduction=_, axis=-1),
    "losses.CategoricalCrossentropy": dict(from_logits=False, label_smoothing=0.0, axis=-1,
                                           reduction=_),
    "losses.BinaryCrossentropy": dict(from_logits=False, label_smoothing=0.0, axis=-1,
                                      reduction=_),
    "losses.MeanSquaredError": dict(reduction=_),
    "losses.MeanAbsoluteError": dict(reduction=_),
    "losses.Huber": dict(delta=1.0, reduction=_, name="huber_loss"),
    "losses.KLDivergence": dict(reduction=_),
    "losses.Hinge": dict(reduction=_),
    "losses.sparse_categorical_crossentropy": dict(from_logits=False, ignore_class=None, axis=-1),
    "losses.categorical_crossentropy": dict(from_logits=False, label_smoothing=0.0, axis=-1),
    "losses.binary_crossentropy": dict(from_logits=False, label_smoothing=0.0, axis=-1),
    "losses.huber": dict(delta=1.0),
    # metrics
    "metrics.RootMeanSquaredError": dict(name="root_mean_squared_error"),
    "metrics.R2Score": dict(class_aggregation="uniform_average", num_regressors=0,
                            name="r2_score"),
    "metrics.MeanAbsoluteError": dict(name="mean_absolute_error"),
    "metrics.MeanSquaredError": dict(name="mean_squared_error"),
    "metrics.SparseCategoricalAccuracy": dict(name="sparse_categorical_accuracy"),
    "metrics.CategoricalAccuracy": dict(name="categorical_accuracy"),
    # callbacks
    "callbacks.EarlyStopping": dict(monitor="val_loss", min_delta=0, patience=0, verbose=0,
                                    mode="auto", baseline=None, restore_best_weights=False,
                                    start_from_epoch=0),
    "callbacks.ModelCheckpoint": dict(monitor="val_loss", verbose=0, save_best_only=False,
                                      save_weights_only=False, mode="auto"),
    "callbacks.ReduceLROnPlateau": dict(monitor="val_loss", factor=0.1, patience=10, verbose=0,
                                        mode="auto", min_delta=0.0001, cooldown=0, min_lr=0.0),
    "callbacks.CSVLogger": dict(separator=",", append=False),
    "callbacks.LearningRateScheduler": dict(verbose=0),
    # utils, models, saving
    "utils.to_categorical": dict(num_classes=None),
    "utils.normalize": dict(axis=-1, order=2),
    "models.load_model": dict(custom_objects=None, compile=True, safe_mode=True),
    "saving.load_model": dict(custom_objects=None, compile=True, safe_mode=True),
    "models.clone_model": dict(input_tensors=None, clone_function=None),
    # ops
    "ops.sum": dict(axis=None, keepdims=False),
    "ops.mean": dict(axis=None, keepdims=False),
    "ops.max": dict(axis=None, keepdims=False),
    "ops.softmax": dict(axis=-1),
    "ops.argmax": dict(axis=None, keepdims=False),
    "ops.one_hot": dict(axis=-1, dtype=None),
    "ops.expand_dims": dict(),
    "ops.squeeze": dict(axis=None),
    "ops.transpose": dict(axes=None),
    "ops.concatenate": dict(axis=0),
    "ops.stack": dict(axis=0),
    "ops.logsumexp": dict(axis=None, keepdims=False),
    "ops.norm": dict(ord=None, axis=None, keepdims=False),
    "ops.take": dict(axis=None),
    "ops.convert_to_tensor": dict(dtype=None),
    "ops.zeros": dict(dtype=None),
    "ops.arange": dict(stop=None, dtype=None),
    # Model API
    "Model.compile": dict(optimizer="rmsprop", loss=None, loss_weights=None, metrics=None),
    "Model.fit": dict(x=None, y=None, epochs=1, verbose="auto", callbacks=None,
                      validation_split=0.0, validation_data=None, shuffle=True,
                      class_weight=None, sample_weight=None, initial_epoch=0,
                      steps_per_epoch=None, validation_freq=1),
    "Model.evaluate": dict(x=None, y=None, verbose="auto", sample_weight=None, callbacks=None,
                           return_dict=False),
    "Model.predict": dict(verbose="auto", callbacks=None),
    "Model.save_weights": dict(overwrite=True),
    "Model.load_weights": dict(skip_mismatch=False),
    "Model.get_layer": dict(name=None, index=None),
    "Model.compute_loss": dict(x=None, y=None, y_pred=None, sample_weight=None, training=True),
}  # fmt: skip

#: Keras's positional order where code relies on it.
KERAS_ORDER = {
    "Model.compile": ["optimizer", "loss", "loss_weights", "metrics"],
    "layers.Dense": ["units", "activation", "use_bias", "kernel_initializer"],
    "losses.SparseCategoricalCrossentropy": ["from_logits", "ignore_class", "reduction"],
    "losses.CategoricalCrossentropy": ["from_logits", "label_smoothing"],
    "callbacks.EarlyStopping": ["monitor", "min_delta", "patience"],
}


def _resolve(path: str):
    obj = keras
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def _params(obj) -> dict:
    return inspect.signature(obj.__init__ if inspect.isclass(obj) else obj).parameters


@pytest.mark.parametrize("path", sorted(KERAS_DEFAULTS))
def test_defaults_match_keras(path):
    params = _params(_resolve(path))
    for name, default in KERAS_DEFAULTS[path].items():
        assert name in params, f"{path}: missing Keras argument {name!r}"
        assert params[name].default == default, (
            f"{path}({name}=...): ours {params[name].default!r}, Keras {default!r}"
        )


@pytest.mark.parametrize("path", sorted(KERAS_ORDER))
def test_positional_order_matches_keras(path):
    names = [n for n in _params(_resolve(path)) if n != "self"]
    assert names[: len(KERAS_ORDER[path])] == KERAS_ORDER[path]


def test_instances_report_keras_names_and_defaults():
    assert keras.losses.MeanSquaredError().name == "mean_squared_error"
    assert keras.losses.SparseCategoricalCrossentropy().reduction == "sum_over_batch_size"
    assert keras.metrics.RootMeanSquaredError().name == "root_mean_squared_error"
    assert keras.layers.LeakyReLU().negative_slope == 0.3
    assert keras.layers.BatchNormalization().momentum == 0.99
    assert keras.layers.Dense(3).name.startswith("dense")
    assert keras.layers.BatchNormalization().name.startswith("batch_normalization")
    assert keras.callbacks.ReduceLROnPlateau().patience == 10


def test_keras_module_layout():
    """`from chainrule import layers, losses, ...` gives what `from keras import ...` gives."""
    for mod in ("layers", "losses", "metrics", "callbacks", "models", "utils", "ops",
                "datasets", "activations", "initializers", "regularizers", "constraints",
                "saving"):  # fmt: skip
        assert hasattr(keras, mod), mod
    for name in ("Sequential", "Model", "Input", "Layer"):
        assert hasattr(keras, name)
    for name in ("Sequential", "Model", "load_model", "save_model", "clone_model"):
        assert hasattr(keras.models, name)
    assert callable(keras.datasets.mnist.load_data)
    assert callable(keras.datasets.fashion_mnist.load_data)
