"""The object wire format between ranks: JSON with tags, never pickle."""

import numpy as np
import pytest

from chainrule.distributed import codec


def test_round_trip_keeps_types_values_and_arrays():
    obj = {
        "t": (1, 2.5, float("nan"), float("-inf")),
        0: [np.arange(6, dtype=np.float32).reshape(2, 3), None, True, np.int64(7)],
        "order": np.random.default_rng(0).permutation(5),
    }
    out = codec.decode(codec.encode(obj))
    assert isinstance(out["t"], tuple) and out["t"][:2] == (1, 2.5)
    assert np.isnan(out["t"][2]) and out["t"][3] == float("-inf")
    arr = out[0][0]
    assert arr.dtype == np.float32 and arr.shape == (2, 3) and arr.flags.writeable
    np.testing.assert_array_equal(arr, obj[0][0])
    assert out[0][1:] == [None, True, 7]
    np.testing.assert_array_equal(out["order"], obj["order"])


def test_objects_outside_the_format_are_refused_both_ways():
    with pytest.raises(TypeError, match="cannot send a builtin_function_or_method"):
        codec.encode(print)
    with pytest.raises(TypeError, match="dtype object"):
        codec.encode(np.array([print], dtype=object))
    with pytest.raises(ValueError, match="unknown tag"):
        codec.decode(b'{"__reduce__": ["os", "system"]}')
    with pytest.raises(ValueError, match="refusing an array"):
        codec.decode(b'{"__array__": ["|O", [1], ""]}')
