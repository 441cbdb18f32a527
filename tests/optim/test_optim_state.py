"""state_dict / load_state_dict (exact resumption), configs, the registry, dtypes, bad arguments."""

import copy
import json

import numpy as np
import pytest

import chainrule
from chainrule import optim, optimizers
from chainrule.nn import Parameter

SHAPES = [(3, 4), (4,)]
ALL = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.Adagrad, {"lr": 0.1}),
    (optim.RMSprop, {"momentum": 0.5, "centered": True}),
    (optim.Adam, {"amsgrad": True, "weight_decay": 0.01}),
    (optim.AdamW, {}),
    (optim.Adadelta, {}),
    (optim.Adamax, {}),
    (optim.NAdam, {}),
]
IDS = [c.__name__ for c, _ in ALL]


def _grads(n, dtype=np.float32):
    gen = chainrule.random.get_generator()
    return [[gen.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(n)]


def _params(dtype=np.float32, seed=1):
    gen = np.random.default_rng(seed)
    return [Parameter(gen.standard_normal(s).astype(dtype)) for s in SHAPES]


def _run(opt, params, grads):
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = g
        opt.step()


def _split_and_rejoin(sd):
    """What the model-file code does: JSON for everything but the arrays, arrays apart."""
    text = json.dumps({k: v for k, v in sd.items() if k != "state"})
    arrays = {f"{i}.{k}": v for i, bufs in sd["state"].items() for k, v in bufs.items()}
    rejoined = json.loads(text)
    rejoined["state"] = {}
    for key, arr in arrays.items():
        i, name = key.split(".", 1)
        rejoined["state"].setdefault(i, {})[name] = arr
    return rejoined


@pytest.mark.parametrize("cls, kw", ALL, ids=IDS)
def test_resume_is_bit_identical(cls, kw):
    grads = _grads(8)
    a_params = _params()
    a = cls(
        a_params,
        lr=optim.CosineDecay(0.05, decay_steps=8, warmup_steps=2),
        **{k: v for k, v in kw.items() if k != "lr"},
    )
    _run(a, a_params, grads[:4])
    sd = _split_and_rejoin(a.state_dict())
    b_params = [Parameter(p.data.copy()) for p in a_params]
    b = optim.get(sd["config"], params=b_params)
    b.load_state_dict(sd)
    assert b.iterations == 4 and b.lr == a.lr
    _run(a, a_params, grads[4:])
    _run(b, b_params, grads[4:])
    for pa, pb in zip(a_params, b_params):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert pb.data.dtype == np.float32
    for sa, sb in zip(a.state_dict()["state"].values(), b.state_dict()["state"].values()):
        for k in sa:
            np.testing.assert_array_equal(sa[k], sb[k])
            assert sa[k].dtype == sb[k].dtype


def test_state_dict_arrays_are_copies():
    params = _params()
    opt = optim.Adam(params)
    _run(opt, params, _grads(1))
    sd = opt.state_dict()
    before = sd["state"][0]["exp_avg"].copy()
    _run(opt, params, _grads(1))
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)


def _bad_variants(sd):
    def mutate(fn):
        bad = copy.deepcopy(sd)
        fn(bad)
        return bad

    return {
        "shape": (
            mutate(lambda d: d["state"][0].__setitem__("exp_avg", np.zeros((4, 3)))),
            "buffer 'exp_avg' has shape",
        ),
        "names": (mutate(lambda d: d["state"][1].pop("exp_avg_sq")), "expected"),
        "index": (mutate(lambda d: d["state"].__setitem__(5, d["state"][0])), "parameter 5"),
        "groups": (
            mutate(lambda d: d["param_groups"].append(d["param_groups"][0])),
            "2 param groups",
        ),
        "class": (mutate(lambda d: d["config"].__setitem__("name", "SGD")), "saved by SGD"),
        "options": (mutate(lambda d: d["param_groups"][0].pop("eps")), "options"),
        "hyper": (mutate(lambda d: d["param_groups"][0].__setitem__("betas", [1.5, 0.9])), "betas"),
        "iterations": (mutate(lambda d: d.__setitem__("iterations", -1)), "iterations"),
        "missing": (mutate(lambda d: d.pop("state")), "missing"),
    }


@pytest.mark.parametrize(
    "variant",
    ["shape", "names", "index", "groups", "class", "options", "hyper", "iterations", "missing"],
)
def test_bad_state_dict_raises_before_changing_anything(variant):
    params = _params()
    opt = optim.Adam(params, lr=0.01)
    _run(opt, params, _grads(2))
    good = opt.state_dict()
    bad, match = _bad_variants(good)[variant]
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["iterations"] == 2 and after["param_groups"] == good["param_groups"]
    for i in good["state"]:
        for k in good["state"][i]:
            np.testing.assert_array_equal(after["state"][i][k], good["state"][i][k])


@pytest.mark.parametrize("cls, kw", ALL, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved_with_numpy_float64_hyperparameters(cls, kw, dtype):
    params = _params(dtype)
    ids = [id(p.data) for p in params]
    opt = cls(params, **{**kw, "lr": np.float64(0.01)}, clipnorm=np.float64(1.0))
    if "weight_decay" in opt.defaults:
        opt.param_groups[0]["weight_decay"] = 0.01
    grads = _grads(3, dtype)
    grads[1] = [g.astype(np.float64) for g in grads[1]]  # even a float64 gradient must not leak
    _run(opt, params, grads)
    assert [id(p.data) for p in params] == ids  # updated in place, never rebound
    for p in params:
        assert p.data.dtype == dtype
    for bufs in opt.state_dict()["state"].values():
        for k, v in bufs.items():
            assert v.dtype == (dtype if v.ndim else v.dtype), k


def test_step_never_writes_into_gradients():
    params = _params()
    shared = np.full(SHAPES[1], 2.0, np.float32)
    params[1].grad = shared
    params[0].grad = np.ones(SHAPES[0], np.float32)
    optim.Adam(params, weight_decay=0.1, clipnorm=0.5).step()
    np.testing.assert_array_equal(shared, 2.0)


KERAS = {  # string -> Keras-door class and Keras's documented defaults (in the shared rule's names)
    "sgd": (optimizers.SGD, {"lr": 0.01, "momentum": 0.0}),
    "adam": (optimizers.Adam, {"lr": 0.001, "eps": 1e-7, "betas": (0.9, 0.999)}),
    "adamw": (optimizers.AdamW, {"lr": 0.001, "eps": 1e-7, "weight_decay": 0.004}),
    "rmsprop": (optimizers.RMSprop, {"lr": 0.001, "alpha": 0.9, "eps": 1e-7}),
    "adagrad": (optimizers.Adagrad, {"lr": 0.001, "eps": 1e-7, "initial_accumulator_value": 0.1}),
    "adadelta": (optimizers.Adadelta, {"lr": 0.001, "rho": 0.95, "eps": 1e-7}),
    "adamax": (optimizers.Adamax, {"lr": 0.001, "eps": 1e-7}),
    "nadam": (optimizers.Nadam, {"lr": 0.001, "eps": 1e-7}),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_registry_keras_defaults_and_config_round_trip(name):
    cls, expected = KERAS[name]
    opt = optim.get(name.upper())
    assert type(opt) is cls and not opt.built
    for k, v in expected.items():
        assert opt.defaults[k] == v, k
    params = _params()
    opt.build(params)
    assert opt.built and opt.params == params
    again = optim.get(json.loads(json.dumps(opt.get_config())))
    assert type(again) is cls and again.get_config() == opt.get_config()
    assert optim.get(opt) is opt
    assert optim.get(name, lr=0.5).lr == 0.5
    assert optim.get(name, learning_rate=0.25).learning_rate == 0.25


@pytest.mark.parametrize(
    "make, exc, match",
    [
        (lambda p: optim.SGD(p, lr=-0.1), ValueError, "SGD: lr must be in"),
        (lambda p: optim.Adam(p, betas=(1.0, 0.999)), ValueError, r"Adam: betas\[0\]"),
        (lambda p: optim.AdamW(p, betas=(0.9, -0.1)), ValueError, r"AdamW: betas\[1\]"),
        (lambda p: optim.NAdam(p, betas=0.9), ValueError, "pair"),
        (lambda p: optim.Adam(p, eps=-1e-8), ValueError, "eps"),
        (lambda p: optim.Adam(p, lr="fast"), TypeError, "lr must be"),
        (lambda p: optim.SGD(p, nesterov=True), ValueError, "nesterov"),
        (lambda p: optim.SGD(p, momentum=-0.5), ValueError, "momentum"),
        (lambda p: optim.RMSprop(p, alpha=1.5), ValueError, "alpha"),
        (lambda p: optim.Adadelta(p, weight_decay=float("nan")), ValueError, "weight_decay"),
        (lambda p: optim.Adam([{"params": p, "lr": 0.1, "beta": 0.5}]), ValueError, "unknown"),
        (lambda p: optim.Adam(p + [p[0]]), ValueError, "appears twice"),
        (lambda p: optim.Adam([np.ones(3)]), TypeError, "must be Tensors"),
        (lambda p: optim.Adam([chainrule.tensor([1, 2])]), TypeError, "floating-point"),
        (lambda p: optim.Adam([]), ValueError, "empty"),
        (lambda p: optim.get("lbfgs"), ValueError, "unknown optimizer 'lbfgs'"),
        (lambda p: optim.get(3), TypeError, "expected a name"),
        (lambda p: optim.get({"name": "Foo"}), ValueError, "unknown optimizer config"),
        (lambda p: optim.SGD(p, differentiable=True), ValueError, "differentiable"),
        (lambda p: optim.Adam(p).build(p), ValueError, "already built"),
        (lambda p: optim.get("sgd").step(), ValueError, "no parameters"),
    ],
)
def test_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make(_params())


def test_gradient_shape_mismatch_is_reported_before_update():
    params = _params()
    before = params[0].data.copy()
    opt = optim.SGD(params, lr=0.1)
    params[0].grad = np.ones((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"gradient of parameter 0 has shape \(4, 3\)"):
        opt.step()
    np.testing.assert_array_equal(params[0].data, before)


def test_zero_grad_and_frozen_parameters():
    params = _params()
    params[1].requires_grad = False
    before = params[1].data.copy()
    opt = optim.SGD(params, lr=0.1)
    _run(opt, params, _grads(1))
    np.testing.assert_array_equal(params[1].data, before)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_bad_gradient_in_a_later_parameter_leaves_earlier_ones_untouched():
    params = _params()
    before = [p.data.copy() for p in params]
    opt = optim.Adam(params, lr=0.1)
    params[0].grad = np.ones(SHAPES[0], np.float32)
    params[1].grad = np.ones((5,), np.float32)
    with pytest.raises(ValueError, match=r"parameter 1 has shape \(5,\)"):
        opt.step()
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.data, b)
    assert opt.iterations == 0 and opt.state_dict()["state"] == {}


def test_single_tensor_or_single_group_is_accepted():
    p = Parameter(np.ones((2, 3), np.float32))
    assert optim.SGD(p).params == [p]
    assert optim.SGD({"params": [p], "lr": 0.5}).param_groups[0]["lr"] == 0.5


def test_registry_accepts_keras_argument_names():
    opt = optim.get("adam", learning_rate=0.02, epsilon=1e-6, beta_2=0.98)
    assert opt.lr == 0.02 and opt.defaults["eps"] == 1e-6 and opt.defaults["betas"] == (0.9, 0.98)
    with pytest.raises(ValueError, match=r"betas\[0\]"):
        optim.get("nadam", beta_1=1.2)
