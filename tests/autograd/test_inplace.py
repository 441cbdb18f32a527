"""In-place ops, ``x[idx] = v``, the version counter, and the four cases of issue 18 that used to
differ silently from PyTorch."""

import numpy as np
import pytest
import torch

import chainrule as cr

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
V = np.array([0.25, -0.5])


def both(a, rg=True):
    return cr.Tensor(a.copy(), requires_grad=rg), torch.tensor(a.copy(), requires_grad=rg)


def _set(h, index, value):
    h[index] = value
    return h


INPLACE = {
    "add_": lambda h, v: h.add_(v),
    "add_-alpha": lambda h, v: h.add_(v, alpha=-2.0),
    "sub_": lambda h, v: h.sub_(v),
    "mul_": lambda h, v: h.mul_(v),
    "div_": lambda h, v: h.div_(v + 3.0),
    "clamp_": lambda h, v: h.clamp_(-0.5, 0.8),
    "zero_": lambda h, v: h.zero_(),
    "fill_": lambda h, v: h.fill_(0.7),
    "copy_": lambda h, v: h.copy_(v),
    "setitem-int": lambda h, v: _set(h, 1, v[0]),
    "setitem-slice": lambda h, v: _set(h, (slice(None), 0), v[:, 0]),
    "setitem-mask": lambda h, v: _set(h, h.detach() > 0.6, 9.0),
    "setitem-array": lambda h, v: _set(h, (np.array([0, 1]), np.array([2, 0])), v[0, :2]),
    "setitem-broadcast-row": lambda h, v: _set(h, slice(0, 1), v[1]),
    "iadd": lambda h, v: h.__iadd__(v),
    "imul": lambda h, v: h.__imul__(v),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values_and_gradients_match_torch(name):
    op = INPLACE[name]
    (x, tx), (v, tv) = both(X), both(X[::-1].copy() * 0.5)
    h, th = x * 2.0, tx * 2.0
    out = op(h, v)
    op(th, tv)
    assert out is h
    np.testing.assert_allclose(h.numpy(), th.detach().numpy())
    ((h * h).sum() + (h * v).sum()).backward()
    ((th * th).sum() + (th * tv).sum()).backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(v.grad, tv.grad.numpy(), rtol=1e-12)


def test_setitem_into_a_constant_makes_it_part_of_the_graph():
    (v, tv) = both(V)
    z, tz = cr.zeros(2, 3, dtype=np.float64), torch.zeros(2, 3, dtype=torch.float64)
    z[:, 1] = v * 3
    tz[:, 1] = tv * 3
    assert z.requires_grad and not z.is_leaf
    (z.exp()).sum().backward()
    (tz.exp()).sum().backward()
    np.testing.assert_allclose(v.grad, tv.grad.numpy())


def test_double_backward_through_setitem():
    (x, tx) = both(X)
    h, th = x * 1.0, tx * 1.0
    h[0] = x[1] ** 2
    th[0] = tx[1] ** 2
    (g,) = cr.autograd.grad((h**3).sum(), x, create_graph=True)
    (tg,) = torch.autograd.grad((th**3).sum(), tx, create_graph=True)
    (gg,) = cr.autograd.grad((g * g).sum(), x)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), tx)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10)


def test_a_modified_saved_input_raises_naming_the_op():
    x = cr.Tensor(X, requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()  # Mul saved h
    h.add_(1.0)
    with pytest.raises(
        RuntimeError,
        match=r"modified by an inplace operation.*Mul.*add_.*version 1; expected version 0",
    ):
        y.backward()


def test_a_modified_input_that_was_not_saved_is_fine_as_in_torch():
    (x, tx) = both(X)
    h, th = x * 1.0, tx * 1.0
    y, ty = (h + 2.0).sum(), (th + 2.0).sum()  # Add saves nothing
    h.mul_(3.0)
    th.mul_(3.0)
    y.backward()
    ty.backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy())


def test_a_modified_saved_output_raises():
    x = cr.Tensor(X, requires_grad=True)
    y = x.exp()  # Exp saves its result
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="output of Exp was modified by mul_"):
        y.sum().backward()


def test_silent_case_inplace_under_no_grad_of_a_saved_leaf_raises():
    w = cr.Tensor(X, requires_grad=True)
    tw = torch.tensor(X, requires_grad=True)
    y, ty = (w * w).sum(), (tw * tw).sum()
    with cr.no_grad():
        w.mul_(2.0)
    with torch.no_grad():
        tw.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        ty.backward()
    with pytest.raises(RuntimeError, match="modified by mul_; it is at version 1"):
        y.backward()
    assert w._version == tw._version == 1


def test_silent_case_leaf_that_requires_grad_cannot_change_in_place():
    x = cr.Tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x += 1
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    np.testing.assert_array_equal(x.numpy(), X)  # nothing changed
    with cr.no_grad():  # the manual-SGD idiom
        x -= 0.5
    np.testing.assert_allclose(x.numpy(), X - 0.5)
    assert x.is_leaf and x.requires_grad


def test_silent_case_requires_grad_false_on_a_non_leaf_raises():
    x = cr.Tensor(X, requires_grad=True)
    h = x * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf variables"):
        h.requires_grad_(False)
    h.requires_grad_(True)  # allowed, as in PyTorch
    x.requires_grad_(False)
    assert not x.requires_grad


def test_silent_case_rebinding_data_uses_the_new_values():
    (x, tx), (w, tw) = both(X), both(X + 1.0)
    y, ty = (x * w).sum() + (w**3).sum(), (tx * tw).sum() + (tw**3).sum()
    w.data = w.data * 2
    tw.data = tw.data * 2
    y.backward()
    ty.backward()
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
    np.testing.assert_allclose(w.grad, tw.grad.numpy())
    assert w._version == tw._version == 0


def test_detach_shares_the_version_counter():
    x = cr.Tensor(X, requires_grad=True)
    h = x * 1.0
    y = (h * h).sum()
    d = h.detach()
    d.zero_()
    np.testing.assert_array_equal(h.numpy(), 0)  # shares memory
    with pytest.raises(RuntimeError, match="modified by zero_"):
        y.backward()


def test_inplace_dtype_and_shape_rules():
    i = cr.Tensor(np.array([1, 2, 3]))
    with pytest.raises(RuntimeError, match="can't be cast"):
        i.mul_(0.5)
    f = cr.Tensor(np.zeros(3, np.float32))
    f.add_(np.ones(3))  # a float64 operand: the result stays float32
    assert f.dtype == np.float32
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        f.add_(np.ones((2, 3)))
    i.add_(2)
    np.testing.assert_array_equal(i.numpy(), [3, 4, 5])


def test_inplace_on_a_constant_writes_through_numpy_views():
    arr = np.zeros(4)
    t = cr.Tensor(arr)
    view = t.data[1:3]
    t[1:3] = 5.0
    np.testing.assert_array_equal(view, [5.0, 5.0])
