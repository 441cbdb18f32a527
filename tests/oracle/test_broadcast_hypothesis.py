"""Hypothesis against PyTorch in float64: binary ops over random broadcastable shape pairs,
batched matmul, and reductions over random shapes and axes."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes
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
@given(
    shapes=mutually_broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)", max_dims=2, max_side=3)
)
def test_matmul_batched_broadcasting(shapes):
    sa, sb = shapes.input_shapes
    check(F.matmul, torch.matmul, sa, sb, dtype=np.float64)


REDUCTIONS = {
    "sum": (lambda a, ax, k: a.sum(axis=ax, keepdims=k), lambda t, d, k: t.sum(dim=d, keepdim=k)),
    "mean": (
        lambda a, ax, k: a.mean(axis=ax, keepdims=k),
        lambda t, d, k: t.mean(dim=d, keepdim=k),
    ),
    "max": (lambda a, ax, k: a.max(axis=ax, keepdims=k), lambda t, d, k: t.amax(dim=d, keepdim=k)),
    "min": (lambda a, ax, k: a.min(axis=ax, keepdims=k), lambda t, d, k: t.amin(dim=d, keepdim=k)),
    "var": (
        lambda a, ax, k: a.var(axis=ax, keepdims=k),
        lambda t, d, k: t.var(dim=d, correction=0, keepdim=k),
    ),
    "logsumexp": (
        lambda a, ax, k: F.logsumexp(a, ax, k),
        lambda t, d, k: torch.logsumexp(t, dim=d, keepdim=k),
    ),
}


@st.composite
def shape_and_axes(draw):
    shape = draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axes = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape)))
    if len({a % len(shape) for a in axes}) != len(axes):
        axes = axes[:1]
    return shape, tuple(axes), draw(st.booleans())


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=25, deadline=None)
@given(case=shape_and_axes())
def test_reductions_over_random_axes(name, case):
    shape, axes, keep = case
    cr_fn, torch_fn = REDUCTIONS[name]
    check(lambda a: cr_fn(a, axes, keep), lambda t: torch_fn(t, axes, keep), shape)
