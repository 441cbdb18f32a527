"""The perceptron, k-fold cross-validation and plot_history."""

import sys

import numpy as np
import pytest
from examples_util import load_example
from training_helpers import small_mlp

import chainrule
from chainrule import Perceptron
from chainrule.losses import SparseCategoricalCrossentropy
from chainrule.model_selection import cross_validate, kfold_indices
from chainrule.plotting import plot_history


def test_perceptron_converges_on_separable_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (200, 2))
    margin = x @ np.array([1.0, -2.0]) + 0.3
    keep = np.abs(margin) > 0.1
    x, labels = x[keep], np.where(margin[keep] > 0, "yes", "no")
    p = Perceptron().fit(x, labels)
    assert p.converged_ and p.errors_[-1] == 0 and p.n_epochs_ == len(p.errors_) < 1000
    assert p.score(x, labels) == 1.0 and set(p.predict(x)) == {"yes", "no"}
    # the rule itself: after fitting, every sample is on its side of the hyperplane
    sign = np.where(labels == p.classes_[1], 1, -1)
    assert np.all(sign * p.decision_function(x) > 0)


def test_perceptron_reports_non_convergence_on_xor():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    p = Perceptron(max_epochs=50).fit(x, [0, 1, 1, 0])
    assert not p.converged_ and p.n_epochs_ == 50 and min(p.errors_) > 0
    assert p.score(x, [0, 1, 1, 0]) < 1.0
    assert "converged=False" in repr(p)


def test_perceptron_bad_input():
    with pytest.raises(ValueError, match="exactly 2 classes"):
        Perceptron().fit(np.zeros((3, 2)), [0, 1, 2])
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        Perceptron().fit(np.zeros((3, 2)), [0, 1])
    with pytest.raises(ValueError, match="NaN"):
        Perceptron().fit(np.array([[np.nan, 1.0], [0.0, 1.0]]), [0, 1])
    p = Perceptron().fit(np.array([[0.0, 1.0], [1.0, 0.0]]), [0, 1])
    with pytest.raises(ValueError, match="fitted on 2"):
        p.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="call fit"):
        Perceptron().predict(np.zeros((1, 2)))


def test_perceptron_iris_example(tmp_path):
    out = tmp_path / "iris.png"
    model = load_example("perceptron_iris").main(["--out", str(out)])
    assert model.converged_ and model.score(*chainrule.datasets.load_iris_petals()) == 1.0
    assert len(model.coef_history_) == model.n_epochs_
    assert np.array_equal(model.coef_history_[-1][0], model.coef_)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("stratified", [True, False])
def test_kfold_covers_every_sample_once(stratified):
    y = np.repeat([0, 1, 2], [30, 20, 10])
    folds = kfold_indices(60, 5, y if stratified else None, seed=3)
    tests = [t for _, t in folds]
    assert len(folds) == 5 and sorted(np.concatenate(tests).tolist()) == list(range(60))
    assert len({tuple(t) for t in tests}) == 5
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0 and len(train) + len(test) == 60
        if stratified:
            assert np.bincount(y[test], minlength=3).tolist() == [6, 4, 2]
    again = kfold_indices(60, 5, y if stratified else None, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    with pytest.raises(ValueError, match="k must be"):
        kfold_indices(10, 1)


def test_cross_validate_fresh_model_per_fold(blobs):
    x, y = blobs
    built = []

    def build():
        model = small_mlp()
        model.compile("adam", SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        built.append(model)
        return model

    result = cross_validate(build, x, y, k=3, fit_kwargs={"epochs": 2, "batch_size": 32}, seed=1)
    assert len(built) == 3 and len({id(m) for m in built}) == 3
    assert len(result["folds"]) == 3 and set(result["mean"]) == {"loss", "accuracy"}
    accs = [f["accuracy"] for f in result["folds"]]
    assert result["mean"]["accuracy"] == pytest.approx(np.mean(accs))
    assert result["std"]["accuracy"] == pytest.approx(np.std(accs))
    assert sorted(np.concatenate(result["indices"]).tolist()) == list(range(300))
    again = cross_validate(build, x, y, k=3, fit_kwargs={"epochs": 2, "batch_size": 32}, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(result["indices"], again["indices"]))
    with pytest.raises(ValueError, match="compiled"):
        cross_validate(small_mlp, x, y, k=2)


def test_plot_history(blobs, tmp_path, monkeypatch):
    x, y = blobs
    model = small_mlp()
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    hist = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    path = plot_history(hist, tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="not in the history"):
        plot_history(hist, tmp_path / "x.png", metrics=["auc"])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[plot\]"):
        plot_history(hist, tmp_path / "y.png")
    assert isinstance(hist, chainrule.callbacks.History)
