"""sigmoid, softmax, log_softmax, logsumexp (and softplus, tanh) at ±1e4: finite values, finite and
correct gradients, in float32 and float64."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F

EXTREME = [[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4], [-1e4, -1e4, -1e4]]

OPS = {
    "sigmoid": F.sigmoid,
    "softmax": F.softmax,
    "log_softmax": F.log_softmax,
    "logsumexp": lambda x: F.logsumexp(x, axis=-1),
    "logsumexp-all": F.logsumexp,
    "softplus": F.softplus,
    "tanh": F.tanh,
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_finite_at_extremes(name, dtype):
    x = cr.Tensor(np.array(EXTREME, dtype=dtype), requires_grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        y = OPS[name](x)
        y.backward(np.ones(y.shape, dtype=dtype))
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad).all()
    assert y.dtype == dtype and x.grad.dtype == dtype


def test_extreme_values_are_right():
    x = cr.Tensor(np.array(EXTREME))
    np.testing.assert_array_equal(F.sigmoid(x).numpy()[0], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(F.softmax(x).numpy()[1], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(
        F.log_softmax(x).numpy()[1], [-np.log(2), -np.log(2), -2e4 - np.log(2)]
    )
    np.testing.assert_allclose(
        F.logsumexp(x, axis=1).numpy(), [1e4, 1e4 + np.log(2), -1e4 + np.log(3)]
    )


def test_softmax_gradient_at_extremes():
    # softmax row [0.5, 0.5, 0]; with upstream [1, 0, 0] the gradient is s * (g - s·g)
    x = cr.Tensor(np.array([[1e4, 1e4, -1e4]]), requires_grad=True)
    F.softmax(x).backward(np.array([[1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(x.grad, [[0.25, -0.25, 0.0]])


def test_logsumexp_of_all_minus_infinity_is_minus_infinity_without_nan():
    x = cr.Tensor(np.array([-np.inf, -np.inf]))
    with np.errstate(divide="ignore"):
        assert F.logsumexp(x).item() == -np.inf
