"""Metrics against scikit-learn, streamed over uneven batches."""

import itertools

import numpy as np
import pytest
from sklearn import metrics as skm

from chainrule import metrics


def _stream(metric, y_true, y_pred, splits=(0, 7, 30, 31, 64, 100)):
    metric.reset_state()
    for a, b in itertools.pairwise(splits):
        metric.update_state(y_true[a:b], y_pred[a:b])
    return metric.result()


@pytest.fixture
def binary():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 100)
    p = np.clip(y * 0.3 + rng.random(100) * 0.7, 0, 1).astype(np.float32)
    p[::9] = 0.5  # ties
    return y, p


@pytest.fixture
def multiclass():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 100)
    scores = rng.standard_normal((100, 4)).astype(np.float32)
    scores[np.arange(100), y] += 0.8
    return y, scores


def test_binary_metrics_match_sklearn(binary):
    y, p = binary
    pred = (p > 0.5).astype(int)
    assert _stream(metrics.BinaryAccuracy(), y, p) == pytest.approx(skm.accuracy_score(y, pred))
    assert _stream(metrics.Precision(), y, p) == pytest.approx(skm.precision_score(y, pred))
    assert _stream(metrics.Recall(), y, p) == pytest.approx(skm.recall_score(y, pred))
    assert _stream(metrics.F1Score(), y, p) == pytest.approx(skm.f1_score(y, pred))
    assert _stream(metrics.AUC(), y, p) == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    # column-vector predictions behave the same
    assert _stream(metrics.AUC(), y[:, None], p[:, None]) == pytest.approx(skm.roc_auc_score(y, p))


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_multiclass_prf_match_sklearn(multiclass, average):
    y, s = multiclass
    pred = s.argmax(1)
    for cls, fn in [
        (metrics.Precision, skm.precision_score),
        (metrics.Recall, skm.recall_score),
        (metrics.F1Score, skm.f1_score),
    ]:
        got = _stream(cls(average=average), y, s)
        assert got == pytest.approx(fn(y, pred, average=average)), cls.__name__
    onehot = np.eye(4)[y]
    assert _stream(metrics.Recall(average=average), onehot, s) == pytest.approx(
        skm.recall_score(y, pred, average=average)
    )


def test_accuracies_and_top_k(multiclass):
    y, s = multiclass
    onehot = np.eye(4)[y]
    expected = skm.accuracy_score(y, s.argmax(1))
    assert _stream(metrics.SparseCategoricalAccuracy(), y, s) == pytest.approx(expected)
    assert _stream(metrics.CategoricalAccuracy(), onehot, s) == pytest.approx(expected)
    for k in (1, 2, 3):
        want = skm.top_k_accuracy_score(y, s, k=k, labels=range(4))
        assert _stream(metrics.SparseTopKCategoricalAccuracy(k=k), y, s) == pytest.approx(want)
        assert _stream(metrics.TopKCategoricalAccuracy(k=k), onehot, s) == pytest.approx(want)
    with pytest.raises(ValueError, match="positive int"):
        metrics.TopKCategoricalAccuracy(k=0)


def test_accuracy_string_picks_kind_from_loss(multiclass, binary):
    y, s = multiclass
    assert metrics.get("accuracy", "sparse_categorical_crossentropy").kind == "sparse"
    assert metrics.get("accuracy", "categorical_crossentropy").kind == "categorical"
    assert metrics.get("accuracy", "binary_crossentropy").kind == "binary"

    class Logits:
        name = "binary_crossentropy"
        from_logits = True

    acc = metrics.get("acc", Logits())
    assert acc.threshold == 0.0 and acc.name == "acc"
    auto = metrics.get("accuracy", "mse")
    assert _stream(auto, np.eye(4)[y], s) == pytest.approx(skm.accuracy_score(y, s.argmax(1)))
    assert auto.kind == "categorical"
    yb, pb = binary
    auto = metrics.get("accuracy")
    assert _stream(auto, yb, pb) == pytest.approx(skm.accuracy_score(yb, pb > 0.5))
    assert auto.kind == "binary"


def test_regression_metrics_and_weights():
    rng = np.random.default_rng(3)
    y = rng.standard_normal((100, 3))
    p = y + rng.standard_normal((100, 3))
    assert _stream(metrics.get("mse"), y, p) == pytest.approx(skm.mean_squared_error(y, p))
    assert _stream(metrics.get("mae"), y, p) == pytest.approx(skm.mean_absolute_error(y, p))
    w = rng.random(100)
    m = metrics.MeanSquaredError()
    m.update_state(y, p, sample_weight=w)
    want = np.average(((p - y) ** 2).mean(1), weights=w)
    assert m.result() == pytest.approx(want)


def test_confusion_matrix_matches_sklearn(multiclass):
    y, s = multiclass
    pred = s.argmax(1)
    np.testing.assert_array_equal(metrics.confusion_matrix(y, pred), skm.confusion_matrix(y, pred))
    np.testing.assert_array_equal(
        metrics.confusion_matrix([0, 1], [1, 1], num_classes=3),
        [[0, 1, 0], [0, 1, 0], [0, 0, 0]],
    )
    with pytest.raises(ValueError, match="label 5, outside"):
        metrics.confusion_matrix([0, 5], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        metrics.confusion_matrix([0, 1, 2], [0, 1])


def test_get_rejects_unknown_and_wraps_functions():
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'"):
        metrics.get("acuracy")
    with pytest.raises(TypeError):
        metrics.get(3)
    m = metrics.get(lambda t, p: np.abs(t - p))
    assert m(np.array([1.0, 2.0]), np.array([1.0, 4.0])) == pytest.approx(1.0)
    empty = metrics.Precision()
    assert empty.result() == 0.0 and metrics.AUC().result() == 0.0
