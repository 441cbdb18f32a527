"""The edge-case table (``edge_cases.EDGE``) against PyTorch: values, dtypes, NaN placement, grads."""

import numpy as np
import pytest
from edge_cases import EDGE
from oracle_harness import check


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, dtypes", EDGE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_edge_case(cr_fn, torch_fn, inputs, dtypes, dtype):
    if dtype not in dtypes:
        pytest.skip(f"this row means nothing in {np.dtype(dtype).name}")
    with np.errstate(all="ignore"):
        check(cr_fn, torch_fn, *inputs, dtype=dtype)
