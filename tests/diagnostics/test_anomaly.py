"""Anomaly mode: a planted log(0) in forward and a planted 0/0 in backward are traced to their op,
their layer and the line that created them."""

from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule import layers
from chainrule.anomaly import AnomalyError, state
from chainrule.layers import Layer

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


class LogLayer(Layer):
    """log(relu(x)): log(0) = -inf wherever the ReLU is off."""

    def forward(self, x):
        return x.relu().log()  # the planted log(0)


class SqrtLayer(Layer):
    """0·sqrt(x²) at x = 0: the forward is finite (0) but sqrt's backward is 0 / (2·0) = NaN."""

    def forward(self, x):
        return (x * x).sqrt() * 0.0


def _model(block):
    chainrule.manual_seed(0)
    return chainrule.Sequential(
        [layers.Dense(3, name="hidden"), block, layers.Dense(1, name="out")]
    )


def test_forward_log_zero_names_op_layer_and_line():
    model = _model(LogLayer(name="logger"))
    x = chainrule.tensor(np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32))
    model(x)  # builds; outside anomaly mode the -inf passes silently
    with chainrule.detect_anomaly(), pytest.raises(AnomalyError) as info:
        model(x)
    err = info.value
    assert err.op == "log" and err.phase == "forward"
    assert err.layer.endswith("logger")
    assert err.site.startswith(__file__)
    line = int(err.site.rsplit(":", 1)[1])
    assert "planted log(0)" in Path(__file__).read_text().splitlines()[line - 1]
    msg = str(err)
    assert "input 0: shape (2, 3) float32" in msg and "0 NaN, 0 inf" in msg
    assert "inf values" in msg
    assert not state.on and not state.modules  # restored after the error


def test_backward_zero_over_zero_names_sqrt_and_layer():
    model = _model(SqrtLayer(name="rooter"))
    x = np.zeros((4, 2), dtype=np.float32)
    with chainrule.detect_anomaly():
        out = model(chainrule.tensor(x))
        assert np.isfinite(out.data).all()
        with pytest.raises(AnomalyError) as info:
            out.sum().backward()
    err = info.value
    assert err.op == "sqrt" and err.phase == "backward"
    assert err.layer.endswith("rooter")
    msg = str(err)
    assert "incoming gradient: shape (4, 3) float32, min 0, max 0, 0 NaN, 0 inf" in msg
    assert "gradient for input 0: shape (4, 3) float32, no finite values, 12 NaN, 0 inf" in msg


def test_fit_detect_anomaly():
    model = _model(LogLayer(name="logger"))
    model.compile("sgd", "mse")
    x = np.linspace(-3, 3, 16, dtype=np.float32).reshape(8, 2)
    y = np.zeros((8, 1), dtype=np.float32)
    with pytest.raises(AnomalyError) as info:
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, detect_anomaly=True)
    assert info.value.op == "log" and info.value.layer.endswith("logger")
    assert not chainrule.is_anomaly_enabled()


def test_non_finite_leaf_is_not_blamed_on_the_op():
    x = chainrule.tensor(np.array([1.0, np.nan], dtype=np.float32))
    with chainrule.detect_anomaly(), pytest.raises(AnomalyError) as info:
        x.exp()
    assert "came in through a leaf" in str(info.value)


def test_off_by_default_and_check_nan_false():
    assert not chainrule.is_anomaly_enabled()
    with chainrule.detect_anomaly(check_nan=False):
        assert not chainrule.is_anomaly_enabled()
        y = chainrule.tensor(np.zeros(2, dtype=np.float32)).log()
        assert np.isinf(y.data).all()
    chainrule.set_detect_anomaly(True)
    try:
        with pytest.raises(AnomalyError):
            chainrule.tensor(np.zeros(2, dtype=np.float32)).log()
    finally:
        chainrule.set_detect_anomaly(False)


def test_decorator_form():
    @chainrule.detect_anomaly()
    def run():
        return chainrule.tensor(np.array([0.0, 1.0])) / 0.0

    with pytest.raises(AnomalyError) as info:
        run()
    assert info.value.op == "div" and info.value.layer is None
