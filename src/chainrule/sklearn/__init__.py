"""scikit-learn estimators wrapping chainrule models (needs scikit-learn: the ``datasets`` extra).

``KerasClassifier`` / ``KerasRegressor`` fit, predict and score like any scikit-learn estimator, so
they work in ``cross_val_score``, ``GridSearchCV`` and ``Pipeline``; see docs/interop.md.
"""

from .wrappers import EXPECTED_FAILED_CHECKS, KerasClassifier, KerasRegressor

__all__ = ["EXPECTED_FAILED_CHECKS", "KerasClassifier", "KerasRegressor"]
