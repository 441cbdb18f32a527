"""``KerasClassifier`` and ``KerasRegressor``: scikit-learn's estimator API over a chainrule model.

``model`` is a function that returns a model (compiled or not), or a model; None builds a small MLP
(``hidden_layer_sizes``). A builder is called with the keyword arguments it names among the
estimator's extra keyword parameters (``KerasClassifier(build, units=64)`` calls
``build(units=64)``) and among ``n_features_in_``, ``n_outputs_``, ``n_classes_`` (the sizes seen by
``fit``), so ``GridSearchCV`` can tune ``units``. A model given as an object is deep-copied at each
``fit`` (the estimator's parameter is never trained). An uncompiled model is compiled with
``optimizer`` (and ``learning_rate`` when given) and the task's loss.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from ..random import get_state, manual_seed, set_state

_SIZES = ("n_features_in_", "n_outputs_", "n_classes_")


class _KerasEstimator(BaseEstimator):
    _loss = "mse"

    def __init__(self, model=None, *, optimizer="adam", learning_rate: float | None = None,
                 loss=None, epochs: int = 10, batch_size: int | None = 32, verbose: int = 0,
                 callbacks=None, validation_split: float = 0.0, shuffle: bool = True,
                 hidden_layer_sizes: tuple = (32,), random_state: int | None = None,
                 **model_kwargs):  # fmt: skip
        self.model = model
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.verbose = verbose
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.hidden_layer_sizes = hidden_layer_sizes
        self.random_state = random_state
        self._model_kwargs = list(model_kwargs)
        for key, value in model_kwargs.items():
            setattr(self, key, value)

    # -- parameters: the signature's plus the builder's extra keywords -------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        params = super().get_params(deep=deep)
        params.update({k: getattr(self, k) for k in self.__dict__.get("_model_kwargs", [])})
        return params

    def set_params(self, **params):
        extra = self.__dict__.setdefault("_model_kwargs", [])
        known = set(super().get_params(deep=False))
        for key, value in list(params.items()):
            if key not in known and "__" not in key:
                if key not in extra:
                    extra.append(key)
                setattr(self, key, value)
                params.pop(key)
        return super().set_params(**params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    # -- building ------------------------------------------------------------------------------
    def _default_model(self, n_in: int, n_out: int):
        from ..layers import Dense, Input
        from ..models import Sequential

        hidden = [Dense(int(u), activation="relu") for u in self.hidden_layer_sizes]
        return Sequential([Input((n_in,)), *hidden, self._output_layer(n_out)])

    def _build(self, sizes: dict[str, int]):
        from ..nn.module import Module

        name = type(self).__name__
        if self.model is None:
            model = self._default_model(sizes["n_features_in_"], sizes["n_outputs_"])
        elif isinstance(self.model, Module):
            model = copy.deepcopy(self.model)
        elif callable(self.model):
            accepted = inspect.signature(self.model).parameters
            takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
            kwargs = {k: getattr(self, k) for k in self._model_kwargs}
            unknown = [k for k in kwargs if k not in accepted and not takes_any]
            if unknown:
                raise ValueError(f"{name}: model builder takes no parameter {unknown}")
            kwargs.update({k: v for k, v in sizes.items() if k in accepted})
            model = self.model(**kwargs)
            if not isinstance(model, Module):
                raise TypeError(f"{name}: model() must return a chainrule model, got {model!r}")
        else:
            raise TypeError(f"{name}: model must be a model, a function building one or None, "
                            f"got {type(self.model).__name__}")  # fmt: skip
        if not getattr(model, "compiled", False):
            from ..optimizers import get as get_optimizer

            opt = get_optimizer(self.optimizer) if isinstance(self.optimizer, str) else (
                copy.deepcopy(self.optimizer))  # fmt: skip
            if self.learning_rate is not None:
                opt.learning_rate = self.learning_rate
            model.compile(optimizer=opt, loss=self.loss or self._loss)
        return model

    def _fit(self, X, y, sample_weight):
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float32)
            if not np.any(sample_weight):
                raise ValueError(f"{type(self).__name__}: sample weights are all zero")
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: epochs must be an int, got {self.epochs!r}")
        saved = get_state() if self.random_state is not None else None
        try:
            if self.random_state is not None:
                manual_seed(int(self.random_state))
            self.model_ = self._build(self._sizes)
            self.history_ = self.model_.fit(
                X, y, batch_size=self.batch_size, epochs=int(self.epochs), verbose=self.verbose,
                callbacks=self.callbacks, validation_split=self.validation_split,
                shuffle=self.shuffle, sample_weight=sample_weight,
            )  # fmt: skip
        finally:
            if saved is not None:
                set_state(saved)  # the user's global generator is left as it was
        return self

    def _outputs(self, X) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return np.asarray(self.model_.predict(X, batch_size=self.batch_size, verbose=0))


#: The scikit-learn checks these estimators fail by design, with the reason (for
#: ``check_estimator(est, expected_failed_checks=EXPECTED_FAILED_CHECKS)``, scikit-learn >= 1.6).
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch gradient descent on a weighted loss is not the same computation as on "
        "repeated samples: the batches (and so the steps) differ"
    ),
    "check_methods_subset_invariance": (
        "float32 matrix products round differently for different batch sizes (BLAS blocking): "
        "predictions on a subset can differ in the last bits"
    ),
}


class KerasClassifier(ClassifierMixin, _KerasEstimator):
    """A classifier over a chainrule model whose output is class probabilities: softmax over
    ``n_classes_`` units, or one sigmoid unit for two classes.

    ``fit(X, y)``: X (n, features), y (n,) labels of any type (``classes_`` keeps them); the model
    learns indices into ``classes_`` (loss ``sparse_categorical_crossentropy``, or
    ``binary_crossentropy`` for one output unit). ``predict_proba(X)`` → (n, n_classes_).
    """

    _loss = "sparse_categorical_crossentropy"

    def _output_layer(self, n_out):
        from ..layers import Dense

        return Dense(n_out, activation="softmax")

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(
                f"KerasClassifier: y must be 1-D class labels, got {type_of_target(y)}"
            )
        self.classes_, encoded = np.unique(y, return_inverse=True)
        self.n_classes_ = len(self.classes_)
        if self.n_classes_ < 2:
            raise ValueError(f"KerasClassifier needs samples of at least 2 classes, got 1 class: "
                             f"{self.classes_[0]!r}")  # fmt: skip
        self._sizes = {"n_features_in_": X.shape[1], "n_outputs_": self.n_classes_,
                       "n_classes_": self.n_classes_}  # fmt: skip
        self._fit(X, encoded.astype(np.int64), sample_weight)
        units = int(np.prod(self.model_.predict(X[:1], verbose=0).shape[1:]))
        if units not in (1, self.n_classes_):
            raise ValueError(f"KerasClassifier: the model has {units} outputs for "
                             f"{self.n_classes_} classes")  # fmt: skip
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n, n_classes_) class probabilities."""
        p = self._outputs(X)
        p = p.reshape(p.shape[0], -1)
        if p.shape[1] == 1:
            p = np.concatenate([1 - p, p], axis=1)
        return p

    def predict(self, X) -> np.ndarray:
        """(n,) labels from ``classes_``."""
        index = self.predict_proba(X).argmax(axis=1)
        return self.classes_[index]


class KerasRegressor(RegressorMixin, _KerasEstimator):
    """A regressor over a chainrule model with ``n_outputs_`` linear outputs (loss ``mse``).

    ``fit(X, y)``: y (n,) or (n, outputs); ``predict`` returns the same layout; ``score`` is R².
    """

    def _output_layer(self, n_out):
        from ..layers import Dense

        return Dense(n_out)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, dtype=np.float32, y_numeric=True, multi_output=True)
        y = np.asarray(y, dtype=np.float32)
        self._y_ndim = y.ndim
        y2 = y.reshape(len(y), -1)
        self.n_outputs_ = y2.shape[1]
        self._sizes = {"n_features_in_": X.shape[1], "n_outputs_": self.n_outputs_}
        return self._fit(X, y2, sample_weight)

    def predict(self, X) -> np.ndarray:
        """(n,) or (n, outputs) predictions, as y was given."""
        out = self._outputs(X)
        out = out.reshape(len(out), -1)
        out = out.astype(np.float64)  # scikit-learn regressors predict float64
        return out[:, 0] if self._y_ndim == 1 else out
