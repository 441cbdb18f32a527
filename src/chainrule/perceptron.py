"""The classic perceptron (Rosenblatt, 1958), trained by its own rule rather than by gradients.

For each sample in turn, with labels y in {-1, +1} and prediction sign(w·x + b): when the sample is
misclassified (y (w·x + b) <= 0), ``w += lr · y · x`` and ``b += lr · y``. On linearly separable
data the rule converges in a finite number of updates (Novikoff's theorem); otherwise it cycles, so
training stops after ``max_epochs`` and reports that it did not converge.
"""

from __future__ import annotations

import numpy as np

from .random import get_generator


class Perceptron:
    """A binary linear classifier: ``predict(x) = classes[1] if x @ w + b > 0 else classes[0]``.

    ``fit(x, y)``: x (N, D) numbers, y (N,) with exactly two distinct values (any labels).
    After fitting: ``coef_`` (D,), ``intercept_`` (float), ``classes_`` (2,), ``converged_``,
    ``n_epochs_`` (epochs run; for a converged fit, the last one is the error-free pass),
    ``errors_`` (mistakes per epoch), ``coef_history_`` (``(coef, intercept)`` after each epoch).
    """

    def __init__(self, lr: float = 1.0, max_epochs: int = 1000, shuffle: bool = True):
        if not (isinstance(lr, (int, float)) and lr > 0):
            raise ValueError(f"Perceptron: lr must be a positive number, got {lr!r}")
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"Perceptron: max_epochs must be a positive int, got {max_epochs!r}")
        self.lr = float(lr)
        self.max_epochs = max_epochs
        self.shuffle = shuffle

    def _check_x(self, x, what: str) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise ValueError(f"Perceptron.{what}: x must be numeric, got dtype {x.dtype}")
        if x.ndim != 2:
            raise ValueError(f"Perceptron.{what}: x must be (N, features), got shape {x.shape}")
        x = x.astype(np.float64)
        if not np.isfinite(x).all():
            raise ValueError(f"Perceptron.{what}: x contains NaN or inf")
        if hasattr(self, "coef_") and x.shape[1] != self.coef_.shape[0]:
            raise ValueError(
                f"Perceptron.{what}: x has {x.shape[1]} features, the perceptron was fitted on "
                f"{self.coef_.shape[0]}"
            )
        return x

    def fit(self, x, y) -> Perceptron:
        """Train by the perceptron rule until an epoch makes no mistake or ``max_epochs`` pass."""
        x = np.asarray(x)
        y = np.asarray(y).reshape(-1)
        if len(x) != len(y):
            raise ValueError(f"Perceptron.fit: x has {len(x)} samples but y has {len(y)}")
        for attr in ("coef_", "intercept_"):
            self.__dict__.pop(attr, None)
        x = self._check_x(x, "fit")
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(
                f"Perceptron.fit: y must hold exactly 2 classes, got {classes.tolist()}"
            )
        sign = np.where(y == classes[1], 1.0, -1.0)
        w = np.zeros(x.shape[1])
        b = 0.0
        gen = get_generator()
        errors = []
        history = []
        converged = False
        for _ in range(self.max_epochs):
            order = gen.permutation(len(x)) if self.shuffle else range(len(x))
            mistakes = 0
            for i in order:
                if sign[i] * (x[i] @ w + b) <= 0.0:
                    w += self.lr * sign[i] * x[i]
                    b += self.lr * sign[i]
                    mistakes += 1
            errors.append(mistakes)
            history.append((w.copy(), float(b)))
            if mistakes == 0:
                converged = True
                break
        self.coef_, self.intercept_, self.classes_ = w, float(b), classes
        self.errors_, self.n_epochs_, self.converged_ = errors, len(errors), converged
        self.coef_history_ = history
        return self

    def decision_function(self, x) -> np.ndarray:
        """Signed scores ``x @ coef_ + intercept_``, shape (N,)."""
        if not hasattr(self, "coef_"):
            raise ValueError("Perceptron: call fit before predict/score")
        return self._check_x(x, "predict") @ self.coef_ + self.intercept_

    def predict(self, x) -> np.ndarray:
        """Class labels (N,), from ``classes_``."""
        return np.where(self.decision_function(x) > 0.0, self.classes_[1], self.classes_[0])

    def score(self, x, y) -> float:
        """Accuracy on (x, y)."""
        y = np.asarray(y).reshape(-1)
        pred = self.predict(x)
        if len(pred) != len(y):
            raise ValueError(f"Perceptron.score: x has {len(pred)} samples but y has {len(y)}")
        return float(np.mean(pred == y))

    def __repr__(self) -> str:
        state = ""
        if hasattr(self, "converged_"):
            state = f", converged={self.converged_} in {self.n_epochs_} epochs"
        return f"Perceptron(lr={self.lr}, max_epochs={self.max_epochs}{state})"
