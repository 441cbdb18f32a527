"""chainrule.sklearn: scikit-learn's own estimator checks, model selection and pipelines."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone
from sklearn.datasets import load_iris, make_regression
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator

import chainrule as cr
from chainrule import layers
from chainrule.sklearn import EXPECTED_FAILED_CHECKS, KerasClassifier, KerasRegressor


def build_clf(units=16, n_features_in_=None, n_classes_=None):
    model = cr.models.Sequential(
        [layers.Input((n_features_in_,)), layers.Dense(units, activation="relu"),
         layers.Dense(n_classes_, activation="softmax")]
    )  # fmt: skip
    model.compile(optimizer=cr.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize(
    "est",
    [
        KerasClassifier(random_state=0),
        KerasRegressor(learning_rate=0.01, epochs=20, random_state=0),
    ],
    ids=["classifier", "regressor"],
)
def test_check_estimator(est):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(est, on_fail=None, expected_failed_checks=EXPECTED_FAILED_CHECKS)
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert not failed
    assert sum(r["status"] == "passed" for r in results) >= 50


def _iris():
    x, y = load_iris(return_X_y=True)
    return x.astype(np.float32), y


def test_pipeline_and_cross_val_score_on_iris():
    x, y = _iris()
    pipe = make_pipeline(StandardScaler(), KerasClassifier(build_clf, epochs=30, random_state=0))
    scores = cross_val_score(pipe, x, y, cv=3)
    assert scores.shape == (3,)
    assert scores.mean() > 0.85
    again = cross_val_score(pipe, x, y, cv=3)
    np.testing.assert_array_equal(scores, again)  # seeded: the same numbers


def test_grid_search_tunes_builder_parameter():
    x, y = _iris()
    pipe = make_pipeline(StandardScaler(), KerasClassifier(build_clf, units=4, epochs=15,
                                                           random_state=0))  # fmt: skip
    grid = GridSearchCV(
        pipe, {"kerasclassifier__units": [2, 16], "kerasclassifier__epochs": [5, 20]}, cv=3
    )
    grid.fit(x, y)
    assert grid.best_params_ == {"kerasclassifier__units": 16, "kerasclassifier__epochs": 20}
    clf = grid.best_estimator_[-1]
    assert clf.model_.layers[0].units == 16
    assert grid.predict(x).shape == (150,)
    assert set(grid.predict(x)) <= {0, 1, 2}


def test_params_clone_and_labels():
    clf = KerasClassifier(build_clf, units=8, epochs=3, random_state=1)
    assert clf.get_params()["units"] == 8
    clf.set_params(units=5, epochs=4)
    assert (clf.units, clf.epochs) == (5, 4)
    twin = clone(clf)
    assert twin.get_params() == clf.get_params() and twin is not clf
    x, y = _iris()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    clf.fit(x, labels)
    assert clf.model_.layers[0].units == 5
    assert set(clf.predict(x)) <= set(labels)
    proba = clf.predict_proba(x)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    twin.fit(x, labels)  # same seed, same data: the same model
    np.testing.assert_array_equal(twin.predict_proba(x), proba)


def test_seed_leaves_global_generator_alone():
    cr.manual_seed(123)
    expected = cr.random.get_generator().random()
    cr.manual_seed(123)
    KerasRegressor(epochs=1, random_state=5).fit(np.ones((8, 2)), np.arange(8.0))
    assert cr.random.get_generator().random() == expected


def test_model_object_is_copied_not_trained():
    x, y = make_regression(64, 3, noise=0.1, random_state=0)
    y = y / 50
    cr.manual_seed(0)
    model = cr.models.Sequential([layers.Input((3,)), layers.Dense(1)])
    before = model.layers[0].kernel.numpy().copy()
    reg = KerasRegressor(model, learning_rate=0.1, epochs=50, random_state=0).fit(x, y)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), before)
    assert reg.score(x, y) > 0.9
    assert reg.predict(x).shape == (64,) and reg.predict(x).dtype == np.float64


def test_multi_output_regression():
    x, y = make_regression(64, 3, n_targets=2, random_state=0)
    reg = KerasRegressor(learning_rate=0.05, epochs=40, random_state=0).fit(x, y / 100)
    assert reg.predict(x).shape == (64, 2)


def test_bad_arguments():
    x, y = _iris()
    with pytest.raises(ValueError, match="takes no parameter"):
        KerasClassifier(build_clf, depth=3).fit(x, y)
    with pytest.raises(ValueError, match="2 classes"):
        KerasClassifier().fit(x, np.zeros(150))
    with pytest.raises(TypeError, match="model must be"):
        KerasClassifier(model=3).fit(x, y)
