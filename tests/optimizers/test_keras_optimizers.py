"""The Keras door's optimisers: Keras 3's defaults and update formulas, schedules and API.

Reference values in keras_reference.json were computed with keras 3.15.1 (JAX backend, float64)
by make_keras_reference.py, run once outside this suite (Keras is never imported here).
"""

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import optimizers
from chainrule.optimizers import schedules

REF = json.loads((Path(__file__).parent / "keras_reference.json").read_text())

#: Keras 3.15's documented signatures (keras.optimizers.X), the arguments chainrule implements
KERAS_DEFAULTS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
             "amsgrad": False},
    "AdamW": {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999,
              "epsilon": 1e-07, "amsgrad": False},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-07,
                "centered": False},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-07},
    "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-07},
    "Adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07},
}  # fmt: skip
COMMON = {"weight_decay": None, "clipnorm": None, "clipvalue": None, "global_clipnorm": None,
          "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
          "loss_scale_factor": None, "gradient_accumulation_steps": None, "name": None}  # fmt: skip


@pytest.mark.parametrize("name", sorted(KERAS_DEFAULTS))
def test_signature_defaults_are_keras(name):
    cls = getattr(optimizers, name)
    params = inspect.signature(cls).parameters
    expected = {**COMMON, **KERAS_DEFAULTS[name]}
    for arg, default in expected.items():
        assert params[arg].default == default, (name, arg)
    order = [k for k in params if k in KERAS_DEFAULTS[name]]
    assert order == list(KERAS_DEFAULTS[name]), "positional order as in Keras"
    opt = cls()
    assert opt.learning_rate == KERAS_DEFAULTS[name]["learning_rate"]
    cfg = opt.get_config()
    for arg, default in {**KERAS_DEFAULTS[name], **COMMON}.items():
        if arg not in ("name", "weight_decay"):
            assert cfg[arg] == default, (name, arg)
    assert cfg["name"] == ("SGD" if name == "SGD" else name.lower())


def _run(cid, kw):
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    cls = getattr(optimizers, cid.split("-")[0])
    opt = cls(**kw)
    v = cr.nn.Parameter(init.copy())
    for g in grads:
        opt.apply([g], [v])
    return opt, v


CASES = {
    "SGD": {}, "SGD-momentum": {"momentum": 0.9},
    "SGD-nesterov-wd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
    "Adam": {}, "Adam-amsgrad-wd": {"amsgrad": True, "weight_decay": 0.05, "learning_rate": 0.01},
    "AdamW": {"learning_rate": 0.01}, "RMSprop": {},
    "RMSprop-momentum-centered": {"momentum": 0.9, "centered": True, "learning_rate": 0.01},
    "Adagrad": {"learning_rate": 0.1}, "Adadelta": {"learning_rate": 1.0},
    "Adamax": {"learning_rate": 0.01}, "Nadam": {"learning_rate": 0.01},
    "SGD-clipnorm": {"momentum": 0.5, "clipnorm": 0.5, "learning_rate": 0.1},
    "Adam-schedule": {"learning_rate": schedules.ExponentialDecay(0.01, 2, 0.5)},
}  # fmt: skip


@pytest.mark.parametrize("cid", sorted(CASES))
def test_updates_match_keras(cid):
    opt, v = _run(cid, CASES[cid])
    assert opt.iterations == 6 and v.dtype == np.float64
    np.testing.assert_allclose(v.numpy(), np.array(REF["params"][cid]), rtol=1e-10, atol=1e-12)


SCHEDULES = {
    "ExponentialDecay": lambda: schedules.ExponentialDecay(0.1, 3, 0.5),
    "ExponentialDecay-stair": lambda: schedules.ExponentialDecay(0.1, 3, 0.5, staircase=True),
    "PiecewiseConstantDecay": lambda: schedules.PiecewiseConstantDecay([3, 7], [1.0, 0.5, 0.1]),
    "CosineDecay": lambda: schedules.CosineDecay(0.1, 10, alpha=0.1),
    "CosineDecay-warmup": lambda: schedules.CosineDecay(0.0, 10, warmup_target=0.1,
                                                        warmup_steps=4),
    "PolynomialDecay": lambda: schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01,
                                                         power=2.0),
    "PolynomialDecay-cycle": lambda: schedules.PolynomialDecay(0.1, 4, cycle=True),
    "InverseTimeDecay": lambda: schedules.InverseTimeDecay(0.1, 2, 0.5),
    "InverseTimeDecay-stair": lambda: schedules.InverseTimeDecay(0.1, 2, 0.5, staircase=True),
}  # fmt: skip


@pytest.mark.parametrize("sid", sorted(SCHEDULES))
def test_schedules_match_keras_and_round_trip(sid):
    s = SCHEDULES[sid]()
    # Keras evaluates schedules in float32; chainrule in float64
    np.testing.assert_allclose([s(i) for i in range(16)], REF["schedules"][sid], rtol=2e-6)
    again = type(s).from_config(json.loads(json.dumps(s.get_config())))
    assert [again(i) for i in range(16)] == [s(i) for i in range(16)]


def test_strings_resolve_to_keras_classes_and_rmsprop_class_has_keras_defaults():
    for name, cls in optimizers.ALL_OPTIMIZERS.items():
        assert type(optimizers.get(name)) is cls and type(cr.optim.get(name.upper())) is cls
    rms = optimizers.RMSprop()
    assert rms.learning_rate == 0.001 and rms.get_config()["rho"] == 0.9
    assert rms.defaults["alpha"] == 0.9 and rms.defaults["eps"] == 1e-7
    x = np.random.default_rng(0).standard_normal((64, 5)).astype(np.float32)
    y = (x.sum(1) > 0).astype(np.int64)
    weights = []
    for opt in ("rmsprop", optimizers.RMSprop()):
        cr.manual_seed(0)
        model = cr.Sequential([cr.layers.Dense(8, activation="relu"), cr.layers.Dense(2)])
        loss = cr.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer=opt, loss=loss)
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        weights.append([w.copy() for w in model.get_weights()])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)  # the class and the string train identically


def test_keras_api_learning_rate_apply_config_and_model_file(tmp_path):
    opt = optimizers.Adam(learning_rate=0.01)
    v = cr.nn.Parameter(np.ones(3, np.float32))
    opt.apply_gradients(zip([np.ones(3, np.float32)], [v]))
    assert opt.iterations == 1 and v.dtype == np.float32 and v.numpy()[0] < 1
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.param_groups[0]["lr"] == 0.5
    opt.learning_rate = schedules.ExponentialDecay(0.1, 1, 0.5)
    assert opt.learning_rate == pytest.approx(0.05)  # evaluated at iterations = 1
    cfg = json.loads(json.dumps(opt.get_config()))
    again = optimizers.Adam.from_config(cfg)
    assert again.get_config() == opt.get_config()
    assert isinstance(optimizers.deserialize(optimizers.serialize(opt)), optimizers.Adam)
    with pytest.raises(ValueError, match="2 gradients for 1 variables"):
        opt.apply([np.ones(3), np.ones(3)])
    x = np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32)
    y = x @ np.ones((4, 1), np.float32)
    model = cr.Sequential([cr.layers.Dense(1)])
    model.compile(optimizer=optimizers.Nadam(learning_rate=0.01), loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "m.zip"
    cr.save_model(model, path, include_optimizer=True)
    loaded = cr.load_model(path)
    assert type(loaded.optimizer) is optimizers.Nadam
    assert loaded.optimizer.iterations == model.optimizer.iterations == 8
    assert loaded.optimizer.learning_rate == pytest.approx(0.01)
