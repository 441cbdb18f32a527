"""The PyTorch example scripts (examples/pytorch/) run unchanged but for their imports."""

import os

import numpy as np
import pytest
from examples_util import load_example

import chainrule as cr


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("CHAINRULE_DATA"), reason="needs CHAINRULE_DATA (MNIST)")
def test_pytorch_basic_mnist_example_learns_saves_and_reloads(tmp_path, capsys):
    mnist = load_example("pytorch/mnist")
    path = tmp_path / "mnist.pt"
    model, (test_loss, accuracy) = mnist.main(
        ["--epochs", "2", "--subset", "3000", "--test-subset", "1000", "--log-interval", "20",
         "--save-model", "--model-path", str(path)]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "Train Epoch: 2 [2560/3000 (85%)]" in out and "Test set: Average loss" in out
    assert accuracy > 0.88 and test_loss < 0.45
    reloaded = mnist.Net()
    reloaded.load_state_dict(cr.load(path))
    reloaded.eval(), model.eval()
    x = cr.randn(4, 1, 28, 28)
    with cr.no_grad():
        np.testing.assert_array_equal(reloaded(x).numpy(), model(x).numpy())
    assert list(reloaded.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]


def test_regression_example_recovers_the_weights():
    model, mse = load_example("pytorch/regression").main(epochs=12)
    assert mse < 2e-4
    np.testing.assert_allclose(model.weight.numpy(), [[3.0, -2.0]], atol=0.01)
    assert model.bias.item() == pytest.approx(0.5, abs=0.01)


def test_classifier_example_with_onecyclelr():
    _, accuracy = load_example("pytorch/classifier").main(epochs=5)
    assert accuracy > 0.93


def test_train_eval_example_checkpoint_and_resume(tmp_path):
    _, accuracy, resumed, ckpt = load_example("pytorch/train_eval").main(
        epochs=12, checkpoint=str(tmp_path / "c.pt")
    )
    assert accuracy > 0.9 and ckpt["epoch"] == 6 and ckpt["best_val"] == float("inf")
    assert resumed.net[1].num_batches_tracked.item() == 7 * 16  # 7 epochs of 16 batches
    assert not np.array_equal(resumed.net[1].running_mean.numpy(), np.zeros(32))


def test_custom_function_example_fits_like_the_pytorch_tutorial():
    loss = load_example("pytorch/custom_function").main(steps=2000)
    assert 8.5 < loss < 9.5  # the tutorial reports ~8.9 after 2000 steps


@pytest.mark.skipif(not os.environ.get("CHAINRULE_DATA"), reason="needs CHAINRULE_DATA")
def test_char_lstm_example_learns_and_streams_samples(capsys):
    import io

    char_lstm = load_example("pytorch/char_lstm")
    # a step budget, not a time budget: the result must not depend on the machine's load
    out = char_lstm.main(["--minutes", "10", "--max-steps", "40", "--eval-every", "1000",
                          "--eval-chars", "5000", "--sample", "30", "--seq-len", "32"])  # fmt: skip
    assert out["steps"] == 40 and out["val_loss"] < np.log(65) - 0.3  # below the uniform guess
    printed = capsys.readouterr().out
    assert printed.count("ROMEO:") == 3 and "val loss" in printed
    buf = io.StringIO()
    cr.manual_seed(1)
    text = char_lstm.generate(out["model"], out["vocab"], "KING:", 25, temperature=0.0, out=buf)
    assert len(text) == 30 and buf.getvalue() == text + "\n"
