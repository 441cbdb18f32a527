import json
import os

os.environ["KERAS_BACKEND"] = "jax"
import jax

jax.config.update("jax_enable_x64", True)
import keras
import numpy as np

keras.config.set_floatx("float64")
CASES = {
    "SGD": {},
    "SGD-momentum": {"momentum": 0.9},
    "SGD-nesterov-wd": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
    "Adam": {},
    "Adam-amsgrad-wd": {"amsgrad": True, "weight_decay": 0.05, "learning_rate": 0.01},
    "AdamW": {"learning_rate": 0.01},
    "RMSprop": {},
    "RMSprop-momentum-centered": {"momentum": 0.9, "centered": True, "learning_rate": 0.01},
    "Adagrad": {"learning_rate": 0.1},
    "Adadelta": {"learning_rate": 1.0},
    "Adamax": {"learning_rate": 0.01},
    "Nadam": {"learning_rate": 0.01},
    "SGD-clipnorm": {"momentum": 0.5, "clipnorm": 0.5, "learning_rate": 0.1},
    "Adam-schedule": {"learning_rate": keras.optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)},
}
out = {}
for cid, kw in CASES.items():
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(6)]
    cls = getattr(keras.optimizers, cid.split("-")[0])
    opt = cls(**kw)
    v = keras.Variable(init.copy(), dtype="float64")
    for g in grads:
        opt.apply([g], [v])
    out[cid] = np.asarray(v.value).tolist()
sched = {}
S = keras.optimizers.schedules
for name, s in {
    "ExponentialDecay": S.ExponentialDecay(0.1, 3, 0.5),
    "ExponentialDecay-stair": S.ExponentialDecay(0.1, 3, 0.5, staircase=True),
    "PiecewiseConstantDecay": S.PiecewiseConstantDecay([3, 7], [1.0, 0.5, 0.1]),
    "CosineDecay": S.CosineDecay(0.1, 10, alpha=0.1),
    "CosineDecay-warmup": S.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=4),
    "PolynomialDecay": S.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0),
    "PolynomialDecay-cycle": S.PolynomialDecay(0.1, 4, cycle=True),
    "InverseTimeDecay": S.InverseTimeDecay(0.1, 2, 0.5),
    "InverseTimeDecay-stair": S.InverseTimeDecay(0.1, 2, 0.5, staircase=True),
}.items():
    sched[name] = [float(s(i)) for i in range(16)]
with open("/tmp/kref/ref.json", "w") as fh:
    json.dump({"params": out, "schedules": sched}, fh)
print("ok")
