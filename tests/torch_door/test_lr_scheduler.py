"""optim.lr_scheduler against torch.optim.lr_scheduler: the same learning rates (and momenta) over
40 steps, to 1e-12."""

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.optim as optim

STEPS = 40

CASES = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [5, 12, 12, 30], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.93}),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}),  # past T_max too (periodic)
    ("CosineAnnealingLR", {"T_max": 40}),
    ("LambdaLR", {"lr_lambda": lambda e: 0.95**e + 0.1 * (e % 3)}),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.9, "total_iters": 17}),
    ("LinearLR", {}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": STEPS}),
    (
        "OneCycleLR",
        {
            "max_lr": [0.3, 0.1],
            "epochs": 4,
            "steps_per_epoch": 10,
            "pct_start": 0.25,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
    ),
    (
        "OneCycleLR",
        {
            "max_lr": 0.3,
            "total_steps": STEPS,
            "cycle_momentum": False,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
    ),
]


def _pair(opt_name, **kw):
    ps = [cr.zeros(2, requires_grad=True), cr.zeros(3, requires_grad=True)]
    ts = [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)]
    ours = getattr(optim, opt_name)([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}], **kw)
    theirs = getattr(torch.optim, opt_name)([{"params": ts[:1]}, {"params": ts[1:], "lr": 0.05}],
                                            **kw)  # fmt: skip
    return ours, theirs


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_schedulers_match_torch(case, opt_name):
    name, kw = case
    extra = {"momentum": 0.9} if opt_name == "SGD" else {}
    ours, theirs = _pair(opt_name, lr=0.1, **extra)
    s_ours = getattr(optim.lr_scheduler, name)(ours, **kw)
    s_theirs = getattr(torch.optim.lr_scheduler, name)(theirs, **kw)
    assert s_ours.get_last_lr() == pytest.approx(s_theirs.get_last_lr(), rel=1e-12)
    for _ in range(STEPS - 1 if name == "OneCycleLR" else STEPS):
        ours.step(), theirs.step()
        s_ours.step(), s_theirs.step()
        np.testing.assert_allclose(s_ours.get_last_lr(), s_theirs.get_last_lr(), rtol=1e-12)
        for g, tg in zip(ours.param_groups, theirs.param_groups):
            assert g["lr"] == pytest.approx(tg["lr"], rel=1e-12)
            key = "momentum" if opt_name == "SGD" else "betas"
            np.testing.assert_allclose(np.ravel(g[key]), np.ravel(tg[key]), rtol=1e-12)
    assert s_ours.last_epoch == s_theirs.last_epoch
    if name == "OneCycleLR":
        with pytest.raises(ValueError, match="total steps"):
            s_ours.step(), s_ours.step()


def test_reduce_lr_on_plateau_matches_torch():
    ours, theirs = _pair("SGD", lr=0.1)
    kw = {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 1,
          "min_lr": [0.01, 0.02]}  # fmt: skip
    s_ours = optim.lr_scheduler.ReduceLROnPlateau(ours, **kw)
    s_theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kw)
    metrics = [1.0, 0.9, 0.95, 0.92, 0.91, 0.905, 0.8, 0.85, 0.84, 0.83, 0.83, 0.9, 0.95, 0.97,
               0.99, 1.0, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75]  # fmt: skip
    for m in metrics:
        s_ours.step(m)
        s_theirs.step(m)
        np.testing.assert_allclose(s_ours.get_last_lr(), s_theirs.get_last_lr(), rtol=1e-12)
    assert s_ours.num_bad_epochs == s_theirs.num_bad_epochs
    mx = optim.lr_scheduler.ReduceLROnPlateau(_pair("SGD", lr=0.1)[0], mode="max", patience=0,
                                              threshold_mode="abs")  # fmt: skip
    mx.step(cr.tensor(1.0)), mx.step(0.5)
    assert mx.get_last_lr()[0] == pytest.approx(0.01)


def test_scheduler_state_dict_and_bad_arguments():
    ours, _ = _pair("SGD", lr=0.1)
    sched = optim.lr_scheduler.StepLR(ours, step_size=2, gamma=0.5)
    for _ in range(3):
        sched.step()
    state = sched.state_dict()
    assert state["last_epoch"] == 3 and "optimizer" not in state
    fresh, _ = _pair("SGD", lr=0.1)
    other = optim.lr_scheduler.StepLR(fresh, step_size=2, gamma=0.5)
    other.load_state_dict(state)
    other.step(), sched.step()
    assert other.last_epoch == sched.last_epoch == 4
    with pytest.raises(ValueError, match="step_size"):
        optim.lr_scheduler.StepLR(ours, step_size=0)
    with pytest.raises(ValueError, match="total_steps OR"):
        optim.lr_scheduler.OneCycleLR(ours, max_lr=0.1)
    no_momentum = optim.Adagrad([cr.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="momentum or beta1"):
        optim.lr_scheduler.OneCycleLR(no_momentum, max_lr=0.1, total_steps=5)
