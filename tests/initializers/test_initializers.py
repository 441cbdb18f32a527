"""Initialisers: variances against theory, orthogonality, seeding, registry."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule import initializers as init

FAN_IN, FAN_OUT = 400, 300

THEORY = {  # name → variance for a (FAN_IN, FAN_OUT) kernel
    "glorot_uniform": 2 / (FAN_IN + FAN_OUT),
    "glorot_normal": 2 / (FAN_IN + FAN_OUT),
    "xavier_uniform": 2 / (FAN_IN + FAN_OUT),
    "he_uniform": 2 / FAN_IN,
    "he_normal": 2 / FAN_IN,
    "kaiming_normal": 2 / FAN_IN,
    "lecun_normal": 1 / FAN_IN,
    "lecun_uniform": 1 / FAN_IN,
    "random_uniform": 0.1**2 / 12,  # uniform on [-0.05, 0.05]
    "random_normal": 0.05**2,
}


@pytest.mark.parametrize("name", sorted(THEORY))
def test_variance_matches_theory(name):
    w = init.get(name)((FAN_IN, FAN_OUT))
    assert w.dtype == np.float32 and w.shape == (FAN_IN, FAN_OUT)
    # 120k samples: the sample variance is within ~1% of the truth; allow 4%
    np.testing.assert_allclose(w.var(dtype=np.float64), THEORY[name], rtol=0.04)
    assert abs(w.mean(dtype=np.float64)) < 4 * np.sqrt(THEORY[name] / w.size)


@pytest.mark.parametrize("name", ["glorot_uniform", "he_uniform", "lecun_uniform"])
def test_uniform_bounds(name):
    w = init.get(name)((FAN_IN, FAN_OUT))
    limit = np.sqrt(3 * THEORY[name])
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit


@pytest.mark.parametrize("name", ["glorot_normal", "he_normal", "lecun_normal"])
def test_truncated_normals_are_cut_at_two_sigma(name):
    w = init.get(name)((FAN_IN, FAN_OUT)).astype(np.float64)
    sigma = np.sqrt(THEORY[name]) / 0.87962566103423978  # std before truncation
    assert np.abs(w).max() <= 2 * sigma * (1 + 1e-6)


def test_convolution_kernel_fans():
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert init.compute_fans((7,)) == (7, 7)
    w = init.get("he_normal")((3, 3, 64, 32))
    np.testing.assert_allclose(w.var(dtype=np.float64), 2 / (9 * 64), rtol=0.05)


@pytest.mark.parametrize("shape", [(60, 20), (20, 60), (4, 5, 30)])
def test_orthogonal(shape):
    w = init.Orthogonal(gain=1.5)(shape).astype(np.float64)
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    small = min(flat.shape)
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(small), atol=1e-5)


def test_constant_zeros_ones_and_dtype():
    np.testing.assert_array_equal(init.get("zeros")((2, 3)), 0)
    np.testing.assert_array_equal(init.get("ones")((4,), "float64"), 1)
    c = init.Constant(0.25)((3,), "float64")
    assert c.dtype == np.float64 and np.all(c == 0.25)


def test_draws_follow_manual_seed():
    cr.manual_seed(42)
    a = init.get("glorot_uniform")((5, 5))
    b = init.get("glorot_uniform")((5, 5))
    cr.manual_seed(42)
    np.testing.assert_array_equal(a, init.get("glorot_uniform")((5, 5)))
    assert not np.array_equal(a, b)


def test_registry_serialisation_and_errors():
    vs = init.VarianceScaling(scale=0.5, mode="fan_out", distribution="uniform")
    again = init.get(json.loads(json.dumps(init.serialize(vs))))
    assert isinstance(again, init.VarianceScaling) and again.get_config() == vs.get_config()
    assert init.serialize(init.get("xavier_normal")) == {
        "class_name": "glorot_normal",
        "config": {},
    }
    assert isinstance(init.get("kaiming_uniform"), init.HeUniform)
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        init.get("glorot")
    with pytest.raises(ValueError, match="mode must be"):
        init.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.Orthogonal()((5,))
