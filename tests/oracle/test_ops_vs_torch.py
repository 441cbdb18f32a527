"""Every differentiable op against PyTorch: forward values and every input's gradient.

float64 to ~1e-10 relative, float32 to ~1e-5 (see ``oracle_harness.TOLERANCES``).
"""

import numpy as np
import pytest
from op_cases import CASES
from oracle_harness import check


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, smooth", CASES)
def test_float64(cr_fn, torch_fn, inputs, smooth):
    check(cr_fn, torch_fn, *inputs, dtype=np.float64)


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, smooth", CASES)
def test_float32(cr_fn, torch_fn, inputs, smooth):
    check(cr_fn, torch_fn, *inputs, dtype=np.float32)
