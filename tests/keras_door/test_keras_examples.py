"""The Keras-door user scripts in examples/keras run unchanged (but for `import chainrule as
keras`) and reach sensible results; each is checked through the globals it leaves behind."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "keras"


def _run(name: str, capsys=None) -> dict:
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="__main__")


@pytest.mark.slow
def test_mnist_mlp_recipe(data_dir, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(data_dir))
    g = _run("mnist_mlp")
    assert g["x_train"].shape == (3000, 784) and g["y_train"].shape == (3000, 10)
    assert g["score"][1] > 0.75  # 2 epochs on 3,000 images
    opt = g["model"].optimizer
    assert opt.learning_rate == pytest.approx(0.001)  # Keras's RMSprop defaults


def test_two_inputs_two_outputs_custom_layer_round_trip():
    g = _run("two_inputs_two_outputs")
    hist = g["history"].history
    assert hist["loss"][-1] < hist["loss"][0]
    custom = next(m for m in g["model"].layers if type(m).__name__ == "ScaledDense")
    assert custom.scale.requires_grad is False and custom.w.grad is None
    reloaded = next(m for m in g["reloaded"].layers if type(m).__name__ == "ScaledDense")
    np.testing.assert_array_equal(reloaded.w.data, custom.w.data)
    assert reloaded.get_config()["scale_init"] == 0.5


def test_callbacks_set():
    g = _run("callbacks_set")
    hist = g["history"].history
    assert len(hist["loss"]) <= 40 and "val_loss" in hist
    best_val = g["best"].evaluate(g["x_val"], g["y_val"], verbose=0)[0]
    assert best_val == pytest.approx(min(hist["val_loss"]), rel=1e-5)
    assert Path(g["log_path"]).read_text().startswith("epoch,")


def test_custom_train_step():
    g = _run("custom_train_step")
    losses = g["history"].history["loss"]
    assert losses[-1] < losses[0] and "mae" in g["history"].history
    losses2 = g["history2"].history["loss"]
    assert losses2[-1] < losses2[0] and set(g["history2"].history) == {"loss", "mae"}


def test_kfold_cross_validation():
    g = _run("kfold_cv")
    assert len(g["scores"]) == 5 and np.mean(g["scores"]) > 0.7


def test_diabetes_regression_rmse_r2():
    g = _run("diabetes_regression")
    r = g["results"]
    assert set(r) == {"loss", "root_mean_squared_error", "r2_score"}
    assert r["root_mean_squared_error"] == pytest.approx(np.sqrt(r["loss"]), rel=1e-4)
    assert 0.3 < r["r2_score"] < 0.7


def test_functional_api_guide():
    g = _run("functional_api_guide")
    assert sorted(g["history"].history) == [
        "label_accuracy", "label_loss", "loss", "score_loss", "score_mae",
    ]  # fmt: skip


def test_custom_layer_and_freezing():
    g = _run("custom_layer_and_freezing")
    np.testing.assert_array_equal(g["my_sum"].total.numpy(), [4.0, 4.0])
    assert len(g["mlp"].trainable_weights) == 6


def test_custom_loss_metric_lambda():
    g = _run("custom_loss_metric_lambda")
    hist = g["history"].history
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert g["model"].optimizer.learning_rate < 0.001  # the scheduler ran


@pytest.mark.slow
def test_fashion_mnist_classifier(data_dir, monkeypatch):
    monkeypatch.setenv("CHAINRULE_DATA", str(data_dir))
    g = _run("fashion_mnist_classifier")
    assert g["test_acc"] > 0.7 and g["predictions"].shape == (1000, 10)
    np.testing.assert_allclose(g["predictions"].sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("model", ["bilstm", "cnn"])
def test_sst2_sentiment_subset(data_dir, monkeypatch, model):
    """The SST-2 script's pipeline (BiLSTM, and Kim's CNN with filter widths 3, 4, 5) on a small
    subset: beats chance on held-out sentences."""
    monkeypatch.setenv("CHAINRULE_DATA", str(data_dir))
    g = runpy.run_path(str(EXAMPLES / "sst2_sentiment.py"), run_name="sst2")
    from chainrule.datasets import load_sst2

    (x, y), _, _ = load_sst2()
    args = type("Args", (), {"seed": 0, "max_tokens": 3000, "max_len": 40, "embed": 32,
                             "units": 16, "dropout": 0.2, "batch_size": 32,
                             "epochs": 2 if model == "bilstm" else 4,
                             "model": model, "filters": 16, "kernel_sizes": [3, 4, 5]})()  # fmt: skip
    acc = g["train"](x[:2000], y[:2000], x[-500:], y[-500:], args, log=lambda s: None)
    assert acc > 0.6
    if model == "cnn":  # the CNN's pieces: three widths, max over time, shortest batch padded
        net = g["build_cnn"](50, 8, 4, [3, 4, 5], 0.5)
        assert [c.kernel_size for c in net.convs] == [(3,), (4,), (5,)]
        assert net.predict(np.ones((2, 5), dtype=np.int64), verbose=0).shape == (2, 1)
