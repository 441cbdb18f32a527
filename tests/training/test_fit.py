"""Sequential / fit / evaluate / predict / train_on_batch, checked against PyTorch and by hand."""

import json

import numpy as np
import pytest
import torch
from examples_util import load_example
from training_helpers import small_mlp, weights

import chainrule
from chainrule import optim
from chainrule.layers import Dense, Dropout
from chainrule.losses import SparseCategoricalCrossentropy


def test_fit_learns_and_records_history(blobs):
    x, y = blobs
    model = small_mlp(16, 3, activation="softmax")
    model.compile(
        optim.get("adam", lr=0.02), "sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    hist = model.fit(x, y, epochs=4, batch_size=32, validation_split=0.2, verbose=0)
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert hist.epoch == [0, 1, 2, 3] and all(len(v) == 4 for v in hist.history.values())
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["val_accuracy"][-1] > 0.9
    assert model.history is hist
    loss, acc = model.evaluate(x[240:], y[240:])
    assert loss == pytest.approx(hist.history["val_loss"][-1], rel=1e-5)
    assert acc == pytest.approx(hist.history["val_accuracy"][-1])
    assert model.evaluate(x, y, return_dict=True).keys() == {"loss", "accuracy"}


def test_fit_matches_pytorch_sgd(blobs):
    """Unshuffled mini-batch SGD from the same initial weights: same weights as PyTorch."""
    x, y = blobs
    model = small_mlp(8, 3)
    model.compile(optim.SGD(None, lr=0.1), SparseCategoricalCrossentropy(from_logits=True))
    model.predict(x[:1])  # build
    tw = {
        k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in weights(model).items()
    }
    model.fit(x, y, batch_size=50, epochs=2, shuffle=False, verbose=0)
    (k1, b1, k2, b2) = tw.values()
    opt = torch.optim.SGD([k1, b1, k2, b2], lr=0.1)
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y)
    for _ in range(2):
        for s in range(0, 300, 50):
            opt.zero_grad()
            logits = torch.relu(xt[s : s + 50] @ k1 + b1) @ k2 + b2
            torch.nn.functional.cross_entropy(logits, yt[s : s + 50]).backward()
            opt.step()
    for got, want in zip(weights(model).values(), (k1, b1, k2, b2)):
        np.testing.assert_allclose(got, want.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_fit_equals_hand_written_loop(blobs):
    x, y = blobs
    chainrule.manual_seed(3)
    a = small_mlp()
    a(x[:1])
    chainrule.manual_seed(3)
    b = small_mlp()
    b(x[:1])
    loss = SparseCategoricalCrossentropy(from_logits=True)
    a.compile(optim.get("rmsprop"), loss)
    a.fit(x, y, batch_size=64, epochs=1, shuffle=False, verbose=0)
    opt = optim.get("rmsprop", b.parameters())
    for s in range(0, 300, 64):
        value = loss(y[s : s + 64], b(x[s : s + 64]))
        value.backward()
        opt.step()
        opt.zero_grad()
    for k, v in weights(a).items():
        np.testing.assert_array_equal(v, weights(b)[k])


def test_batch_size_none_is_32_as_in_keras_and_len_x_is_full_batch(blobs):
    x, y = blobs[0][:40], blobs[1][:40]
    steps = []
    for bs, expected in ((None, 2), (40, 1), (1, 40), (16, 3)):
        model = small_mlp()
        model.compile("sgd", "sparse_categorical_crossentropy")
        cb = chainrule.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: steps.append(b))
        model.fit(x, y, batch_size=bs, epochs=1, verbose=0, callbacks=[cb])
        assert len(steps) == expected and model.optimizer.iterations == expected
        steps.clear()


def test_predict_train_and_test_on_batch(blobs):
    x, y = blobs
    model = chainrule.Sequential([Dense(8, activation="relu"), Dropout(0.5), Dense(3)])
    model.compile("sgd", SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    out = model.predict(x, batch_size=7)  # dropout is off in predict
    assert out.shape == (300, 3) and out.dtype == np.float32
    with chainrule.no_grad():
        model.eval()
        np.testing.assert_allclose(out, model(x).data, rtol=1e-6)
    before = weights(model)
    test = model.test_on_batch(x[:20], y[:20], return_dict=True)
    assert all(np.array_equal(v, weights(model)[k]) for k, v in before.items())
    model.layers[1].rate = 0.0  # no dropout: the training loss equals the test loss
    loss, _acc = model.train_on_batch(x[:20], y[:20])
    assert loss == pytest.approx(test["loss"], rel=1e-5)  # same batch, loss before the step
    assert model.optimizer.iterations == 1
    assert any(not np.array_equal(v, weights(model)[k]) for k, v in before.items())


def test_sample_and_class_weights(blobs):
    x, y = blobs
    runs = []
    for kw in ({"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}},
               {"sample_weight": np.array([1.0, 3.0, 0.5])[y]}):  # fmt: skip
        chainrule.manual_seed(1)
        model = small_mlp()
        model.compile("sgd", SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, epochs=1, verbose=0, **kw)
        runs.append(weights(model))
    for k in runs[0]:
        np.testing.assert_array_equal(runs[0][k], runs[1][k])
    model = small_mlp()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="no entry for class"):
        model.fit(x, np.eye(3, dtype=np.float32)[y], class_weight={0: 1.0}, verbose=0)


def test_float64_data_keeps_a_float32_model(blobs):
    x, y = blobs
    model = small_mlp()
    model.compile("adam", SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x.astype(np.float64), y.astype(np.float64), epochs=1, verbose=0)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}
    assert model.predict(x.astype(np.float64)).dtype == np.float32


def test_compile_strings_objects_and_config(blobs):
    x, y = blobs
    for opt in ("sgd", "adam", "rmsprop", optim.Adam(None, lr=1e-2)):
        model = small_mlp(out=1, activation="sigmoid")
        model.compile(opt, "binary_crossentropy", metrics=["accuracy", "auc", "precision"])
        hist = model.fit(x, (y == 0).astype(np.float32), epochs=1, verbose=0)
        assert {"loss", "accuracy", "auc", "precision"} <= set(hist.history)
        json.dumps(model.compile_config)
    assert model.compile_config["optimizer"]["class_name"] == "Adam"
    with pytest.raises(ValueError, match="unknown loss"):
        small_mlp().compile("sgd", "msee")
    with pytest.raises(ValueError, match="Unknown metric"):
        small_mlp().compile("sgd", "mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="unknown optimizer"):
        small_mlp().compile("sgdd", "mse")


def test_summary_lists_layers_and_totals(capsys):
    model = chainrule.Sequential([chainrule.Input(shape=(784,)), Dense(64, activation="relu"),
                                  Dense(10, name="logits")])  # fmt: skip
    text = model.summary()
    assert "(None, 64)" in text and "(None, 10)" in text and "logits (Dense)" in text
    assert "Total params: 50,890" in text and "Trainable params: 50,890" in text
    assert text in capsys.readouterr().out


def test_sequential_config_round_trip(blobs):
    x, _ = blobs
    model = chainrule.Sequential(
        [chainrule.Input(shape=(4,)), Dense(5, activation="tanh"), Dense(2)]
    )
    config = json.loads(json.dumps(model.get_config()))
    clone = chainrule.Sequential.from_config(config)
    clone.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(clone.predict(x), model.predict(x))


def test_mnist_recipe_on_a_subset(data_dir):
    """The Keras recipe, shortened: 6k training samples, 3 epochs, 2k test samples."""
    result = load_example("mnist_mlp").main(["--epochs", "3", "--subset", "6000", "--test-subset",
                                             "2000", "--verbose", "0", "--data-dir", str(data_dir)])  # fmt: skip
    assert result["test_accuracy"] >= 0.88  # measured 0.907 (seed 0)


def test_compile_config_recompiles(blobs):
    x, y = blobs
    from chainrule.metrics import Precision

    model = small_mlp(out=1)
    model.compile(optim.get("sgd"), chainrule.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[Precision(threshold=0.2), "accuracy"])  # fmt: skip
    config = json.loads(json.dumps(model.compile_config))
    clone = small_mlp(out=1)
    clone.compile(
        "sgd", config["loss"], metrics=config["metrics"], loss_weights=config["loss_weights"]
    )
    assert clone._compiled_loss is None  # Sequential: bound at the first batch
    clone.fit(x, (y == 1).astype(np.float32), epochs=1, verbose=0)
    loss_fn, (prec, acc) = clone._compiled_loss.losses[0], clone._metrics[0]
    assert loss_fn.from_logits and prec.threshold == 0.2 and acc.threshold == 0.0
