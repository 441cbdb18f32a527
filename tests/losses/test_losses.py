"""Every loss, each reduction, with and without sample weights, against torch.nn.functional."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch_check import check_vs_torch

import chainrule as cr
from chainrule import losses

N, C = 6, 4
RNG = np.random.default_rng(11)
LOGITS = RNG.standard_normal((N, C)) * 2
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
SOFT = RNG.random((N, C)) + 0.1
SOFT /= SOFT.sum(-1, keepdims=True)
LABELS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C)[LABELS]
BIN = (RNG.random((N, C)) > 0.5).astype(np.float64)
REG_T = RNG.standard_normal((N, C))
REG_P = REG_T + RNG.standard_normal((N, C)) * 1.5
WEIGHTS = RNG.random(N) + 0.5


def _t(a):
    return torch.tensor(a)


# name → (chainrule Loss, y_true, y_pred, torch per-sample loss(y_pred_tensor))
CASES = {
    "mse": (losses.MeanSquaredError, REG_T, REG_P,
            lambda p: TF.mse_loss(p, _t(REG_T), reduction="none").mean(-1)),
    "mae": (losses.MeanAbsoluteError, REG_T, REG_P,
            lambda p: TF.l1_loss(p, _t(REG_T), reduction="none").mean(-1)),
    "huber": (lambda **k: losses.Huber(delta=0.7, **k), REG_T, REG_P,
              lambda p: TF.huber_loss(p, _t(REG_T), reduction="none", delta=0.7).mean(-1)),
    "bce_probs": (losses.BinaryCrossentropy, BIN, PROBS,
                  lambda p: TF.binary_cross_entropy(p, _t(BIN), reduction="none").mean(-1)),
    "bce_logits": (lambda **k: losses.BinaryCrossentropy(from_logits=True, **k), BIN, LOGITS,
                   lambda z: TF.binary_cross_entropy_with_logits(z, _t(BIN), reduction="none").mean(-1)),
    "bce_soft_logits": (lambda **k: losses.BinaryCrossentropy(from_logits=True, **k), PROBS, LOGITS,
                        lambda z: TF.binary_cross_entropy_with_logits(z, _t(PROBS), reduction="none").mean(-1)),
    "cce_probs": (losses.CategoricalCrossentropy, SOFT, PROBS,
                  lambda p: -(_t(SOFT) * torch.log(p / p.sum(-1, keepdim=True))).sum(-1)),
    "cce_logits_onehot": (lambda **k: losses.CategoricalCrossentropy(from_logits=True, **k), ONE_HOT,
                          LOGITS, lambda z: TF.cross_entropy(z, _t(ONE_HOT), reduction="none")),
    "cce_logits_soft": (lambda **k: losses.CategoricalCrossentropy(from_logits=True, **k), SOFT,
                        LOGITS, lambda z: TF.cross_entropy(z, _t(SOFT), reduction="none")),
    "scce_probs": (losses.SparseCategoricalCrossentropy, LABELS, PROBS,
                   lambda p: TF.nll_loss(torch.log(p / p.sum(-1, keepdim=True)), _t(LABELS), reduction="none")),
    "scce_logits": (lambda **k: losses.SparseCategoricalCrossentropy(from_logits=True, **k), LABELS,
                    LOGITS, lambda z: TF.cross_entropy(z, _t(LABELS), reduction="none")),
    "kl_divergence": (losses.KLDivergence, SOFT, PROBS,
                      lambda p: TF.kl_div(torch.log(p), _t(SOFT), reduction="none").sum(-1)),
    "hinge": (losses.Hinge, 2 * BIN - 1, REG_P,
              lambda p: torch.clamp(1 - _t(2 * BIN - 1) * p, min=0).mean(-1)),
}  # fmt: skip


def _torch_reduce(values, weights, reduction):
    if weights is not None:
        values = values * _t(weights)
    return {"none": values, "sum": values.sum(), "mean": values.mean()}[reduction]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_matches_torch(name, reduction, weighted):
    make, y_true, y_pred, th_loss = CASES[name]
    loss = make(reduction=reduction)
    w = WEIGHTS if weighted else None
    out = check_vs_torch(
        lambda p: loss(y_true, p, sample_weight=w),
        lambda p: _torch_reduce(th_loss(p), w, reduction),
        [y_pred.copy()],
        rtol=1e-9,
        atol=1e-12,
    )
    assert out.shape == (() if reduction != "none" else (N,))


@pytest.mark.parametrize("name", sorted(CASES))
def test_float32_predictions_give_float32_loss_with_float64_targets(name):
    make, y_true, y_pred, _ = CASES[name]
    p = cr.Tensor(y_pred.astype(np.float32), requires_grad=True)
    out = make()(y_true, p)  # y_true stays a float64 / int64 NumPy array
    out.backward()
    assert out.dtype == np.float32 and out.shape == ()
    assert p.grad.dtype == np.float32


def test_fused_losses_pass_gradcheck_in_float64():
    from chainrule.ops import (
        binary_cross_entropy_with_logits,
        softmax_cross_entropy,
        sparse_softmax_cross_entropy,
    )

    assert cr.gradcheck(lambda z: sparse_softmax_cross_entropy(z, LABELS), [LOGITS])
    assert cr.gradcheck(softmax_cross_entropy, [LOGITS, SOFT])  # gradient to the targets too
    assert cr.gradcheck(binary_cross_entropy_with_logits, [LOGITS, PROBS])
    z3 = RNG.standard_normal((2, 3, 5))  # class axis in the middle, as in PyTorch's layout
    labels = RNG.integers(0, 3, (2, 5))
    assert cr.gradcheck(lambda z: sparse_softmax_cross_entropy(z, labels, axis=1), [z3])
    ref = TF.cross_entropy(_t(z3), _t(labels), reduction="none").numpy()
    np.testing.assert_allclose(sparse_softmax_cross_entropy(z3, labels, axis=1).numpy(), ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_from_logits_losses_are_stable_at_1e4(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=dtype)
    labels = np.array([1, 1])
    for loss, target in [
        (losses.SparseCategoricalCrossentropy(from_logits=True), labels),
        (losses.CategoricalCrossentropy(from_logits=True), np.eye(3)[labels]),
    ]:
        x = cr.Tensor(z.copy(), requires_grad=True)
        out = loss(target, x)
        out.backward()
        # sample 0: loss 2e4, grad (softmax − onehot)/N = ([1, 0, 0] − [0, 1, 0])/2; sample 1: 0
        np.testing.assert_allclose(out.item(), 1e4, rtol=1e-6)
        np.testing.assert_allclose(x.grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)
    x = cr.Tensor(z.copy(), requires_grad=True)
    y = np.array([[0.0, 1.0, 1.0], [1.0, 1.0, 0.0]])
    out = losses.BinaryCrossentropy(from_logits=True, reduction="sum")(y, x)
    out.backward()
    # −log σ(−1e4)=1e4 and −log σ(1e4)... : per element max(z,0) − z·t + log1p(e^−|z|)
    expected = 1e4 + 1e4 + np.log(2) + 1e4 + 0 + (5 + np.log1p(np.exp(-5)))
    np.testing.assert_allclose(out.item(), expected / 3, rtol=1e-6)
    sig = torch.sigmoid(torch.tensor(z, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(x.grad, (sig - y) / 3, atol=1e-6)
    assert np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("bad", [3, -1, 7])
def test_sparse_labels_out_of_range_name_the_value(bad):
    labels = np.array([0, 1, bad])
    z = cr.Tensor(np.zeros((3, 3), dtype=np.float32), requires_grad=True)
    for from_logits in (True, False):
        loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
        with pytest.raises(ValueError, match=rf"label {bad} is out of range for 3 classes"):
            loss(labels, z)
    with pytest.raises(ValueError, match=r"y_true must lie in \[0, 1\], got 2.0"):
        losses.BinaryCrossentropy(from_logits=True)(np.array([[0.0], [2.0], [1.0]]), z[:, :1])
    with pytest.raises(ValueError, match="integer class indices, got 1.5"):
        losses.SparseCategoricalCrossentropy()(np.array([0.0, 1.5, 2.0]), z)


def test_bad_shapes_and_arguments_are_named():
    p = cr.Tensor(np.zeros((4, 3), dtype=np.float32))
    with pytest.raises(ValueError, match=r"mean_squared_error: y_true has shape \(4, 2\)"):
        losses.MeanSquaredError()(np.zeros((4, 2)), p)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\)"):
        losses.MeanSquaredError()(np.zeros((4, 3)), p, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"labels of shape \(4,\), got \(3,\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros(3, dtype=int), p)
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match="delta must be positive"):
        losses.Huber(delta=0)


def test_column_targets_for_binary_predictions():
    """y_true (N,) with y_pred (N, 1) — the usual binary-classifier layout — is accepted."""
    p = cr.Tensor(np.array([[0.2], [0.9]], dtype=np.float32))
    a = losses.BinaryCrossentropy()(np.array([0, 1]), p).item()
    b = losses.BinaryCrossentropy()(np.array([[0], [1]]), p).item()
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a, -(np.log(0.8) + np.log(0.9)) / 2, rtol=1e-6)


KERAS_NAMES = {
    "mse": ("regression", losses.MeanSquaredError),
    "mean_squared_error": ("regression", losses.MeanSquaredError),
    "mae": ("regression", losses.MeanAbsoluteError),
    "huber": ("regression", losses.Huber),
    "binary_crossentropy": ("binary", losses.BinaryCrossentropy),
    "categorical_crossentropy": ("categorical", losses.CategoricalCrossentropy),
    "sparse_categorical_crossentropy": ("sparse_categorical", losses.SparseCategoricalCrossentropy),
    "kl_divergence": ("categorical", losses.KLDivergence),
    "hinge": ("binary", losses.Hinge),
}


@pytest.mark.parametrize("name", sorted(KERAS_NAMES))
def test_registry_and_config_round_trip(name):
    kind, cls = KERAS_NAMES[name]
    loss = losses.get(name)
    assert type(loss) is cls and loss.kind == kind
    cfg = json.loads(json.dumps(losses.serialize(loss)))
    again = losses.get(cfg)
    assert type(again) is cls and again.get_config() == loss.get_config()


def test_get_accepts_objects_functions_and_rejects_unknown_names():
    obj = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(obj) is obj and obj.threshold == 0.0
    assert losses.BinaryCrossentropy().threshold == 0.5
    wrapped = losses.get(losses.mean_absolute_error)
    p = cr.Tensor(np.array([[1.0, 3.0]], dtype=np.float32))
    np.testing.assert_allclose(wrapped(np.array([[0.0, 0.0]]), p).item(), 2.0)
    with pytest.raises(ValueError, match="unknown loss 'msee'"):
        losses.get("msee")


def test_hinge_maps_zero_one_labels_to_plus_minus_one():
    p = cr.Tensor(np.array([[0.3, -2.0]], dtype=np.float64))
    a = losses.hinge(np.array([[1.0, 0.0]]), p).item()
    b = losses.hinge(np.array([[1.0, -1.0]]), p).item()
    assert a == b == pytest.approx((0.7 + 0.0) / 2)


# ------------------------------------------------------------------ softmax output → logits
@pytest.mark.parametrize("sparse", [True, False])
def test_cross_entropy_of_a_softmax_output_works_from_its_logits(sparse):
    """As in TF-Keras: probabilities that came out of a softmax are not clipped; the loss and the
    gradient are those of the logits, even where the true class's probability underflows."""
    logits_data = np.array([[1e4, 0.0, -1e4], [0.5, -1.0, 2.0]], np.float64)
    labels = np.array([2, 0])
    y_true = labels if sparse else np.eye(3)[labels]
    loss_fn = losses.sparse_categorical_crossentropy if sparse else losses.categorical_crossentropy
    a = cr.Tensor(logits_data, requires_grad=True)
    via_softmax = loss_fn(y_true, cr.functional.softmax(a, axis=-1))
    via_softmax.sum().backward()
    b = cr.Tensor(logits_data, requires_grad=True)
    direct = loss_fn(y_true, b, from_logits=True)
    direct.sum().backward()
    np.testing.assert_allclose(via_softmax.data, direct.data, rtol=1e-12)
    np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-12)
    assert via_softmax.data[0] == pytest.approx(2e4)  # clipping would have said -log(1e-7) ≈ 16.1


def test_cross_entropy_of_other_probabilities_is_still_clipped():
    p = cr.Tensor(np.array([[0.0, 1.0]], np.float64))
    loss = losses.sparse_categorical_crossentropy(np.array([0]), p)
    assert loss.data[0] == pytest.approx(-np.log(1e-7))
