"""Hypothesis: random shapes and hyper-parameters, our step against torch's, in float64."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chainrule import optim
from chainrule.nn import Parameter

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
unit = st.floats(0.0, 0.99)

CONFIGS = st.one_of(
    st.tuples(
        st.just("SGD"),
        st.fixed_dictionaries({"lr": st.floats(1e-3, 1.0), "momentum": unit, "weight_decay": unit}),
    ),
    st.tuples(
        st.just("Adam"),
        st.fixed_dictionaries(
            {
                "lr": st.floats(1e-3, 1.0),
                "betas": st.tuples(unit, unit),
                "amsgrad": st.booleans(),
                "eps": st.floats(1e-8, 1e-2),
                "weight_decay": unit,
            }
        ),
    ),
    st.tuples(
        st.just("RMSprop"),
        st.fixed_dictionaries(
            {"lr": st.floats(1e-3, 0.1), "momentum": unit, "centered": st.booleans()}
        ),
    ),
    st.tuples(
        st.just("NAdam"),
        st.fixed_dictionaries(
            {
                "lr": st.floats(1e-3, 0.1),
                "betas": st.tuples(unit, unit),
                "momentum_decay": st.floats(0.0, 0.1),
            }
        ),
    ),
)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, config=CONFIGS, seed=st.integers(0, 2**16))
def test_random_configs_match_torch(shape, config, seed):
    name, kw = config
    gen = np.random.default_rng(seed)  # a local stream owned by this test example
    init = gen.standard_normal(shape)
    p, tp = Parameter(init.copy()), torch.tensor(init.copy(), requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        topt = getattr(torch.optim, name)([tp], **kw)
        for _ in range(4):
            g = gen.standard_normal(shape)
            p.grad, tp.grad = g, torch.from_numpy(g.copy())
            opt.step()
            topt.step()
    finally:
        torch.set_default_dtype(old)
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
