"""Type promotion follows PyTorch's rules for every binary op (issue 10, item 12).

0-d tensors and Python scalars do not promote the dtype within their category; integer ⊕ float
scalar gives float32; integer ⊕ integer stays integer; ``x.grad`` always has the leaf's dtype.
"""

import itertools

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.functional as F

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
OPS = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (F.maximum, torch.maximum),
    "where": (
        lambda a, b: F.where(np.array(True), a, b),
        lambda a, b: torch.where(torch.tensor(True), a, b),
    ),
}


def _pair(da, db, za, zb):
    shape_a, shape_b = ((), (3,)) if za else ((3,), ()) if zb else ((3,), (3,))
    if za and zb:
        shape_a = shape_b = ()
    a = np.ones(shape_a, dtype=da)
    b = np.ones(shape_b, dtype=db)
    return a, b


def _torch_dtype(fn, a, b):
    try:
        return str(fn(torch.from_numpy(a), torch.from_numpy(b)).dtype).replace("torch.", "")
    except RuntimeError:
        return None


@pytest.mark.parametrize("op", sorted(OPS))
def test_tensor_tensor_promotion_matches_torch(op):
    ours, theirs = OPS[op]
    mismatches = []
    for da, db in itertools.product(DTYPES, repeat=2):
        for za, zb in [(False, False), (True, False), (False, True), (True, True)]:
            a, b = _pair(da, db, za, zb)
            want = _torch_dtype(theirs, a, b)
            if want is None or (op == "sub" and "bool" in (da, db)):
                continue  # PyTorch refuses (bool subtraction): not a promotion question
            got = str(ours(cr.Tensor(a), cr.Tensor(b)).dtype)
            if got != want:
                mismatches.append(f"{da}{'()' if za else '(3,)'} {op} {db}{'()' if zb else '(3,)'}: {got} vs torch {want}")  # fmt: skip
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("scalar", [2, 2.5, True], ids=["int", "float", "bool"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["add", "mul", "div"])
def test_python_scalars_follow_torch(op, dtype, scalar):
    ours, theirs = OPS[op]
    a = np.ones(3, dtype=dtype)
    try:
        want = str(theirs(torch.from_numpy(a), scalar).dtype).replace("torch.", "")
    except RuntimeError:
        pytest.skip("PyTorch refuses this combination")
    assert str(ours(cr.Tensor(a), scalar).dtype) == want
    assert str(ours(scalar, cr.Tensor(a)).dtype) == str(theirs(scalar, torch.from_numpy(a)).dtype).replace("torch.", "")  # fmt: skip


@pytest.mark.parametrize("operand", ["tensor", "array", "numpy-scalar"])
def test_a_0d_float64_operand_keeps_float32_results_and_gradients(operand):
    """Issue 10, item 12: a 0-d float64 operand turned float32 results and gradients into float64."""
    x = cr.Tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    s = {
        "tensor": cr.Tensor(np.array(2.0), requires_grad=True),
        "array": np.array(2.0),
        "numpy-scalar": np.float64(2.0),
    }[operand]
    y = (x * s + s) / s - s
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32
    if operand == "tensor":
        assert s.grad.dtype == np.float64
        xt = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        st = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        ((xt * st + st) / st - st).sum().backward()
        np.testing.assert_allclose(s.grad, st.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-6)


def test_grad_always_has_the_leaf_dtype():
    """A float64 gradient flowing into a float32 leaf (through a cast, or given by the user) is
    stored in float32; so is a float32 one into a float64 leaf."""
    x = cr.Tensor(np.ones(3, np.float32), requires_grad=True)
    x.astype(np.float64).sum().backward()
    assert x.grad.dtype == np.float32
    x.backward(np.ones(3, np.float64))
    assert x.grad.dtype == np.float32
    d = cr.Tensor(np.ones(3), requires_grad=True)
    (d * cr.Tensor(np.ones(3, np.float32))).sum().backward()
    assert d.grad.dtype == np.float64
    h = cr.Tensor(np.ones(3, np.float16), requires_grad=True)
    (h * cr.Tensor(np.array(3.0), requires_grad=True)).sum().backward()
    assert h.grad.dtype == np.float16


@pytest.mark.parametrize(
    "op",
    ["leaky_relu", "elu", "selu", "gelu", "silu", "softplus", "hard_sigmoid", "hard_swish",
     "softmax", "log_softmax", "mean", "var", "std", "layer_norm"],
)  # fmt: skip
def test_float_only_ops_refuse_integer_tensors_as_torch_does(op):
    x = cr.Tensor(np.array([[-2, 1, 3]]))
    fn = getattr(F, op)
    with pytest.raises(
        TypeError, match=rf"{op}: expected a floating-point tensor, got dtype int64"
    ):
        fn(x, 3) if op == "layer_norm" else fn(x)


def test_sigmoid_of_integers_computes_in_float32():
    """Issue 10, item 12: ``sigmoid([-2, 1, 3])`` gave ``[0, 0, 0]``."""
    y = F.sigmoid(cr.Tensor(np.array([-2, 1, 3])))
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data, torch.sigmoid(torch.tensor([-2, 1, 3])).numpy())
    assert cr.Tensor(np.array([-2, 1, 3])).sigmoid().dtype == np.float32
    with pytest.raises(TypeError, match="relu: not defined for bool"):
        F.relu(cr.Tensor(np.array([True, False])))


def test_linear_with_integer_inputs_stays_in_the_weight_dtype():
    """An int64 input used to make a float64 product behind a float32 layer."""
    w = cr.Tensor(np.ones((3, 2), np.float32), requires_grad=True)
    b = cr.Tensor(np.zeros(2, np.float32), requires_grad=True)
    for fn in (F.linear, lambda x, w, b: F.linear(x, w, b, activation="relu")):
        y = fn(cr.Tensor(np.array([[1, 2, 3]])), w, b)
        assert y.dtype == np.float32
        y.sum().backward()
        assert w.grad.dtype == np.float32 and b.grad.dtype == np.float32
    assert F.matmul(cr.Tensor(np.array([[1, 2, 3]])), w).dtype == np.float32
