"""Regularisers (L1, L2, L1L2) and constraints (max-norm, non-negativity)."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import constraints, initializers, layers, regularizers


def _param(values):
    return cr.nn.Parameter(np.asarray(values, dtype=np.float32))


def test_penalties_and_their_gradients():
    w = np.array([[1.0, -2.0], [0.5, -0.25]], dtype=np.float32)
    for reg, value, grad in [
        (regularizers.L1(0.1), 0.1 * np.abs(w).sum(), 0.1 * np.sign(w)),
        (regularizers.L2(0.01), 0.01 * (w**2).sum(), 0.02 * w),
        (regularizers.L1L2(0.1, 0.01), 0.1 * np.abs(w).sum() + 0.01 * (w**2).sum(),
         0.1 * np.sign(w) + 0.02 * w),
    ]:  # fmt: skip
        p = _param(w)
        out = reg(p)
        out.backward()
        assert out.shape == () and out.dtype == np.float32
        np.testing.assert_allclose(out.item(), value, rtol=1e-6)
        np.testing.assert_allclose(p.grad, grad, rtol=1e-6)
        again = regularizers.get(json.loads(json.dumps(regularizers.serialize(reg))))
        assert type(again) is type(reg) and again.get_config() == reg.get_config()
    with pytest.raises(ValueError, match="l2 must be a non-negative number"):
        regularizers.L2(-1)


def test_layers_report_and_models_gather_regularisation_losses():
    model = cr.Sequential([
        layers.Dense(4, input_dim=3, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.5),
                 bias_initializer="ones"),
        layers.Dense(2, input_dim=4),
        layers.Dense(1, input_dim=2, kernel_regularizer=regularizers.L1(0.2)),
    ])  # fmt: skip
    d0, d1, d2 = model.layers
    assert d1.regularization_loss() is None
    terms = model.regularization_losses()
    assert len(terms) == 2
    expected0 = 0.01 * (d0.kernel.data**2).sum() + 0.5 * 4
    np.testing.assert_allclose(terms[0].item(), expected0, rtol=1e-6)
    np.testing.assert_allclose(terms[1].item(), 0.2 * np.abs(d2.kernel.data).sum(), rtol=1e-6)
    sum(terms).backward()
    np.testing.assert_allclose(d0.kernel.grad, 0.02 * d0.kernel.data, rtol=1e-6)
    assert d1.kernel.grad is None


def test_constraints_apply_in_place_after_a_step():
    model = cr.Sequential([
        layers.Dense(5, input_dim=4, kernel_initializer=initializers.RandomNormal(stddev=3.0),
                 kernel_constraint=constraints.MaxNorm(1.5)),
        layers.Dense(3, input_dim=5, kernel_initializer=initializers.RandomNormal(stddev=1.0),
                 kernel_constraint="non_neg", bias_constraint="non_neg",
                 bias_initializer=initializers.Constant(-1.0)),
    ])  # fmt: skip
    d0, d1 = model.layers
    k0 = d0.kernel.data
    small = np.linalg.norm(k0, axis=0) <= 1.5
    before = k0.copy()
    model.apply_constraints()
    assert d0.kernel.data is k0  # rewritten in place: optimiser state keeps pointing at it
    norms = np.linalg.norm(k0, axis=0)
    assert np.all(norms <= 1.5 + 1e-5) and np.any(~small)
    np.testing.assert_allclose(norms[~small], 1.5, rtol=1e-5)
    np.testing.assert_allclose(k0[:, small], before[:, small], rtol=1e-6)  # short ones untouched
    assert np.all(d1.kernel.data >= 0) and np.all(d1.bias.data == 0)


def test_constraint_registry_and_copies():
    w = np.array([[3.0, 0.1], [4.0, 0.1]], dtype=np.float32)
    out = constraints.get("max_norm")(w)  # __call__ returns a copy
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [2.0, np.sqrt(0.02)], rtol=1e-5)
    assert w[0, 0] == 3.0
    unit = constraints.UnitNorm()(w)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=0), 1, rtol=1e-5)
    again = constraints.get(
        json.loads(json.dumps(constraints.serialize(constraints.MaxNorm(3, 1))))
    )
    assert again.get_config() == {"max_value": 3.0, "axis": 1}
    with pytest.raises(ValueError, match="unknown constraint 'positive'"):
        constraints.get("positive")
    assert cr.Tensor(out).dtype == np.float32
