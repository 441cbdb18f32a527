"""The public finite-difference checker: passes on right gradients, names the worst wrong one."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F
from chainrule import Function, GradcheckError


class WrongSquare(Function):
    """x**2 with a deliberately wrong derivative (x instead of 2x)."""

    def forward(self, a):
        self.a = a
        return a * a

    def backward(self, g):
        return g * self.a


def test_passes_on_a_user_function():
    rng = cr.get_generator()
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    assert cr.gradcheck(lambda x, w: F.tanh(x @ w).sum(axis=0) * x.mean(), [x, w]) is True


def test_accepts_a_single_tensor_and_float32_input():
    x = cr.Tensor(np.array([0.3, 0.7], dtype=np.float32))
    assert cr.gradcheck(lambda t: t.sigmoid(), x)


def test_multiple_outputs_and_integer_inputs():
    rng = cr.get_generator()
    idx = np.array([2, 0, 2])
    assert cr.gradcheck(lambda x, i: F.split(x[i], [1]), [rng.standard_normal((3, 2)), idx])


def test_failure_names_input_element_and_values():
    x = np.array([[0.0, 0.0], [0.0, -4.0]])  # x and 2x differ only at (1, 1)
    y = np.array([0.5])
    with pytest.raises(GradcheckError) as info:
        cr.gradcheck(lambda b, a: b + WrongSquare.apply(a), [y, x])
    msg = str(info.value)
    assert "input 1 (shape (2, 2)), element (1, 1)" in msg
    assert "analytic" in msg and "numeric" in msg
    analytic, numeric = (
        float(v) for v in msg.split("analytic ")[1].split(" (difference")[0].split(" vs numeric ")
    )
    # the projection weight cancels in the ratio: wrong derivative x vs true derivative 2x
    assert numeric == pytest.approx(2 * analytic, rel=1e-6)


def test_failure_is_an_assertion_error():
    with pytest.raises(AssertionError):
        cr.gradcheck(lambda a: WrongSquare.apply(a), [np.array([3.0])])


def test_tolerances_are_respected():
    x = [np.array([1e-3])]  # wrong by x = 1e-3 in absolute terms
    assert cr.gradcheck(lambda a: WrongSquare.apply(a), x, atol=1e-1, rtol=0)
    with pytest.raises(GradcheckError):
        cr.gradcheck(lambda a: WrongSquare.apply(a), x, atol=1e-6, rtol=0)


def test_function_that_ignores_its_inputs_passes():
    assert cr.gradcheck(lambda a: cr.Tensor(np.ones(2)), [np.array([1.0, 2.0])])


def test_reproducible_under_manual_seed():
    def message():
        cr.manual_seed(7)
        with pytest.raises(GradcheckError) as info:
            cr.gradcheck(lambda a: WrongSquare.apply(a), [np.array([1.0, -2.0, 0.5])])
        return str(info.value)

    assert message() == message()


class NanGrad(Function):
    def forward(self, a):
        return a * 2

    def backward(self, g):
        return g * np.nan


def test_nan_gradient_is_reported():
    with pytest.raises(GradcheckError, match="analytic nan"):
        cr.gradcheck(lambda a: NanGrad.apply(a), [np.array([1.0, 2.0])])
