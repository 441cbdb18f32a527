"""keras.random.normal / uniform: Keras 3 names and defaults, the library generator or an int
seed, float32 by default."""

import numpy as np
import pytest

import chainrule as keras


def test_normal_and_uniform_defaults_and_seeding():
    keras.utils.set_random_seed(3)
    a = keras.random.normal((2000, 3))
    keras.utils.set_random_seed(3)
    b = keras.random.normal(shape=(2000, 3))
    assert a.dtype == np.float32 and a.shape == (2000, 3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert abs(float(a.numpy().mean())) < 0.1 and abs(float(a.numpy().std()) - 1) < 0.1
    c = keras.random.normal((4,), mean=5.0, stddev=0.0, dtype="float64")
    assert c.dtype == np.float64 and (c.numpy() == 5.0).all()
    np.testing.assert_array_equal(keras.random.normal((3,), seed=7).numpy(),
                                  keras.random.normal((3,), seed=7).numpy())  # fmt: skip
    u = keras.random.uniform((1000,), minval=-2, maxval=3)
    assert u.dtype == np.float32 and -2 <= u.numpy().min() and u.numpy().max() < 3


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: keras.random.normal((2, -1)), ValueError),
        (lambda: keras.random.normal((2,), dtype="int32"), TypeError),
        (lambda: keras.random.normal((2,), seed="x"), TypeError),
        (lambda: keras.random.uniform((2,), minval=1, maxval=1), ValueError),
    ],
)
def test_bad_arguments(call, error):
    with pytest.raises(error):
        call()
