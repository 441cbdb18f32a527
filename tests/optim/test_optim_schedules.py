"""Learning-rate schedules against torch.optim.lr_scheduler (and the closed forms where torch has none)."""

import json
import math

import numpy as np
import pytest
import torch

from chainrule import optim
from chainrule.custom_objects import custom_object_scope
from chainrule.nn import Parameter
from chainrule.optim.schedules import deserialize_lr, serialize_lr

N = 30
BASE = 0.1


def torch_lrs(make_scheduler, n=N, base=BASE):
    """The lr torch uses at steps 0..n-1 (scheduler stepped after each optimizer step)."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    sched = make_scheduler(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


PAIRS = [
    (
        optim.StepDecay(BASE, step_size=7, gamma=0.3),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.3),
    ),
    (
        optim.ExponentialDecay(BASE, decay_rate=0.9),
        lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    ),
    (
        optim.CosineDecay(BASE, decay_steps=20, alpha=0.1),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.1 * BASE),
    ),
    (
        optim.PolynomialDecay(BASE, decay_steps=12, end_lr=0.0, power=2.0),
        lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=12, power=2.0),
    ),
]


@pytest.mark.parametrize(
    "pair", PAIRS, ids=lambda p: type(p[0]).__name__ if isinstance(p, tuple) else str(p)
)
def test_schedule_matches_torch(pair):
    ours, make = pair
    n = 21 if isinstance(ours, optim.CosineDecay) else N  # torch's cosine keeps cycling after T_max
    np.testing.assert_allclose(
        [ours(k) for k in range(n)], torch_lrs(make, n), rtol=1e-9, atol=1e-15
    )


def test_cosine_warmup_matches_torch_linear_then_cosine():
    ours = optim.CosineDecay(
        BASE, decay_steps=15, alpha=0.0, warmup_steps=5, warmup_start_lr=0.01 * BASE
    )

    def make(o):
        warm = torch.optim.lr_scheduler.LinearLR(o, start_factor=0.01, total_iters=5)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=15)
        return torch.optim.lr_scheduler.SequentialLR(o, [warm, cos], milestones=[5])

    np.testing.assert_allclose(
        [ours(k) for k in range(21)], torch_lrs(make, 21), rtol=1e-9, atol=1e-15
    )
    assert ours(100) == pytest.approx(0.0, abs=1e-15)  # stays at alpha * lr after decay_steps


def test_exponential_staircase_and_polynomial_end_lr():
    s = optim.ExponentialDecay(1.0, decay_rate=0.5, decay_steps=4, staircase=True)
    assert [s(k) for k in (0, 3, 4, 9)] == [1.0, 1.0, 0.5, 0.25]
    p = optim.PolynomialDecay(1.0, decay_steps=10, end_lr=0.2)
    assert p(5) == pytest.approx(0.6) and p(10) == pytest.approx(0.2) and p(50) == p(10)


def _module_level_schedule(step):
    return 0.5 / (1 + step)


def test_lambda_schedule_and_plain_callable_lr():
    p = Parameter(np.ones(2, np.float32))
    opt = optim.SGD([p], lr=_module_level_schedule)
    assert isinstance(opt.param_groups[0]["lr"], optim.LambdaSchedule)
    for k in range(3):
        assert opt.lr == pytest.approx(0.5 / (1 + k))
        p.grad = np.ones(2, np.float32)
        opt.step()
    np.testing.assert_allclose(p.data, 1 - (0.5 + 0.25 + 0.5 / 3), rtol=1e-6)
    saved = json.loads(json.dumps(serialize_lr(opt.param_groups[0]["lr"])))
    with pytest.raises(ValueError, match="custom_objects"):  # a file never names code to import
        deserialize_lr(saved)
    with custom_object_scope({"_module_level_schedule": _module_level_schedule}):
        rebuilt = deserialize_lr(saved)
    assert rebuilt(3) == _module_level_schedule(3)
    with pytest.raises(ValueError, match="lambda"):
        deserialize_lr(serialize_lr(optim.LambdaSchedule(lambda s: 0.1)))


@pytest.mark.parametrize("sched", [s for s, _ in PAIRS], ids=lambda s: type(s).__name__)
def test_config_round_trip(sched):
    again = deserialize_lr(json.loads(json.dumps(serialize_lr(sched))))
    assert type(again) is type(sched) and again.get_config() == sched.get_config()
    assert [again(k) for k in range(10)] == [sched(k) for k in range(10)]


def test_setting_lr_replaces_schedule_and_keeps_float32():
    p = Parameter(np.ones(3, np.float32))
    opt = optim.Adam([p], lr=optim.ExponentialDecay(0.1, 0.5))
    opt.lr = np.float64(0.01)  # as a ReduceLROnPlateau callback might
    assert opt.lr == 0.01 and type(opt.param_groups[0]["lr"]) is float
    p.grad = np.ones(3, np.float32)
    opt.step()
    assert p.data.dtype == np.float32 and opt.learning_rate == 0.01


@pytest.mark.parametrize(
    "bad, match",
    [
        (lambda: optim.StepDecay(0.1, step_size=0), "step_size"),
        (lambda: optim.ExponentialDecay(0.1, decay_rate=-1.0), "decay_rate"),
        (lambda: optim.CosineDecay(0.1, decay_steps=10, alpha=2.0), "alpha"),
        (lambda: optim.CosineDecay(-0.1, decay_steps=10), "initial_lr"),
        (lambda: optim.PolynomialDecay(0.1, decay_steps=1.5), "decay_steps"),
        (lambda: optim.LambdaSchedule(3.0), "callable"),
        (lambda: deserialize_lr({"class_name": "Nope", "config": {}}), "Nope"),
    ],
)
def test_bad_schedule_arguments(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        bad()


def test_schedule_returning_negative_lr_is_reported():
    p = Parameter(np.ones(1, np.float32))
    opt = optim.SGD([p], lr=lambda step: -1.0)
    p.grad = np.ones(1, np.float32)
    with pytest.raises(ValueError, match="returned -1.0 at step 0"):
        opt.step()
    assert p.data[0] == 1.0 and opt.iterations == 0 and not math.isnan(p.data[0])
