"""Every activation, by name and as a function, against torch.nn.functional (values and grads)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from torch_check import check_vs_torch

import chainrule as cr
from chainrule import activations

CASES = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "leaky_relu": lambda x: TF.leaky_relu(x, 0.2),
    "elu": TF.elu,
    "selu": TF.selu,
    "gelu": TF.gelu,
    "swish": TF.silu,
    "silu": TF.silu,
    "softplus": TF.softplus,
    "softsign": TF.softsign,
    "hard_sigmoid": TF.hardsigmoid,
    "hard_swish": TF.hardswish,
    "softmax": lambda x: torch.softmax(x, -1),
    "log_softmax": lambda x: torch.log_softmax(x, -1),
    "linear": lambda x: x,
}


def _inputs(dtype):
    x = np.random.default_rng(3).standard_normal((4, 7)) * 4
    # keep clear of kinks (0 for relu-likes, ±3 for the hard ones) where one-sided slopes differ
    x[np.abs(x) < 1e-2] += 0.1
    x[np.abs(np.abs(x) - 3) < 1e-2] += 0.1
    return x.astype(dtype)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_activation_matches_torch(name, dtype):
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == "float32" else {"rtol": 1e-10, "atol": 1e-12}
    if name == "hard_sigmoid" and dtype == "float64":
        tol = {
            "rtol": 1e-7,
            "atol": 1e-9,
        }  # torch's float64 backward uses a float32 1/6 (error 5e-9)
    fn = activations.get(name)
    out = check_vs_torch(fn, CASES[name], [_inputs(dtype)], **tol)
    assert out.dtype == np.dtype(dtype)
    assert fn is getattr(activations, name)


@pytest.mark.parametrize("name", ["selu", "swish", "softsign", "hard_sigmoid", "hard_swish"])
def test_new_activation_ops_pass_gradcheck(name):
    assert cr.gradcheck(activations.get(name), [_inputs("float64")])


@pytest.mark.parametrize("name", sorted(CASES))
def test_extreme_inputs_stay_finite(name):
    x = cr.Tensor(np.array([[-1e4, -50.0, 0.5, 50.0, 1e4]], dtype=np.float32), requires_grad=True)
    out = activations.get(name)(x)
    out.sum().backward()
    assert np.all(np.isfinite(out.numpy())) or name == "log_softmax"
    assert np.all(np.isfinite(x.grad))


def test_get_resolves_names_dicts_callables_and_none():
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    custom = activations.get({"class_name": "leaky_relu", "config": {"negative_slope": 0.1}})
    x = cr.Tensor(np.array([-1.0, 2.0], dtype=np.float32))
    np.testing.assert_allclose(custom(x).numpy(), [-0.1, 2.0])
    assert activations.serialize(custom) == {
        "class_name": "leaky_relu",
        "config": {"negative_slope": 0.1},
    }
    assert activations.serialize(activations.get("silu")) == "swish"

    def f(t):
        return t * 2

    assert activations.get(f) is f
    with pytest.raises(ValueError, match="cannot serialise activation"):
        activations.serialize(f)
    with pytest.raises(ValueError, match="unknown activation 'relu6x'"):
        activations.get("relu6x")
    with pytest.raises(TypeError):
        activations.get(3)
