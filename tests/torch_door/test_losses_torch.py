"""F.* losses and the loss modules against torch.nn.functional: values and input gradients."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((6, 4)) * 2
LOGITS_ND = RNG.standard_normal((3, 4, 5)) * 2
LABELS = np.array([0, 3, 1, 1, 2, 3])
LABELS_IGN = np.array([0, -100, 1, 1, 7, 3])  # 7 is ignored below with ignore_index=7
LABELS_ND = RNG.integers(0, 4, (3, 5))
WEIGHT = np.array([0.5, 2.0, 1.0, 0.25])
PROBS = RNG.dirichlet(np.ones(4), 6)
PRED = RNG.standard_normal((5, 3))
TARGET = RNG.standard_normal((5, 3))
P01 = RNG.uniform(0.01, 0.99, (5, 3))
T01 = RNG.integers(0, 2, (5, 3)).astype(float)


def _t(a):
    return torch.tensor(a) if a is not None and np.asarray(a).dtype.kind != "f" else (
        None if a is None else torch.tensor(a))  # fmt: skip


CASES = [
    ("ce", "cross_entropy", LOGITS, LABELS, {}),
    ("ce-sum", "cross_entropy", LOGITS, LABELS, {"reduction": "sum"}),
    ("ce-none", "cross_entropy", LOGITS, LABELS, {"reduction": "none"}),
    ("ce-weight", "cross_entropy", LOGITS, LABELS, {"weight": WEIGHT}),
    ("ce-ignore", "cross_entropy", LOGITS, np.where(LABELS_IGN == 7, 2, LABELS_IGN), {}),
    ("ce-ignore7-w", "cross_entropy", LOGITS, LABELS_IGN.clip(0), {"ignore_index": 7,
                                                                     "weight": WEIGHT}),
    ("ce-smooth", "cross_entropy", LOGITS, LABELS, {"label_smoothing": 0.1}),
    ("ce-smooth-w-ign", "cross_entropy", LOGITS, np.where(LABELS_IGN == 7, 2, LABELS_IGN),
     {"label_smoothing": 0.2, "weight": WEIGHT}),
    ("ce-smooth-none", "cross_entropy", LOGITS, LABELS, {"label_smoothing": 0.3,
                                                          "reduction": "none"}),
    ("ce-nd", "cross_entropy", LOGITS_ND, LABELS_ND, {}),
    ("ce-nd-w-smooth", "cross_entropy", LOGITS_ND, LABELS_ND, {"weight": WEIGHT,
                                                                "label_smoothing": 0.1}),
    ("ce-probs", "cross_entropy", LOGITS, PROBS, {}),
    ("ce-probs-w-smooth", "cross_entropy", LOGITS, PROBS, {"weight": WEIGHT,
                                                           "label_smoothing": 0.1}),
    ("ce-unbatched", "cross_entropy", LOGITS[0], np.array(2), {}),
    ("nll", "nll_loss", LOGITS, LABELS, {}),
    ("nll-w-ign", "nll_loss", LOGITS, np.where(LABELS_IGN == 7, 2, LABELS_IGN),
     {"weight": WEIGHT}),
    ("nll-nd-none", "nll_loss", LOGITS_ND, LABELS_ND, {"reduction": "none"}),
    ("mse", "mse_loss", PRED, TARGET, {}),
    ("mse-sum", "mse_loss", PRED, TARGET, {"reduction": "sum"}),
    ("l1", "l1_loss", PRED, TARGET, {}),
    ("mse-weight", "mse_loss", PRED, TARGET, {"weight": np.abs(TARGET)}),
    ("l1-weight-sum", "l1_loss", PRED, TARGET, {"weight": np.abs(TARGET), "reduction": "sum"}),
    ("huber-weight", "huber_loss", PRED, TARGET, {"weight": np.abs(TARGET), "delta": 0.5}),
    ("smoothl1", "smooth_l1_loss", PRED, TARGET, {"beta": 0.5}),
    ("huber", "huber_loss", PRED, TARGET, {"delta": 0.7}),
    ("bce", "binary_cross_entropy", P01, T01, {}),
    ("bce-w", "binary_cross_entropy", P01, T01, {"weight": np.array([1.0, 2.0, 0.5])}),
    ("bcel", "binary_cross_entropy_with_logits", PRED * 5, T01, {}),
    ("bcel-pw", "binary_cross_entropy_with_logits", PRED * 5, T01,
     {"pos_weight": np.array([1.0, 3.0, 0.5]), "reduction": "sum"}),
    ("kl", "kl_div", np.log(PROBS), RNG.dirichlet(np.ones(4), 6), {"reduction": "batchmean"}),
    ("kl-logt", "kl_div", np.log(PROBS), np.log(RNG.dirichlet(np.ones(4), 6)),
     {"reduction": "sum", "log_target": True}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_functional_losses_match_torch(case):
    _, name, x, t, kw = case
    xt = torch.tensor(x, requires_grad=True)
    xo = cr.tensor(x, requires_grad=True)
    kw_t = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    kw_o = {k: (cr.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in kw.items()}
    lt = getattr(torch.nn.functional, name)(xt, torch.tensor(t), **kw_t)
    lo = getattr(F, name)(xo, cr.tensor(t), **kw_o)
    np.testing.assert_allclose(lo.numpy(), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(lt.shape)
    lt.backward(torch.tensor(g))
    lo.backward(g)
    np.testing.assert_allclose(xo.grad, xt.grad.numpy(), rtol=1e-8, atol=1e-12)


MODULES = [
    ("CrossEntropyLoss", LOGITS, LABELS, {"weight": WEIGHT, "label_smoothing": 0.1}),
    ("CrossEntropyLoss", LOGITS, np.where(LABELS_IGN == 7, 2, LABELS_IGN), {}),
    ("NLLLoss", LOGITS, LABELS, {"reduction": "sum"}),
    ("MSELoss", PRED, TARGET, {}),
    ("L1Loss", PRED, TARGET, {"reduction": "none"}),
    ("BCELoss", P01, T01, {}),
    ("BCEWithLogitsLoss", PRED, T01, {"pos_weight": np.array([2.0, 1.0, 1.0])}),
    ("SmoothL1Loss", PRED, TARGET, {}),
    ("HuberLoss", PRED, TARGET, {"delta": 2.0}),
    ("KLDivLoss", np.log(PROBS), PROBS[::-1].copy(), {"reduction": "batchmean"}),
]


@pytest.mark.parametrize("case", MODULES, ids=[f"{c[0]}-{i}" for i, c in enumerate(MODULES)])
def test_loss_modules_match_torch(case):
    name, x, t, kw = case
    mt = getattr(torch.nn, name)(**{k: torch.tensor(v) if isinstance(v, np.ndarray) else v
                                    for k, v in kw.items()})  # fmt: skip
    mo = getattr(nn, name)(**{k: cr.tensor(v) if isinstance(v, np.ndarray) else v
                              for k, v in kw.items()})  # fmt: skip
    out_t = mt(torch.tensor(x), torch.tensor(t))
    out_o = mo(cr.tensor(x), cr.tensor(t))
    np.testing.assert_allclose(out_o.numpy(), out_t.numpy(), rtol=1e-10)
    assert list(mo.state_dict()) == list(mt.state_dict())


def test_float32_logits_with_int64_labels_stay_float32_and_errors_are_clear():
    logits = cr.randn(4, 3, requires_grad=True)
    labels = cr.tensor([0, 2, 1, 2])
    assert labels.dtype == cr.int64
    loss = nn.CrossEntropyLoss()(logits, labels)
    assert loss.dtype == np.float32
    loss.backward()
    assert logits.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r"target 3 is out of bounds for 3 classes"):
        F.nll_loss(logits, cr.tensor([0, 1, 3, 0]), weight=cr.ones(3))
    with pytest.raises(ValueError, match=r"needs targets of shape \(4,\)"):
        F.cross_entropy(logits, cr.tensor([0, 1]))
    with pytest.raises(TypeError, match="int64"):
        F.cross_entropy(logits, cr.tensor([0.0, 1.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(logits, logits, reduction="avg")
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(cr.zeros(4, 1), cr.zeros(4))
    assert F.one_hot(cr.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
