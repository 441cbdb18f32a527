"""Backward-pass semantics: ordering, accumulation, freeing, errors, no_grad, detach."""

import numpy as np
import pytest

import chainrule as cr
import chainrule.functional as F


def test_chain_of_10000_ops_backpropagates_without_recursion():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
        y = y - 0.001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**5000] * 2, rtol=1e-12)


def test_deep_graph_is_released_without_recursion():
    x = cr.Tensor(np.ones(2), requires_grad=True)
    y = x
    for _ in range(20000):
        y = y + 1.0
    del y  # dropping a 20,000-node graph must not overflow the C stack


def test_gradients_accumulate_where_a_tensor_is_used_twice():
    x = cr.Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = x * x + x  # x used three times
    z = y * y  # an intermediate used twice
    z.sum().backward()
    xv = x.numpy()
    np.testing.assert_allclose(x.grad, 2 * (xv * xv + xv) * (2 * xv + 1))


def test_diamond_graph():
    x = cr.Tensor(np.array(0.5), requires_grad=True)
    a = x.exp()
    b, c = a.sin(), a.cos()
    (b * c).backward()
    e = np.exp(0.5)
    np.testing.assert_allclose(x.grad, (np.cos(e) ** 2 - np.sin(e) ** 2) * e)


def test_leaf_grad_accumulates_over_backward_calls():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 4.0).sum().backward()
    np.testing.assert_allclose(x.grad, [7.0, 7.0])
    x.zero_grad()
    assert x.grad is None


def test_leaf_grad_is_its_own_writable_array():
    a = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    b = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    (a + b).sum().backward()  # the same broadcast gradient reaches both leaves
    assert a.grad.flags.writeable and not np.shares_memory(a.grad, b.grad)
    a.grad *= 2  # an optimiser may update in place without touching b
    np.testing.assert_array_equal(b.grad, np.ones((2, 3)))


def test_saved_arrays_are_freed_and_a_second_backward_raises():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert y._fn.freed and "a" not in vars(y._fn)
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_shared_freed_subgraph_raises_too():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = x.exp()
    h.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        (h * 2.0).sum().backward()


def test_retain_graph_allows_a_second_backward():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * 2 * x.numpy())


def test_implicit_grad_only_for_single_element():
    x = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"single-element.*shape \(2, 3\)"):
        (x * 2).backward()
    (x * 2).sum(keepdims=True).reshape(1, 1).backward()  # one element: implicit grad is fine
    np.testing.assert_allclose(x.grad, 2 * np.ones((2, 3)))


def test_explicit_grad():
    x = cr.Tensor(np.ones((2, 3)), requires_grad=True)
    g = np.arange(6.0).reshape(2, 3)
    (x * 2).backward(g)
    np.testing.assert_allclose(x.grad, 2 * g)
    with pytest.raises(
        ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2, 3\)"
    ):
        (x * 2).backward(np.ones(3))


def test_backward_on_a_leaf():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_allclose(x.grad, [3.0, 4.0])


def test_backward_without_graph_raises():
    x = cr.Tensor(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()


def test_no_grad_records_nothing():
    x = cr.Tensor(np.ones(3), requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled()
        y = x * 2
        with cr.enable_grad():
            z = x * 2
    assert cr.is_grad_enabled()
    assert not y.requires_grad and y._fn is None
    assert z.requires_grad

    @cr.no_grad()
    def infer(t):
        return t.exp()

    assert not infer(x).requires_grad


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(KeyError), cr.no_grad():
        raise KeyError
    assert cr.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_memory():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert not d.requires_grad and d._fn is None and np.shares_memory(d.data, y.data)
    (d * x).sum().backward()  # gradient flows only through the x factor
    np.testing.assert_allclose(x.grad, [3.0, 6.0])


def test_retain_grad_keeps_an_intermediate_gradient():
    x = cr.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    h = (x * 2.0).retain_grad()
    other = x * 5.0
    (h * h + other).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.numpy())
    assert other.grad is None


def test_inputs_that_do_not_require_grad_get_none():
    x = cr.Tensor(np.ones(3), requires_grad=True)
    c = cr.Tensor(np.full(3, 2.0))
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


def test_functional_and_methods_agree():
    x = cr.Tensor(np.array([[0.5, -1.0], [2.0, 0.1]]), requires_grad=True)
    np.testing.assert_array_equal(F.relu(x).numpy(), x.relu().numpy())
    np.testing.assert_array_equal(F.matmul(x, x).numpy(), (x @ x).numpy())
    np.testing.assert_array_equal(F.sum(x, axis=0).numpy(), x.sum(axis=0).numpy())
