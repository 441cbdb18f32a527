"""GradientMonitor: per-layer norms match the gradients the step used, warnings name the layer."""

import math

import numpy as np
import pytest

import chainrule
from chainrule import layers
from chainrule.callbacks import GradientMonitor


def _data(n=64, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return x, y


def test_records_per_layer_and_matches_manual_gradient(tmp_path):
    chainrule.manual_seed(0)
    model = chainrule.Sequential(
        [
            layers.Dense(8, activation="relu", name="h1"),
            layers.Dense(2, activation="softmax", name="out"),
        ]
    )
    model.compile(chainrule.optim.SGD(lr=0.1), "sparse_categorical_crossentropy")
    x, y = _data()
    model.fit(x[:1], y[:1], epochs=1, batch_size=1, verbose=0)  # build
    w0 = [np.array(w) for w in model.get_weights()]
    mon = GradientMonitor(plot_to=tmp_path / "g.png", verbose=0)
    model.fit(x, y, epochs=1, batch_size=64, shuffle=False, verbose=0, callbacks=[mon])
    assert mon.layers == ["h1", "out"] and mon.steps == [0]
    # the same gradient by hand, at the weights before the step
    model.set_weights(w0)
    loss = chainrule.losses.get("sparse_categorical_crossentropy")(y, model(chainrule.tensor(x)))
    loss.backward()
    h1 = model.layers[0]
    g = math.sqrt(float((h1.kernel.grad**2).sum() + (h1.bias.grad**2).sum()))
    assert mon.history["h1"]["grad_norm"][0] == pytest.approx(g, rel=1e-5)
    w = math.sqrt(float((w0[0] ** 2).sum() + (w0[1] ** 2).sum()))
    assert mon.history["h1"]["weight_norm"][0] == pytest.approx(w, rel=1e-6)
    # plain SGD: update = lr · grad, so the ratio is 0.1·g / w
    assert mon.history["h1"]["update_ratio"][0] == pytest.approx(0.1 * g / w, rel=1e-4)
    dead = mon.history["h1"]["dead_fraction"][0]
    assert dead == pytest.approx(float(np.mean(h1.bias.grad == 0)))
    assert math.isnan(mon.history["out"]["dead_fraction"][0])  # no ReLU there
    assert (tmp_path / "g.png").stat().st_size > 1000
    assert "_gradient_observers" not in model.__dict__ or not model._gradient_observers


def test_warns_once_naming_the_vanishing_layer():
    chainrule.manual_seed(0)
    stack = [layers.Dense(16, activation="sigmoid", name=f"s{i}") for i in range(12)]
    model = chainrule.Sequential([*stack, layers.Dense(2, activation="softmax", name="out")])
    model.compile(chainrule.optim.SGD(lr=0.01), "sparse_categorical_crossentropy")
    x, y = _data()
    mon = GradientMonitor(vanish=1e-4)
    with pytest.warns(UserWarning, match=r"vanishing in layer 's0'"):
        model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[mon])
    assert sum("'s0'" in m for m in mon.warnings) == 1  # once, not once per step
    assert mon.history["s0"]["grad_norm"][0] < mon.history["out"]["grad_norm"][0]


def test_dead_relu_and_explode_warnings():
    chainrule.manual_seed(0)
    model = chainrule.Sequential(
        [layers.Dense(8, activation="relu", bias_initializer=chainrule.initializers.Constant(-50.0),
                      name="dead"), layers.Dense(2, activation="softmax", name="out")]
    )  # fmt: skip
    model.compile(chainrule.optim.SGD(lr=0.01), "sparse_categorical_crossentropy")
    x, y = _data()
    mon = GradientMonitor(explode=1e-3, verbose=0, every=2)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[mon])
    assert mon.steps == [0, 2]
    assert any("dying ReLUs in layer 'dead'" in m for m in mon.warnings)
    assert any("exploding in layer 'out'" in m for m in mon.warnings)
    assert mon.history["dead"]["dead_fraction"] == [1.0, 1.0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="every"):
        GradientMonitor(every=0)
    with pytest.raises(ValueError, match="vanish"):
        GradientMonitor(vanish=1.0, explode=0.5)
    with pytest.raises(ValueError, match="plot"):
        GradientMonitor().plot("x.png")
