"""Finite differences in float64 (``chainrule.gradcheck``) over the same op table as the oracle.

Cases placed on a kink on purpose (``smooth=False``: ties, clip bounds, relu at 0, ±1e4) are left to
the oracle, since a central difference straddling a kink measures the average of two slopes.
"""

import numpy as np
import pytest
from op_cases import CASES
from oracle_harness import make_array

import chainrule as cr

SMOOTH = [c for c in CASES if c.values[3]]


def test_most_cases_are_smooth():
    assert len(SMOOTH) > 0.8 * len(CASES)


@pytest.mark.parametrize("cr_fn, torch_fn, inputs, smooth", SMOOTH)
def test_gradcheck(cr_fn, torch_fn, inputs, smooth):
    arrays = [make_array(s, np.float64) for s in inputs]
    assert cr.gradcheck(cr_fn, arrays, eps=1e-6, atol=1e-6, rtol=1e-5)
