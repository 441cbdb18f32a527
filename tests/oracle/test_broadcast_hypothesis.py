"""Binary ops over random broadcastable shape pairs (Hypothesis), against PyTorch in float64."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from oracle_harness import Pos, check

import chainrule.functional as F

BINARY = {
    "add": (F.add, torch.add, False),
    "sub": (F.sub, torch.sub, False),
    "mul": (F.mul, torch.mul, False),
    "div": (F.div, torch.div, True),
    "pow": (lambda a, b: F.pow(b, a), lambda a, b: torch.pow(b, a), True),
    "maximum": (F.maximum, torch.maximum, False),
    "minimum": (F.minimum, torch.minimum, False),
    "where": (
        lambda a, b: F.where(a.data > 0, a, b),
        lambda a, b: torch.where(a.detach() > 0, a, b),
        False,
    ),
}

SHAPES = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=3)


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=30, deadline=None)
@given(shapes=SHAPES)
def test_binary_broadcasting(name, shapes):
    cr_fn, torch_fn, positive_second = BINARY[name]
    sa, sb = shapes.input_shapes
    check(cr_fn, torch_fn, sa, Pos(sb) if positive_second else sb, dtype=np.float64)


@settings(max_examples=30, deadline=None)
@given(shapes=mutually_broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)", max_dims=2, max_side=3))
def test_matmul_batched_broadcasting(shapes):
    sa, sb = shapes.input_shapes
    check(F.matmul, torch.matmul, sa, sb, dtype=np.float64)
