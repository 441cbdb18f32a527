"""Every optimiser and variant against torch.optim: same initial weights, same gradients each step."""

import numpy as np
import pytest
import torch

import chainrule
from chainrule import optim
from chainrule.nn import Parameter

SHAPES = [(4, 3), (5,), ()]
STEPS = 10

# (id, our class, our kwargs, torch class, torch kwargs)
CASES = [
    ("sgd", optim.SGD, {"lr": 0.1}, torch.optim.SGD, {"lr": 0.1}),
    (
        "sgd-wd",
        optim.SGD,
        {"lr": 0.1, "weight_decay": 0.05},
        torch.optim.SGD,
        {"lr": 0.1, "weight_decay": 0.05},
    ),
    (
        "sgd-momentum",
        optim.SGD,
        {"lr": 0.05, "momentum": 0.9},
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9},
    ),
    (
        "sgd-dampening",
        optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.8, "dampening": 0.3},
    ),
    (
        "sgd-nesterov-wd",
        optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
        torch.optim.SGD,
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    ),
    (
        "adagrad",
        optim.Adagrad,
        {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
        torch.optim.Adagrad,
        {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1},
    ),
    (
        "adagrad-wd",
        optim.Adagrad,
        {"lr": 0.1, "weight_decay": 0.1},
        torch.optim.Adagrad,
        {"lr": 0.1, "weight_decay": 0.1},
    ),
    (
        "rmsprop",
        optim.RMSprop,
        {"lr": 0.01, "alpha": 0.9},
        torch.optim.RMSprop,
        {"lr": 0.01, "alpha": 0.9},
    ),
    (
        "rmsprop-momentum-centered-wd",
        optim.RMSprop,
        {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01},
        torch.optim.RMSprop,
        {"lr": 0.01, "momentum": 0.9, "centered": True, "weight_decay": 0.01},
    ),
    (
        "rmsprop-centered",
        optim.RMSprop,
        {"lr": 0.01, "centered": True},
        torch.optim.RMSprop,
        {"lr": 0.01, "centered": True},
    ),
    ("adam", optim.Adam, {"lr": 0.01}, torch.optim.Adam, {"lr": 0.01}),
    (
        "adam-amsgrad-wd",
        optim.Adam,
        {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.1},
        torch.optim.Adam,
        {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.1},
    ),
    (
        "adamw",
        optim.AdamW,
        {"lr": 0.01, "weight_decay": 0.1},
        torch.optim.AdamW,
        {"lr": 0.01, "weight_decay": 0.1},
    ),
    (
        "adamw-amsgrad",
        optim.AdamW,
        {"lr": 0.01, "amsgrad": True},
        torch.optim.AdamW,
        {"lr": 0.01, "amsgrad": True},
    ),
    ("adadelta", optim.Adadelta, {"lr": 1.0}, torch.optim.Adadelta, {"lr": 1.0}),
    (
        "adadelta-wd",
        optim.Adadelta,
        {"lr": 0.5, "rho": 0.95, "weight_decay": 0.1},
        torch.optim.Adadelta,
        {"lr": 0.5, "rho": 0.95, "weight_decay": 0.1},
    ),
    ("adamax", optim.Adamax, {"lr": 0.01}, torch.optim.Adamax, {"lr": 0.01}),
    (
        "adamax-wd",
        optim.Adamax,
        {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.1},
        torch.optim.Adamax,
        {"lr": 0.01, "betas": (0.5, 0.9), "weight_decay": 0.1},
    ),
    ("nadam", optim.NAdam, {"lr": 0.01}, torch.optim.NAdam, {"lr": 0.01}),
    (
        "nadam-wd",
        optim.NAdam,
        {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01},
        torch.optim.NAdam,
        {"lr": 0.01, "weight_decay": 0.1, "momentum_decay": 0.01},
    ),
]

# PyTorch-only options (maximize, decoupled weight decay in Adam/NAdam), appended so the indices
# used by test_missing_gradients_skip_like_torch stay valid
CASES += [
    (f"{name}-maximize", cls, {**kw, "maximize": True}, tcls, {**kw, "maximize": True})
    for name, cls, kw, tcls, _ in [c for c in CASES if c[0] in (
        "sgd-momentum", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam")]
]  # fmt: skip
CASES += [
    (
        "adam-decoupled",
        optim.Adam,
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        torch.optim.Adam,
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
    (
        "nadam-decoupled",
        optim.NAdam,
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
        torch.optim.NAdam,
        {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ),
]

TOL = {np.float32: {"rtol": 2e-5, "atol": 2e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-13}}


def _draws(dtype, steps=STEPS):
    gen = chainrule.random.get_generator()
    init = [np.asarray(gen.standard_normal(s), dtype) for s in SHAPES]
    grads = [[np.asarray(gen.standard_normal(s), dtype) for s in SHAPES] for _ in range(steps)]
    return init, grads


def run_both(ours_cls, ours_kw, torch_cls, torch_kw, dtype, skip=()):
    """Step both optimisers on identical data; ``skip`` holds (step, param) pairs given no grad."""
    init, grads = _draws(dtype)
    ours = [Parameter(a.copy()) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt = ours_cls(ours, **ours_kw)
    old_default = torch.get_default_dtype()
    # torch keeps scalar state (NAdam's mu_product) in the default dtype
    torch.set_default_dtype(torch.float64 if dtype == np.float64 else torch.float32)
    try:
        topt = torch_cls(theirs, **torch_kw)
        for t, step_grads in enumerate(grads):
            for j, (p, tp, g) in enumerate(zip(ours, theirs, step_grads)):
                has = (t, j) not in skip
                p.grad = g if has else None
                tp.grad = torch.from_numpy(g.copy()) if has else None
            opt.step()
            topt.step()
    finally:
        torch.set_default_dtype(old_default)
    return init, ours, theirs


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(case, dtype):
    _, ours_cls, ours_kw, torch_cls, torch_kw = case
    init, ours, theirs = run_both(ours_cls, ours_kw, torch_cls, torch_kw, dtype)
    for a, p, tp in zip(init, ours, theirs):
        assert p.data.dtype == dtype
        assert np.abs(p.data - a).max() > 1e-3  # the optimiser really moved the weights
        np.testing.assert_allclose(p.data, tp.detach().numpy(), **TOL[dtype])


@pytest.mark.parametrize(
    "case", [CASES[4], CASES[11], CASES[15], CASES[19]], ids=["sgd", "adam", "adadelta", "nadam"]
)
def test_missing_gradients_skip_like_torch(case):
    """A parameter without a gradient is left alone and its step count does not advance."""
    _, ours_cls, ours_kw, torch_cls, torch_kw = case
    skip = {(0, 1), (3, 1), (4, 0), (4, 2), (7, 2)}
    _, ours, theirs = run_both(ours_cls, ours_kw, torch_cls, torch_kw, np.float64, skip)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), **TOL[np.float64])


def test_param_groups_match_torch():
    init, grads = _draws(np.float32)
    ours = [Parameter(a.copy()) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt = optim.Adam(
        [{"params": ours[:2]}, {"params": ours[2:], "lr": 0.1, "amsgrad": True}],
        lr=0.01,
        weight_decay=0.01,
    )
    topt = torch.optim.Adam(
        [{"params": theirs[:2]}, {"params": theirs[2:], "lr": 0.1, "amsgrad": True}],
        lr=0.01,
        weight_decay=0.01,
    )
    for step_grads in grads:
        for p, tp, g in zip(ours, theirs, step_grads):
            p.grad, tp.grad = g, torch.from_numpy(g.copy())
        opt.step()
        topt.step()
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), **TOL[np.float32])


def test_schedule_drives_lr_like_torch_scheduler():
    init, grads = _draws(np.float64)
    ours = [Parameter(a.copy()) for a in init]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in init]
    opt = optim.SGD(ours, lr=optim.StepDecay(0.1, step_size=3, gamma=0.5), momentum=0.9)
    topt = torch.optim.SGD(theirs, lr=0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(topt, step_size=3, gamma=0.5)
    for step_grads in grads:
        assert opt.lr == pytest.approx(topt.param_groups[0]["lr"], rel=1e-15)
        for p, tp, g in zip(ours, theirs, step_grads):
            p.grad, tp.grad = g, torch.from_numpy(g.copy())
        opt.step()
        topt.step()
        sched.step()
    assert opt.iterations == STEPS
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), **TOL[np.float64])
