"""The Tensor object, the dtype rules, the factories and the library generator."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F


def test_attributes():
    t = cr.Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert (
        t.shape == (2, 3)
        and t.ndim == 2
        and t.numel() == 6
        and t.size() == (2, 3)
        and t.dtype == np.float32
    )
    assert isinstance(t.data, np.ndarray) and t.grad is None and t.requires_grad and t.is_leaf
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.numpy(), t.numpy().T)
    assert isinstance(t.numpy(), np.ndarray)
    assert cr.Tensor([[7.5]]).item() == 7.5 and isinstance(cr.Tensor(3).item(), int)
    assert len(t) == 2
    assert "requires_grad=True" in repr(t)


def test_item_and_len_errors():
    with pytest.raises(ValueError, match="3 elements"):
        cr.Tensor([1.0, 2.0, 3.0]).item()
    with pytest.raises(TypeError, match="0-d"):
        len(cr.Tensor(1.0))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(cr.Tensor([1.0, 2.0]))


def test_dtype_rules_on_construction():
    assert cr.Tensor(1.5).dtype == np.float32
    assert cr.Tensor([1.5, 2.0]).dtype == np.float32
    assert cr.Tensor(np.zeros(3)).dtype == np.float64  # an ndarray keeps its dtype
    assert cr.Tensor(np.float64(2.0)).dtype == np.float64
    assert cr.Tensor([1, 2]).dtype == np.int64
    assert cr.Tensor([1, 2], dtype="float64").dtype == np.float64
    assert cr.Tensor(cr.Tensor([1.0]), dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match="numeric"):
        cr.Tensor(["a", "b"])


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(ValueError, match="only floating-point tensors can require grad.*int64"):
        cr.Tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(ValueError, match="floating-point"):
        cr.Tensor([1, 2, 3]).requires_grad_()
    with pytest.raises(ValueError, match="floating-point"):
        cr.zeros(2, dtype=np.int32, requires_grad=True)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scalar", [2, 2.5, np.float64(2.5), True])
def test_python_scalars_never_change_the_dtype(dtype, scalar):
    x = cr.Tensor(np.array([0.5, 1.5, 2.0], dtype=dtype), requires_grad=True)
    results = [
        x + scalar,
        scalar + x,
        x - scalar,
        scalar - x,
        x * scalar,
        scalar * x,
        x / scalar,
        scalar / x,
        x**scalar,
        F.maximum(x, scalar),
        F.minimum(scalar, x),
        F.where(x.data > 1, x, scalar),
        x.clip(0.7, scalar),
    ]
    assert [r.dtype for r in results] == [np.dtype(dtype)] * len(results)
    sum(r.sum() for r in results).backward()
    assert x.grad.dtype == dtype


def test_integer_operand_takes_the_float_dtype():
    x = cr.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    i = cr.Tensor([1, 2, 3])
    assert (i * x).dtype == np.float32 and (x - i).dtype == np.float32
    assert (i + 0.5).dtype == np.float32 and (i + 1).dtype == np.int64
    (i * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [1, 2, 3])
    assert x.grad.dtype == np.float32


def test_float64_is_kept():
    x = cr.Tensor(np.ones((2, 2)), requires_grad=True)
    y = F.softmax(x * 3.0 + 1) @ x
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float64


def test_factories():
    assert cr.zeros(2, 3).shape == (2, 3) and cr.zeros((2, 3)).dtype == np.float32
    assert cr.ones(4).numpy().sum() == 4 and cr.ones(2, dtype=np.float64).dtype == np.float64
    full = cr.full((2, 2), 7.0)
    assert full.dtype == np.float32 and (full.numpy() == 7).all()
    assert cr.arange(5).dtype == np.int64 and cr.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert cr.arange(0.0, 1.0, 0.25).dtype == np.float32 and cr.arange(2, 8, 2).tolist() == [
        2,
        4,
        6,
    ]
    np.testing.assert_array_equal(cr.eye(3).numpy(), np.eye(3))
    assert cr.eye(2, 3).shape == (2, 3)
    base = cr.Tensor(np.zeros((2, 3)))
    assert cr.zeros_like(base).dtype == np.float64 and cr.ones_like(base).numpy().sum() == 6
    assert cr.zeros_like(base, dtype=np.float32).dtype == np.float32
    assert cr.tensor([1.0], requires_grad=True).requires_grad
    assert cr.zeros(3, requires_grad=True).requires_grad
    r, n = cr.rand(1000), cr.randn(1000)
    assert r.dtype == np.float32 and n.dtype == np.float32
    assert 0 <= r.numpy().min() and r.numpy().max() < 1
    assert abs(n.numpy().mean()) < 0.2 and 0.8 < n.numpy().std() < 1.2
    assert cr.randn(2, 3, dtype=np.float64).dtype == np.float64


def test_manual_seed_reproduces_every_draw():
    cr.manual_seed(123)
    first = (cr.rand(3, 2).numpy(), cr.randn(4).numpy(), cr.get_generator().integers(0, 100, 5))
    cr.manual_seed(123)
    second = (cr.rand(3, 2).numpy(), cr.randn(4).numpy(), cr.get_generator().integers(0, 100, 5))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    cr.manual_seed(124)
    assert not np.array_equal(cr.rand(3, 2).numpy(), first[0])


def test_generator_state_round_trip():
    from chainrule import random

    state = random.get_state()
    a = cr.randn(5).numpy()
    random.set_state(state)
    np.testing.assert_array_equal(cr.randn(5).numpy(), a)


def test_manual_seed_rejects_non_int():
    with pytest.raises(TypeError, match="manual_seed expects an int"):
        cr.manual_seed(1.5)


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = cr.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    m = x > 1.5
    assert m.dtype == bool and not m.requires_grad
    assert m.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]


def test_ndarray_on_the_left_defers_to_tensor():
    x = cr.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = np.full(3, 2.0, dtype=np.float32) * x
    assert isinstance(y, cr.Tensor) and y.requires_grad


def test_astype_passes_gradients_back_in_the_input_dtype():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)  # float64
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * 3.0).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    assert x.astype(np.int64).dtype == np.int64 and not x.astype(np.int64).requires_grad
