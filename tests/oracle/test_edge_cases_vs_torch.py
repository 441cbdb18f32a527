"""The edge-case table (``edge_cases.EDGE``) against PyTorch: values, dtypes, NaN placement, grads."""

import numpy as np
import pytest
from edge_cases import EDGE
from oracle_harness import check

# both libraries warn about empty slices and missing degrees of freedom; the values are the point
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")

PARAMS = [
    pytest.param(*p.values[:3], dtype, id=f"{np.dtype(dtype).name}-{p.id}")
    for p in EDGE
    for dtype in p.values[3]
]


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, dtype", PARAMS)
def test_edge_case(cr_fn, torch_fn, inputs, dtype):
    with np.errstate(all="ignore"):
        check(cr_fn, torch_fn, *inputs, dtype=dtype)
